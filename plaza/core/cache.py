"""The Redis cache, with its connection pools shared by the whole process.

Django keeps one cache object per thread, and each of Django's Redis cache objects opens a pool
of its own. Under ASGI every request runs in a fresh thread, so every request opened (and
dropped) new connections to Redis. Here the pools are kept per server and options for the
process, so requests reuse the connections of the ones before them. The client object in front
of a pool is kept too: building one copies Redis's table of about 170 reply parsers, and Django
built a new one for every cache call (a chat message makes six or seven).
"""

import threading
import time

from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

_pools: dict[tuple, object] = {}
_clients: dict[int, object] = {}
_scripts: dict[int, object] = {}
_pools_lock = threading.Lock()


# ``incr`` in one round trip: Django's asks whether the key exists, then adds.
_INCR_EXISTING = """
if redis.call('exists', KEYS[1]) == 1 then return redis.call('incrby', KEYS[1], ARGV[1]) end
return false
"""


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

    def incr(self, key, delta):
        client = self.get_client(key, write=True)
        script = _scripts.get(id(client))
        if script is None:
            # By its digest (EVALSHA), loaded again if the server forgot it: the script's text
            # is not sent, nor hashed by Redis, on every call.
            script = _scripts.setdefault(id(client), client.register_script(_INCR_EXISTING))
        value = script(keys=[key], args=[delta])
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value


class SharedPoolRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedPoolRedisCacheClient


# --- near cache --------------------------------------------------------------------------------
# A few values are read by nearly every request of a kind and change seldom (a shop's inbox
# settings, the bot's view of its catalog and FAQ). Each process keeps them in memory for
# NEAR_SECONDS in front of the shared cache: a change made in another process is seen within
# that time; one made in this process, at once. The values are shared by the requests of the
# process: callers read them and never change them.

NEAR_SECONDS = 2.0
NEAR_MAX_ENTRIES = 5000
_near: dict[str, tuple[float, object]] = {}


def _near_key(key: str) -> str:
    # The shared cache's full key (prefix and version included), so two caches never mix.
    return cache.make_key(key)


def near_get(key: str):
    """The value of ``key``: from this process's memory when read less than NEAR_SECONDS ago,
    else from the shared cache. None when neither has it."""
    full = _near_key(key)
    now = time.monotonic()
    hit = _near.get(full)
    if hit is not None and hit[0] > now:
        return hit[1]
    value = cache.get(key)
    if value is not None:
        _near_put(full, value, now)
    return value


def near_set(key: str, value, timeout: float | None) -> None:
    cache.set(key, value, timeout=timeout)
    _near_put(_near_key(key), value, time.monotonic())


def near_forget(key: str) -> None:
    cache.delete(key)
    _near.pop(_near_key(key), None)


def near_memo(key: str, compute, seconds: float = NEAR_SECONDS):
    """``compute()`` kept in this process's memory only, for ``seconds``: for values cheap to
    recompute and harmless when a few seconds old (a shop's shipping methods as the bot lists
    them, its best sellers)."""
    full = _near_key(key)
    now = time.monotonic()
    hit = _near.get(full)
    if hit is not None and hit[0] > now:
        return hit[1]
    value = compute()
    _near_put(full, value, now, seconds)
    return value


def _near_put(full: str, value, now: float, seconds: float = NEAR_SECONDS) -> None:
    if len(_near) >= NEAR_MAX_ENTRIES:
        _near.clear()  # rare: only when many shops are busy at once; they are read again
    _near[full] = (now + seconds, value)
