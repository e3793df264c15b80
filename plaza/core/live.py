"""Sending to channel-layer groups from synchronous code (a service's on-commit handler).

The in-memory layer of the embedded default keeps its queues on the event loop that serves the
sockets, so a send from a request thread, a sweep or a task is handed to that loop (remembered
by ``socket_loop_remember`` when a socket connects). In a process that serves no socket (a
Celery worker) any loop will do for the Redis layer.
"""

import asyncio
import logging
import threading
import time
import weakref

import redis
from channels.layers import InMemoryChannelLayer, get_channel_layer

logger = logging.getLogger(__name__)

_socket_loop: asyncio.AbstractEventLoop | None = None


def socket_loop_remember() -> None:
    """Called by a consumer's ``connect``: the running loop serves this process's sockets."""
    global _socket_loop
    _socket_loop = asyncio.get_running_loop()


def _log_failure(future) -> None:
    if not future.cancelled() and future.exception() is not None:
        logger.error("live: could not send", exc_info=future.exception())


_sender_loop: asyncio.AbstractEventLoop | None = None
_sender_lock = threading.Lock()


def _sender() -> asyncio.AbstractEventLoop:
    """A loop on a daemon thread of its own, for a process that serves no socket (a worker):
    its sends to the Redis layer then never hold up the request or task that made them."""
    global _sender_loop
    with _sender_lock:
        if _sender_loop is None or not _sender_loop.is_running():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=loop.run_forever, name="plaza-live-sender", daemon=True
            )
            thread.start()
            _sender_loop = loop
        return _sender_loop


def _by_server(layer, groups: list[str]) -> dict[int, list[str]] | None:
    """``groups`` per Redis server of the layer that holds them; None for a layer whose
    storage is not the one known here (the in-memory layer, another backend): every group is
    then taken as listened to."""
    known = ("ring_size", "consistent_hash", "_group_key", "group_expiry", "hosts", "connection")
    if not all(hasattr(layer, name) for name in known):
        return None
    by_server: dict[int, list[str]] = {}
    for group in groups:
        index = layer.consistent_hash(group) if layer.ring_size > 1 else 0
        by_server.setdefault(index, []).append(group)
    return by_server


def _zcount_args(layer, group: str) -> tuple:
    """A group's members are a sorted set scored by the time they joined; members older than
    the layer's ``group_expiry`` no longer count."""
    return layer._group_key(group), int(time.time()) - int(layer.group_expiry), "+inf"


def _count_pipelines(layer, groups: list[str], client_for) -> list[tuple[list[str], object]]:
    """Per Redis server: its groups and a pipeline (from ``client_for(index)``) that counts each
    one's live members."""
    pipelines = []
    for index, named in _by_server(layer, groups).items():
        pipe = client_for(index).pipeline(transaction=False)
        for group in named:
            pipe.zcount(*_zcount_args(layer, group))
        pipelines.append((named, pipe))
    return pipelines


def _with_members(named: list[str], counts: list[int]) -> set[str]:
    return {group for group, count in zip(named, counts, strict=True) if count}


async def groups_listened(layer, groups: list[str]) -> set[str]:
    """The groups of ``groups`` that have a member now, in one round trip per Redis server,
    where a ``group_send`` costs two even to an empty group."""
    if _by_server(layer, groups) is None:
        return set(groups)
    listened: set[str] = set()
    for named, pipe in _count_pipelines(layer, groups, layer.connection):
        listened |= _with_members(named, await pipe.execute())
    return listened


# Blocking Redis clients for the sender's own thread, per layer and server: there, asking
# which groups are listened to with redis-py's blocking client costs less than half the CPU of
# its asyncio client (37 against 84 µs for two groups), and a batch nobody listens to (most of
# them) then starts no task on the loop.
_blocking_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _blocking_client(layer, index: int):
    clients = _blocking_clients.setdefault(layer, {})
    if index not in clients:
        host = dict(layer.hosts[index])
        if "address" in host:
            clients[index] = redis.Redis.from_url(host.pop("address"), **host)
        elif "master_name" in host:  # Sentinel: left to the layer's own client
            clients[index] = None
        else:
            clients[index] = redis.Redis(**host)
    return clients[index]


def groups_listened_blocking(layer, groups: list[str]) -> set[str] | None:
    """``groups_listened`` with a blocking client, for a thread that may wait (the sender's);
    None when it cannot tell that way."""
    by_server = _by_server(layer, groups)
    if by_server is None:
        return set(groups)
    if any(_blocking_client(layer, index) is None for index in by_server):
        return None
    listened: set[str] = set()
    for named, pipe in _count_pipelines(layer, groups, lambda i: _blocking_client(layer, i)):
        listened |= _with_members(named, pipe.execute())
    return listened


async def _send_batch(
    layer,
    sends: list[tuple[str, dict]],
    listened: set[str] | None = None,
    after: asyncio.Task | None = None,
) -> None:
    """Send a batch through one layer, skipping the groups nobody is listening to (most of
    them: an inbox with no staff online, a chat whose page is closed), once the loop's batch
    before it (``after``) is out: a group hears its messages in the order they were sent, and
    a burst of them uses one of the layer's connections at a time."""
    if after is not None and not after.done():
        await asyncio.wait([after])
    if listened is None:
        listened = await groups_listened(layer, list(dict.fromkeys(g for g, _ in sends)))
    for group, message in sends:
        if group in listened:
            await layer.group_send(group, message)


def group_send_can_reach(layer) -> bool:
    """False when a send through ``layer`` could reach nobody: no layer, or the in-memory layer
    of a process whose sockets' loop is not running (the embedded default before any socket
    connected, a worker, a test). A sender may then skip reading what it would send."""
    if layer is None:
        return False
    if isinstance(layer, InMemoryChannelLayer):
        return _socket_loop is not None and _socket_loop.is_running()
    return True


# Sends waiting for their loop, per loop: a request hands its sends over with one wake-up of
# the loop (a write to its self-pipe and a thread switch) rather than one per send, and the same
# message to the same group twice in a batch goes once ("the conversation changed", said by
# both the customer's message and the bot's reply).
_pending: dict[asyncio.AbstractEventLoop, list[tuple]] = {}
_pending_lock = threading.Lock()
# The latest batch started on each loop and not yet out (read and written on that loop only).
_last: dict[asyncio.AbstractEventLoop, asyncio.Task] = {}


def _drain(loop: asyncio.AbstractEventLoop, own_loop: bool) -> None:
    """On ``loop``: start the sends waiting for it, one task per layer."""
    with _pending_lock:
        batch = _pending.pop(loop, [])
    seen: set[tuple] = set()
    by_layer: dict[int, tuple[object, list[tuple[str, dict]]]] = {}
    for layer, group, message in batch:
        key = (id(layer), group, repr(sorted(message.items(), key=str)))
        if key in seen:
            continue
        seen.add(key)
        by_layer.setdefault(id(layer), (layer, []))[1].append((group, message))
    for layer, sends in by_layer.values():
        listened = None
        if own_loop:  # the sender's own loop: it may wait for Redis
            try:
                groups = list(dict.fromkeys(group for group, _ in sends))
                listened = groups_listened_blocking(layer, groups)
            except Exception:  # noqa: BLE001 - the layer's own client tries again below
                logger.warning("live: could not ask who listens", exc_info=True)
            if listened is not None and not any(group in listened for group, _ in sends):
                continue
        task = loop.create_task(_send_batch(layer, sends, listened, _last.get(loop)))
        task.add_done_callback(_log_failure)
        task.add_done_callback(
            lambda done: _last.pop(loop, None) if _last.get(loop) is done else None
        )
        _last[loop] = task


def group_send_soon(group: str, message: dict, *, layer=None) -> None:
    """Send ``message`` to ``group`` without making the caller wait on the channel layer.
    Never raises: a broken layer must not break the write that triggered the send."""
    try:
        layer = layer or get_channel_layer()
        if layer is None:
            return
        loop = _socket_loop
        own_loop = False
        if loop is None or not loop.is_running():
            if isinstance(layer, InMemoryChannelLayer):
                # In memory, the layer serves this process's sockets only, and none ever
                # connected here: nobody can be listening.
                return
            loop = _sender()
            own_loop = True
        with _pending_lock:
            waiting = _pending.setdefault(loop, [])
            waiting.append((layer, group, message))
            first = len(waiting) == 1
        if first:
            loop.call_soon_threadsafe(_drain, loop, own_loop)
    except Exception:  # noqa: BLE001 - logged; the committing request must go on
        logger.exception("live: could not send to %s", group)
