"""Live stock over the WebSocket of config.asgi, with the in-memory channel layer: a page that
subscribes hears every stock change of its products, labelled in its own language.

pytest-asyncio is not installed: each test runs its async scenario with async_to_sync, and the
services run through sync_to_async in the test's own thread (and database connection). The page
is asgiref's ApplicationCommunicator (channels.testing imports daphne, which is not installed)."""

import json
import logging
import time

import pytest
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator
from channels.layers import get_channel_layer
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config.asgi import application
from plaza.catalog.tests.factories import make_product
from plaza.checkout import live
from plaza.core.testing import requires_postgres, run_async
from plaza.inventory.services import stock_reserve, stock_set

pytestmark = pytest.mark.django_db(transaction=True)
WAIT = 1  # seconds: the "within one second of the change"


@pytest.fixture(autouse=True)
def _broadcast_in_the_changing_thread_on_sqlite(monkeypatch):
    """SQLite's in-memory test database locks whole tables between threads ("database table is
    locked"): there the broadcast reads in the thread that changed the stock. The coalescing
    timer's own thread is proven on PostgreSQL."""
    if connection.vendor == "sqlite":
        monkeypatch.setattr(live._coalescer, "synchronous", True)


class Socket(ApplicationCommunicator):
    """A page's WebSocket to ws/stock/, as a browser on 127.0.0.1 opens it."""

    def __init__(self, lang: str):
        super().__init__(
            application,
            {
                "type": "websocket",
                "path": "/ws/stock/",
                "query_string": f"lang={lang}".encode(),
                "headers": [(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1")],
                "subprotocols": [],
            },
        )

    async def connect(self) -> bool:
        await self.send_input({"type": "websocket.connect"})
        return (await self.receive_output(WAIT))["type"] == "websocket.accept"

    async def send_to(self, *, text_data: str | None = None, bytes_data: bytes | None = None):
        message = {"type": "websocket.receive"}
        message.update({"text": text_data} if bytes_data is None else {"bytes": bytes_data})
        await self.send_input(message)

    async def receive_json_from(self, timeout: float = WAIT) -> dict:
        message = await self.receive_output(timeout)
        assert message["type"] == "websocket.send", message
        return json.loads(message["text"])

    async def disconnect(self) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.wait(WAIT)


def _socket(lang: str = "en") -> Socket:
    return Socket(lang)


async def _open(product_ids, *, lang: str = "en") -> tuple[Socket, list[dict]]:
    """A page's socket subscribed to the products, with the current stock it was sent. Opened
    once the stock changes made before it are broadcast (a page that opens while a broadcast is
    on its way may hear it as well: the stock it carries is current)."""
    assert await sync_to_async(_eventually)(live._coalescer.quiet)
    socket = _socket(lang)
    assert await socket.connect()
    await socket.send_to(text_data=json.dumps({"subscribe": list(product_ids)}))
    return socket, [await socket.receive_json_from(timeout=WAIT) for _ in product_ids]


def test_a_subscribed_page_hears_the_new_stock_of_its_product_with_labels(shop):
    # given: a product in two sizes, 8 and 4 units
    product = make_product(shop, sizes=("41", "42"))
    v41, v42 = product.variants.order_by("pk")
    stock_set(variant=v41, quantity=8)
    stock_set(variant=v42, quantity=4)

    async def scenario():
        socket, (current,) = await _open([product.pk])
        # when: the shop sets 3 units of size 41
        await sync_to_async(stock_set)(variant=v41, quantity=3)
        changed = await socket.receive_json_from(timeout=WAIT)
        await socket.disconnect()
        return current, changed

    current, changed = run_async(scenario)
    # then: the page first got the stock as it was, then the change
    assert current["available"] == 12
    assert current["variants"][str(v41.pk)] == {"available": 8, "state": "in", "label": "In stock"}
    assert changed == {
        "product": product.pk,
        "variants": {
            str(v41.pk): {"available": 3, "state": "low", "label": "Only 3 left"},
            str(v42.pk): {"available": 4, "state": "low", "label": "Only 4 left"},
        },
        "available": 7,
        "state": "in",
        "label": "In stock",
    }


def test_the_last_unit_held_by_a_checkout_reads_sold_out_in_the_page_language(shop):
    # given: one unit, a French page following the product
    product = make_product(shop, stock=1)
    variant = product.variants.get()

    async def scenario():
        socket, (current,) = await _open([product.pk], lang="fr")
        # when: a shopper's checkout holds the last unit
        await sync_to_async(stock_reserve)(owner="user:1", lines={variant.pk: 1})
        changed = await socket.receive_json_from(timeout=WAIT)
        await socket.disconnect()
        return current, changed

    current, changed = run_async(scenario)
    # then
    assert current["label"] == "Plus que 1 en stock"
    assert changed["state"] == "out"
    assert changed["label"] == "Épuisé"
    assert changed["variants"][str(variant.pk)] == {
        "available": 0,
        "state": "out",
        "label": "Épuisé",
    }


def test_an_unknown_language_falls_back_to_the_default_one(shop):
    # given
    product = make_product(shop, stock=0)

    async def scenario():
        socket, (current,) = await _open([product.pk], lang="xx")
        await socket.disconnect()
        return current

    # when / then
    assert run_async(scenario)["label"] == "Sold out"


@pytest.mark.parametrize(
    "message",
    [
        "not json",
        "[1, 2]",
        '{"subscribe": "7"}',
        '{"subscribe": ["7", 7.5, true, null, -3, 0, 99999999999999999999]}',
        '{"unsubscribe": [1]}',
        "{}",
        "",
        '{"subscribe": [' + ",".join(["1"] * 3000) + "]}",
    ],
)
def test_malformed_messages_are_ignored_and_the_socket_stays_open(shop, message):
    # given: a product the socket will follow after the bad message
    product = make_product(shop, stock=4)
    variant = product.variants.get()

    async def scenario():
        socket = _socket()
        assert await socket.connect()
        # when
        await socket.send_to(text_data=message)
        silent = await socket.receive_nothing(timeout=0.2)
        await socket.send_to(bytes_data=b"\x00\xff")
        silent = silent and await socket.receive_nothing(timeout=0.1)
        # then: still open, and a good message still works
        await socket.send_to(text_data=json.dumps({"subscribe": [product.pk]}))
        current = await socket.receive_json_from(timeout=WAIT)
        await sync_to_async(stock_set)(variant=variant, quantity=0)
        changed = await socket.receive_json_from(timeout=WAIT)
        await socket.disconnect()
        return silent, current, changed

    silent, current, changed = run_async(scenario)
    assert silent, "nothing is sent back for a malformed message"
    assert current["available"] == 4
    assert changed["label"] == "Sold out"


def test_a_page_hears_only_the_products_it_follows_and_drafts_are_never_sent(shop):
    # given: a page following one product; a draft product of the same shop
    followed = make_product(shop, stock=5)
    other = make_product(shop, stock=5)
    draft = make_product(shop, stock=5, status="draft")
    other_variant, draft_variant = other.variants.get(), draft.variants.get()

    async def scenario():
        socket, _ = await _open([followed.pk])
        await socket.send_to(text_data=json.dumps({"subscribe": [draft.pk]}))
        # when: the other product and the draft change
        await sync_to_async(stock_set)(variant=other_variant, quantity=1)
        await sync_to_async(stock_set)(variant=draft_variant, quantity=1)
        silent = await socket.receive_nothing(timeout=0.3)
        await socket.disconnect()
        return silent

    # then
    assert run_async(scenario)


def test_a_socket_follows_at_most_the_limit_dropping_the_oldest(shop, monkeypatch):
    # given: a limit of 2
    monkeypatch.setattr(live, "SUBSCRIPTION_LIMIT", 2)
    first, second, third = (make_product(shop, stock=9) for _ in range(3))
    first_variant, third_variant = first.variants.get(), third.variants.get()

    async def scenario():
        socket, _ = await _open([first.pk, second.pk])
        await socket.send_to(text_data=json.dumps({"subscribe": [third.pk]}))
        await socket.receive_json_from(timeout=WAIT)
        # when: the oldest and the newest change
        await sync_to_async(stock_set)(variant=first_variant, quantity=1)
        await sync_to_async(stock_set)(variant=third_variant, quantity=1)
        heard = await socket.receive_json_from(timeout=WAIT)
        silent = await socket.receive_nothing(timeout=0.2)
        await socket.disconnect()
        return heard, silent

    heard, silent = run_async(scenario)
    # then
    assert heard["product"] == third.pk
    assert silent, "the first product was dropped"


def test_a_message_read_before_the_last_one_sent_is_dropped(shop):
    # given: a page that got the current stock of a product
    product = make_product(shop, stock=9)
    variant = product.variants.get()

    async def scenario():
        socket, (current,) = await _open([product.pk])
        layer = get_channel_layer()
        # when: a slow process delivers stock it read before, then a fresh read arrives
        stale = {"type": "stock.changed", "product": product.pk, "at": 0.0}
        await layer.group_send(live.stock_group(product.pk), stale | {"variants": {}})
        await sync_to_async(stock_set)(variant=variant, quantity=2)
        fresh = await socket.receive_json_from(timeout=WAIT)
        silent = await socket.receive_nothing(timeout=0.2)
        await socket.disconnect()
        return fresh, silent

    fresh, silent = run_async(scenario)
    # then: the stale one never reached the page
    assert fresh["label"] == "Only 2 left"
    assert silent


class Recorder:
    """A channel layer that keeps what is sent to it."""

    def __init__(self):
        self.sent: list[tuple[str, dict]] = []

    async def group_send(self, group, message):
        self.sent.append((group, message))


def test_the_broadcast_reads_stock_in_two_queries_for_any_number_of_variants(shop, monkeypatch):
    # given: two products, five variants, a layer someone listens to
    shoes = make_product(shop, sizes=("40", "41", "42"), stock=3)
    shirt = make_product(shop, sizes=("S", "M"), stock=3)
    monkeypatch.setattr(live, "get_channel_layer", Recorder)
    variant_ids = [v.pk for p in (shoes, shirt) for v in p.variants.all()]
    # when
    with CaptureQueriesContext(connection) as queries:
        live.stock_broadcast(variant_ids=variant_ids)
    # then
    assert len(queries) == 2


@requires_postgres
def test_a_stock_change_costs_the_committing_request_no_query(shop, monkeypatch):
    # given: a layer someone listens to
    variant = make_product(shop, stock=3).variants.get()
    layer = Recorder()
    monkeypatch.setattr(live, "get_channel_layer", lambda: layer)
    # when: the handler hears a change
    with CaptureQueriesContext(connection) as queries:
        live.stock_changed_broadcast(shop_id=shop.pk, variant_ids=[variant.pk])
    # then: the read happens later, on the broadcast's own thread
    assert len(queries) == 0
    assert _eventually(lambda: layer.sent)


def _eventually(condition, timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@requires_postgres
def test_a_burst_of_changes_is_coalesced_and_the_page_hears_the_last_within_a_second(
    shop, monkeypatch
):
    # given: a page following a product of 50 units, a layer that counts the sends
    product = make_product(shop, stock=50)
    variant = product.variants.get()
    sends = []
    real_send = live.group_send_soon
    monkeypatch.setattr(
        live, "group_send_soon", lambda *a, **kw: (sends.append(a[0]), real_send(*a, **kw))
    )

    async def scenario():
        socket, _ = await _open([product.pk])
        # when: 20 shoppers hold a unit each, one right after the other
        started = time.monotonic()
        for n in range(20):
            await sync_to_async(stock_reserve)(owner=f"user:{n}", lines={variant.pk: 1})
        heard = [await socket.receive_json_from(timeout=WAIT)]
        while heard[-1]["available"] != 30:
            heard.append(await socket.receive_json_from(timeout=WAIT))
        return heard, time.monotonic() - started

    heard, seconds = run_async(scenario)
    # then: the page reads 30 left within a second, from far fewer sends than changes
    assert heard[-1]["available"] == 30
    assert seconds < WAIT + 20 * 0.05
    assert len(sends) < 20


def test_a_broken_channel_layer_never_breaks_the_stock_change(shop, monkeypatch, caplog):
    # given: a channel layer that fails on every send
    class Broken:
        async def group_send(self, group, message):
            raise ConnectionError("redis is down")

    monkeypatch.setattr(live, "get_channel_layer", lambda: Broken())
    variant = make_product(shop, stock=2).variants.get()
    # when
    with caplog.at_level(logging.ERROR):
        stock_set(variant=variant, quantity=0)
        # then: the change is committed, the failure logged
        from plaza.inventory.selectors import stock_available_for_variants

        assert stock_available_for_variants(variant_ids=[variant.pk]) == {variant.pk: 0}
        assert _eventually(lambda: "could not send" in caplog.text)


def test_a_planned_broadcast_that_is_forgotten_never_reads_the_stock(monkeypatch):
    # given: a change planned for the next broadcast, one spell after the last
    read = []
    monkeypatch.setattr(live, "stock_broadcast", lambda *, variant_ids: read.append(variant_ids))
    coalescer = live._Coalescer()
    coalescer.last = time.monotonic()
    coalescer.add([7])
    # when: it is forgotten (a test's end, before its database is emptied)
    coalescer.forget()
    time.sleep(live.BROADCAST_EVERY + 0.2)
    # then
    assert read == [] and coalescer.quiet()
