"""Live sends: a batch skips the groups nobody listens to, in one round trip to Redis."""

import asyncio
import os
import time
import uuid

import pytest
from channels.layers import InMemoryChannelLayer

from plaza.core import live
from plaza.core.testing import run_async

REDIS_URL = os.environ.get("REDIS_URL", "")


def _redis_layer(prefix: str = ""):
    from channels_redis.core import RedisChannelLayer

    prefix = prefix or f"test-live-{uuid.uuid4().hex[:10]}"
    return RedisChannelLayer(hosts=[REDIS_URL], prefix=prefix)


def _run(coroutine):
    """``coroutine`` run to its end, on a thread of its own when this one runs an event loop
    (Playwright's, once a browser journey ran in this test process)."""

    async def scenario():
        return await coroutine

    return run_async(scenario)


def _member(layer, group: str) -> str:
    """A new channel of ``layer``, joined to ``group``."""

    async def join():
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
        return channel

    return _run(join())


needs_redis = pytest.mark.skipif(not REDIS_URL, reason="the Redis channel layer needs REDIS_URL")


@needs_redis
def test_only_groups_with_a_member_are_listened_to():
    layer = _redis_layer()

    async def scenario():
        channel = await layer.new_channel()
        await layer.group_add("chat.conversation.1", channel)
        await layer.group_add("inbox.shop.2", channel)
        await layer.group_discard("inbox.shop.2", channel)
        listened = await live.groups_listened(
            layer, ["chat.conversation.1", "inbox.shop.2", "inbox.shop.3"]
        )
        await layer.flush()
        return listened

    assert _run(scenario()) == {"chat.conversation.1"}


@needs_redis
def test_a_member_older_than_the_group_expiry_no_longer_counts():
    layer = _redis_layer()
    layer.group_expiry = 1

    async def scenario():
        channel = await layer.new_channel()
        await layer.group_add("chat.conversation.9", channel)
        fresh = await live.groups_listened(layer, ["chat.conversation.9"])
        await asyncio.sleep(2.1)
        stale = await live.groups_listened(layer, ["chat.conversation.9"])
        await layer.flush()
        return fresh, stale

    assert _run(scenario()) == ({"chat.conversation.9"}, set())


def test_a_layer_of_another_kind_is_listened_to_everywhere():
    layer = InMemoryChannelLayer()
    groups = ["chat.conversation.1", "inbox.shop.2"]
    assert _run(live.groups_listened(layer, groups)) == set(groups)


class _CountingLayer:
    """A Redis layer that counts its ``group_send`` calls."""

    def __init__(self, layer):
        self.layer = layer
        self.sent: list[str] = []

    def __getattr__(self, name):
        return getattr(self.layer, name)

    async def group_send(self, group, message):
        self.sent.append(group)
        await self.layer.group_send(group, message)


@needs_redis
def test_a_batch_reaches_the_listeners_and_skips_the_empty_groups():
    """Through the sender's own loop, as a request thread hands its sends over: the member
    hears every message once, in order; the empty groups cost no ``group_send``."""
    layer = _CountingLayer(_redis_layer())
    channel = _member(layer.layer, "chat.conversation.5")
    live.group_send_soon("chat.conversation.5", {"type": "chat.message", "id": 1}, layer=layer)
    live.group_send_soon("inbox.shop.5", {"type": "inbox.conversation", "id": 5}, layer=layer)
    live.group_send_soon("chat.conversation.5", {"type": "chat.message", "id": 2}, layer=layer)
    live.group_send_soon("chat.conversation.5", {"type": "chat.message", "id": 2}, layer=layer)

    async def hear():
        first = await asyncio.wait_for(layer.layer.receive(channel), 5)
        second = await asyncio.wait_for(layer.layer.receive(channel), 5)
        return first["id"], second["id"]

    assert _run(hear()) == (1, 2)
    _run(_redis_layer(layer.layer.prefix).flush())  # a layer's connections belong to one loop
    assert layer.sent == ["chat.conversation.5", "chat.conversation.5"]


@needs_redis
def test_the_blocking_answer_is_the_same_as_the_layers_own_client():
    layer = _redis_layer()
    _member(layer, "inbox.shop.7")
    groups = ["inbox.shop.7", "chat.conversation.7"]
    assert live.groups_listened_blocking(layer, groups) == {"inbox.shop.7"}
    assert _run(live.groups_listened(_redis_layer(layer.prefix), groups)) == {"inbox.shop.7"}
    _run(_redis_layer(layer.prefix).flush())


def test_the_blocking_answer_takes_every_group_of_another_layer_as_listened_to():
    groups = ["chat.conversation.1", "inbox.shop.2"]
    assert live.groups_listened_blocking(InMemoryChannelLayer(), groups) == set(groups)


class _SlowFirst(_CountingLayer):
    """A layer whose first message takes its time to go out."""

    async def group_send(self, group, message):
        if message.get("id") == 1:
            await asyncio.sleep(0.3)
        await super().group_send(group, message)


@needs_redis
def test_a_group_hears_its_messages_in_the_order_they_were_sent():
    """Even when a later batch is quicker to send than the one before it."""
    layer = _SlowFirst(_redis_layer())
    channel = _member(layer.layer, "chat.conversation.8")
    live.group_send_soon("chat.conversation.8", {"type": "chat.message", "id": 1}, layer=layer)
    deadline = time.monotonic() + 5
    while live._pending and time.monotonic() < deadline:  # the first batch has left
        time.sleep(0.005)
    for n in range(2, 6):
        live.group_send_soon("chat.conversation.8", {"type": "chat.message", "id": n}, layer=layer)

    async def hear():
        return [(await asyncio.wait_for(layer.layer.receive(channel), 5))["id"] for _ in range(5)]

    assert _run(hear()) == [1, 2, 3, 4, 5]
    _run(_redis_layer(layer.layer.prefix).flush())
