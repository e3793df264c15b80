"""Live stock: open product pages and feeds hear "Only N left" and "Sold out" as they happen.

A page opens one WebSocket at ``ws/stock/?lang=<code>`` and sends ``{"subscribe": [product ids]}``;
the socket joins the channel-layer group ``stock.product.<id>`` of each product, answers at once
with the product's current stock, then forwards every change:

    {"product": 7, "available": 3, "state": "low", "label": "Only 3 left",
     "variants": {"21": {"available": 0, "state": "out", "label": "Sold out"}, ...}}

Stock is public, so anonymous visitors may subscribe. The channel layer carries numbers only;
each socket renders the labels in its own page's language.

The sender is ``stock_changed_broadcast``, subscribed to the inventory's ``stock.changed`` event
in ``CheckoutConfig.ready()``: it runs after the stock transaction commits and only notes the
changed variants; a timer thread of the process then reads their stock (two queries for any
number of variants) and sends one ``group_send`` per product. The changes a process hears
within ``BROADCAST_EVERY`` seconds are coalesced into one such send: during a drop, hundreds
of holds a second cost a few reads a second, and the request that made a change never waits
for the read or the channel layer. A page hears the latest stock within ``BROADCAST_EVERY``
plus the read, well within a second. Nothing is read when nobody can be listening (the
in-memory layer of a process without sockets), and nothing here ever raises: a broken channel
layer must not break a checkout.

Each message carries the time its stock was read (taken before the query), and a socket drops
a message older than the last one it sent for that product: two processes (or two sends of
one process) that overtake each other can never leave a page showing the older stock.
"""

import json
import logging
import threading
import time
from collections.abc import Iterable
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connections
from django.utils import translation
from django.utils.translation import gettext, ngettext

from plaza.catalog.models import ProductStatus, Variant
from plaza.core.live import group_send_can_reach, group_send_soon, socket_loop_remember
from plaza.inventory.selectors import stock_available_for_variants
from plaza.storefront.selectors import LOW_STOCK_THRESHOLD

logger = logging.getLogger(__name__)

# Products one socket follows at most; subscribing to more drops the oldest (an endless feed
# keeps following what is near the screen).
SUBSCRIPTION_LIMIT = 60
# A subscribe message longer than this is not read at all.
MESSAGE_MAX_CHARS = 4096
MESSAGE_TYPE = "stock.changed"
# A process broadcasts stock at most once per this many seconds; the changes in between wait
# for the next broadcast, which reads them all at once.
BROADCAST_EVERY = 0.25


def stock_group(product_id: int) -> str:
    return f"stock.product.{product_id}"


def stock_state(available: int) -> str:
    """The rule of the product page and the feed's sheet: "out", "low" or "in"."""
    if available <= 0:
        return "out"
    return "low" if available <= LOW_STOCK_THRESHOLD else "in"


def stock_label(available: int) -> str:
    """The stock line in the active language, worded as the product page words it."""
    state = stock_state(available)
    if state == "out":
        return gettext("Sold out")
    if state == "low":
        return ngettext("Only %(counter)s left", "Only %(counter)s left", available) % {
            "counter": available
        }
    return gettext("In stock")


def stock_by_product(
    *, product_ids: Iterable[int] = (), variant_ids: Iterable[int] = ()
) -> dict[int, dict[int, int]]:
    """Units that can be sold now of every variant of the given products (or of the products of
    the given variants), per product id then variant id. Products on sale only. Two queries."""
    variants = Variant.objects.filter(product__status=ProductStatus.ACTIVE)
    if variant_ids:
        variants = variants.filter(
            product_id__in=Variant.objects.filter(pk__in=list(variant_ids)).values("product_id")
        )
    else:
        variants = variants.filter(product_id__in=list(product_ids))
    pairs = list(variants.order_by("product_id", "position", "pk").values_list("pk", "product_id"))
    if not pairs:
        return {}
    available = stock_available_for_variants(variant_ids=[pk for pk, _ in pairs])
    products: dict[int, dict[int, int]] = {}
    for variant_id, product_id in pairs:
        products.setdefault(product_id, {})[variant_id] = available.get(variant_id, 0)
    return products


def stock_broadcast(*, variant_ids: Iterable[int]) -> None:
    """Send the current stock of these variants' products to their groups: two queries, one
    ``group_send`` per product. Logs and returns on any failure."""
    try:
        layer = get_channel_layer()
        ids = [int(pk) for pk in variant_ids]
        if not ids or not group_send_can_reach(layer):
            return
        at = time.time()  # before the read: a page keeps the newest read it was sent
        products = stock_by_product(variant_ids=ids)
    except Exception:
        logger.exception("live stock: could not read the stock of variants %s", variant_ids)
        return
    for product_id, variants in products.items():
        message = {
            "type": MESSAGE_TYPE,
            "product": product_id,
            "at": at,
            # String keys: the Redis layer serialises with msgpack.
            "variants": {str(pk): units for pk, units in variants.items()},
        }
        try:
            group_send_soon(stock_group(product_id), message, layer=layer)
        except Exception:
            logger.exception("live stock: could not send product %s", product_id)


class _Coalescer:
    """The variants whose stock changed since the last broadcast of this process, and the timer
    that broadcasts them: at once after a quiet spell, else BROADCAST_EVERY seconds after the
    last broadcast."""

    def __init__(self) -> None:
        # True: broadcast at once, in the thread that made the change (no timer thread).
        self.synchronous = False
        self.lock = threading.Lock()
        self.pending: set[int] = set()
        self.timer: threading.Timer | None = None
        self.sending = 0  # broadcasts being read and sent
        self.last = float("-inf")  # time.monotonic() of the last broadcast

    def add(self, variant_ids: list[int]) -> None:
        if self.synchronous:
            stock_broadcast(variant_ids=variant_ids)
            return
        with self.lock:
            self.pending.update(variant_ids)
            if self.timer is not None:
                return  # the coming broadcast reads these too
            delay = max(self.last + BROADCAST_EVERY - time.monotonic(), 0.0)
            self.timer = threading.Timer(delay, self.flush)
            self.timer.name = "plaza-live-stock"
            self.timer.daemon = True
            self.timer.start()

    def flush(self) -> None:
        with self.lock:
            ids, self.pending = sorted(self.pending), set()
            self.timer = None
            self.last = time.monotonic()
            self.sending += 1
        try:
            stock_broadcast(variant_ids=ids)
        finally:
            connections.close_all()  # the timer's thread gives its connection back
            with self.lock:
                self.sending -= 1

    def quiet(self) -> bool:
        """Nothing waits to be broadcast, and nothing is being sent."""
        with self.lock:
            return self.timer is None and not self.sending

    def forget(self, wait: float = 5.0) -> None:
        """Drop the broadcast not started yet and wait (``wait`` seconds at most) for the one
        being sent: at the end of a test, before its database is emptied, no timer's read of the
        stock may run into the emptying."""
        with self.lock:
            timer, self.timer = self.timer, None
            self.pending.clear()
        if timer is not None:
            timer.cancel()
            timer.join(wait)
        deadline = time.monotonic() + wait
        while not self.quiet() and time.monotonic() < deadline:
            time.sleep(0.005)


_coalescer = _Coalescer()


def stock_broadcasts_forget() -> None:
    """See ``_Coalescer.forget``."""
    _coalescer.forget()


def stock_changed_broadcast(*, variant_ids: Iterable[int] = (), **_payload) -> None:
    """Handler of ``stock.changed``: the changed variants' products are broadcast soon (see
    ``_Coalescer``), at most every BROADCAST_EVERY seconds. Costs the caller no query, and
    nothing at all when nobody can be listening. Never raises."""
    try:
        ids = [int(pk) for pk in variant_ids]
        if ids and group_send_can_reach(get_channel_layer()):
            _coalescer.add(ids)
    except Exception:
        logger.exception("live stock: could not plan the broadcast of variants %s", variant_ids)


def _language(query_string: bytes) -> str:
    requested = parse_qs(query_string.decode("latin-1")).get("lang", [""])[0].lower()
    codes = {code.lower() for code, _ in settings.LANGUAGES}
    return requested if requested in codes else settings.LANGUAGE_CODE


def _product_ids(text_data: str | None) -> list[int]:
    """The product ids of a subscribe message; [] for anything else."""
    if not text_data or len(text_data) > MESSAGE_MAX_CHARS:
        return []
    try:
        content = json.loads(text_data)
    except ValueError:
        return []
    ids = content.get("subscribe") if isinstance(content, dict) else None
    if not isinstance(ids, list):
        return []
    wanted = [pk for pk in ids if type(pk) is int and 0 < pk < 2**63]
    return list(dict.fromkeys(wanted))[-SUBSCRIPTION_LIMIT:]


class StockConsumer(AsyncWebsocketConsumer):
    """One page's socket: follows up to SUBSCRIPTION_LIMIT products, sends labels in the
    page's language (``?lang=``, one of settings.LANGUAGES)."""

    async def connect(self) -> None:
        socket_loop_remember()
        self.language = _language(self.scope.get("query_string", b""))
        # Followed products, oldest first, with the read time of the last stock sent.
        self.products: dict[int, float] = {}
        await self.accept()

    async def disconnect(self, code) -> None:
        for product_id in getattr(self, "products", {}):
            await self.channel_layer.group_discard(stock_group(product_id), self.channel_name)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        new = [pk for pk in _product_ids(text_data) if pk not in self.products]
        if not new:
            return
        for product_id in new:
            self.products[product_id] = 0.0
            await self.channel_layer.group_add(stock_group(product_id), self.channel_name)
        while len(self.products) > SUBSCRIPTION_LIMIT:
            oldest = next(iter(self.products))
            del self.products[oldest]
            await self.channel_layer.group_discard(stock_group(oldest), self.channel_name)
        # The page may have been rendered before a change this socket did not hear yet.
        at = time.time()
        current = await database_sync_to_async(stock_by_product)(product_ids=new)
        for product_id, variants in current.items():
            await self._send_stock(product_id, variants, at)

    async def stock_changed(self, event: dict) -> None:
        variants = {int(pk): units for pk, units in event["variants"].items()}
        await self._send_stock(event["product"], variants, event["at"])

    async def _send_stock(self, product_id: int, variants: dict[int, int], at: float) -> None:
        if product_id not in self.products or at < self.products[product_id]:
            return  # not followed (any more), or older than what the page has
        self.products[product_id] = at
        total = sum(variants.values())
        with translation.override(self.language):
            payload = {
                "product": product_id,
                "variants": {
                    str(pk): {
                        "available": units,
                        "state": stock_state(units),
                        "label": stock_label(units),
                    }
                    for pk, units in variants.items()
                },
                "available": total,
                "state": stock_state(total),
                "label": stock_label(total),
            }
        await self.send(text_data=json.dumps(payload))
