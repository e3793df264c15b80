"""The Redis cache, with its connection pools shared by the whole process.

Django keeps one cache object per thread, and each of Django's Redis cache objects opens a pool
of its own. Under ASGI every request runs in a fresh thread, so every request opened (and
dropped) new connections to Redis. Here the pools are kept per server and options for the
process, so requests reuse the connections of the ones before them. The client object in front
of a pool is kept too: building one copies Redis's table of about 170 reply parsers, and Django
built a new one for every cache call (a chat message makes six or seven).
"""

import threading

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

_pools: dict[tuple, object] = {}
_clients: dict[int, object] = {}
_pools_lock = threading.Lock()


class SharedPoolRedisCacheClient(RedisCacheClient):
    def _get_connection_pool(self, write):
        index = self._get_connection_pool_index(write)
        key = (self._servers[index], repr(sorted(self._pool_options.items(), key=str)))
        pool = _pools.get(key)
        if pool is None:
            with _pools_lock:
                pool = _pools.get(key)
                if pool is None:
                    pool = self._pool_class.from_url(self._servers[index], **self._pool_options)
                    _pools[key] = pool
        return pool

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = _clients.get(id(pool))
        if client is None:
            # A client is safe to share between threads: each command takes a connection from
            # the pool and gives it back.
            client = _clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class SharedPoolRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedPoolRedisCacheClient
