"""Every write of checkout: carts, shipping methods, and turning a cart (or "Buy now") into
paid orders, one per shop.

How a checkout runs (``checkout_complete``), never holding a transaction over a provider call:

1. the lines are priced afresh (``quote_build``) and compared with what the shopper was shown
   (the seal); any change, or a line that cannot be bought, raises CheckoutStale naming each
   difference, before anything is written or charged;
2. a short transaction records the Checkout and its parts, one per shop; the buyer's
   idempotency key is unique, so a double click or a retry finds this same checkout;
3. each part's payment is authorised (``payment_authorize``, its own short transactions), with
   a key derived from the checkout: retries never charge twice. A decline voids what was already
   authorised, fails the checkout and raises PaymentDeclined: no order, the cart untouched. A
   card that asks for an extra step leaves the checkout "requires_action" until
   ``checkout_confirm``;
4. one transaction places every order (``order_place`` allocates the stock: all shops or none),
   attaches the payments, empties the bought lines from the cart and completes the checkout. If
   stock ran out meanwhile, it rolls back, the payments are voided and CheckoutStale says what;
5. after commit the payments are captured (the orders become paid through the
   ``payment.captured`` event), then the card and address are saved when the shopper asked.
"""

import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from plaza.accounts.models import Address, Shop, User
from plaza.accounts.selectors import access_address
from plaza.accounts.services import ADDRESS_FIELDS, address_create, address_validate
from plaza.catalog.models import ProductStatus, Variant
from plaza.checkout.exceptions import CheckoutConflict, CheckoutStale, PaymentDeclined
from plaza.checkout.models import (
    Cart,
    CartLine,
    Checkout,
    CheckoutPart,
    CheckoutSource,
    CheckoutStatus,
    ShippingMethod,
)
from plaza.checkout.selectors import (
    Quote,
    checkout_saved_choices,
    quote_build,
    quote_changes,
    quote_variants,
    reservation_owner,
)
from plaza.core import events
from plaza.core.exceptions import DomainError, NotFound, ValidationError
from plaza.core.money import MAX_AMOUNT
from plaza.core.sql import row_update, rows_insert
from plaza.inventory.exceptions import DropLimitReached, InsufficientStock
from plaza.inventory.selectors import drop_for_variants, drop_get, stock_available_for_variants
from plaza.inventory.services import (
    drop_admit,
    drop_check,
    drop_claim,
    drop_ticket_done,
    stock_allocate,
    stock_release,
    stock_reserve,
)
from plaza.orders.exceptions import OrderNumberTaken
from plaza.orders.services import order_mark_paid, order_place
from plaza.payments.exceptions import PaymentChanged
from plaza.payments.models import Payment, PaymentStatus
from plaza.payments.selectors import access_payment_method, payment_provider_default
from plaza.payments.services import (
    ProviderAnswer,
    payment_authorize,
    payment_call,
    payment_capture,
    payment_confirm,
    payment_method_save,
    payment_open,
    payment_record,
    payment_refund,
    payment_void,
)

logger = logging.getLogger("plaza.checkout")

MAX_QUANTITY = 99  # of one item in a cart or an order
MAX_CART_LINES = 50
MAX_KEY_LENGTH = 200
# How long a second request with the same key waits for the first to finish (a double click).
WAIT_FOR_TWIN_SECONDS = 15.0


def _clean_quantity(value: Any, *, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(_("Enter a whole number of items."), field="quantity")
    if value < (0 if allow_zero else 1):
        raise ValidationError(_("Choose at least one item."), field="quantity")
    if value > MAX_QUANTITY:
        raise ValidationError(
            _("You can buy at most %(n)s of one item at a time.") % {"n": MAX_QUANTITY},
            field="quantity",
        )
    return value


def _variant_for_sale(variant_id: Any) -> Variant:
    try:
        return Variant.objects.select_related("product").get(
            pk=int(variant_id), product__status=ProductStatus.ACTIVE
        )
    except (Variant.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(_("This item is not for sale.")) from None


def _check_stock(variant: Variant, quantity: int) -> None:
    available = stock_available_for_variants(variant_ids=[variant.pk])[variant.pk]
    if quantity > available:
        if available <= 0:
            message = _("%(item)s is sold out.") % {"item": variant.product.title}
        else:
            message = _("Only %(n)s of %(item)s left.") % {
                "n": available,
                "item": variant.product.title,
            }
        raise ValidationError(message, field="quantity", code="insufficient_stock")


# --- carts -----------------------------------------------------------------------------------


def cart_get_or_create(*, user: User | None, guest_cart_id: int | None = None) -> Cart:
    """The signed-in user's cart (a guest cart from before signing in is merged into it), or
    the guest's cart by id, or a new cart."""
    if user is not None and user.is_authenticated:
        cart = Cart.objects.filter(user=user).first()
        if cart is None:
            try:
                with transaction.atomic():
                    cart = Cart.objects.create(user=user)
            except IntegrityError:  # a concurrent request made it
                cart = Cart.objects.get(user=user)
        if guest_cart_id:
            cart_merge(guest_cart_id=guest_cart_id, into=cart)
        return cart
    if guest_cart_id:
        cart = Cart.objects.filter(pk=guest_cart_id, user__isnull=True).first()
        if cart is not None:
            return cart
    return Cart.objects.create()


@transaction.atomic
def cart_merge(*, guest_cart_id: int, into: Cart) -> Cart:
    """Move a guest cart's lines into ``into`` (adding quantities, capped) and delete it."""
    guest = Cart.objects.select_for_update().filter(pk=guest_cart_id, user__isnull=True).first()
    if guest is None or guest.pk == into.pk:
        return into
    Cart.objects.select_for_update().filter(pk=into.pk).first()
    mine = {line.variant_id: line for line in into.lines.all()}
    for line in guest.lines.all():
        if line.variant_id in mine:
            target = mine[line.variant_id]
            target.quantity = min(target.quantity + line.quantity, MAX_QUANTITY)
            target.save(update_fields=["quantity"])
        else:
            CartLine.objects.create(
                cart=into, variant_id=line.variant_id, quantity=line.quantity, post_id=line.post_id
            )
    into.shipping = {**guest.shipping, **into.shipping}
    into.save(update_fields=["shipping", "updated_at"])
    guest.delete()
    return into


@transaction.atomic
def cart_add(
    *, cart: Cart, variant_id: Any, quantity: Any = 1, post_id: int | None = None
) -> CartLine:
    """Add ``quantity`` of a variant on sale; refuses more than can be sold now."""
    quantity = _clean_quantity(quantity)
    variant = _variant_for_sale(variant_id)
    for drop in drop_for_variants(variant_ids=[variant.pk]).values():
        drop_check(drop=drop, user=cart.user, units=quantity)
    cart = Cart.objects.select_for_update().get(pk=cart.pk)  # one writer per cart
    line = cart.lines.filter(variant=variant).first()
    total = quantity + (line.quantity if line else 0)
    _clean_quantity(total)
    _check_stock(variant, total)
    if line is None:
        if cart.lines.count() >= MAX_CART_LINES:
            raise ValidationError(
                _("A cart holds at most %(n)s different items.") % {"n": MAX_CART_LINES},
                field="variant",
            )
        line = CartLine.objects.create(cart=cart, variant=variant, quantity=total, post_id=post_id)
    else:
        line.quantity = total
        line.post_id = line.post_id or post_id
        line.save(update_fields=["quantity", "post_id"])
    cart.save(update_fields=["updated_at"])
    return line


def _cart_line(cart: Cart, line_id: Any) -> CartLine:
    try:
        return cart.lines.select_related("variant__product").get(pk=int(line_id))
    except (CartLine.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(_("This item is not in your cart.")) from None


@transaction.atomic
def cart_line_update(*, cart: Cart, line_id: Any, quantity: Any) -> CartLine | None:
    """Set a line's quantity; 0 removes it (returns None)."""
    quantity = _clean_quantity(quantity, allow_zero=True)
    line = _cart_line(cart, line_id)
    if quantity == 0:
        line.delete()
        return None
    if quantity > line.quantity:
        _check_stock(line.variant, quantity)
    line.quantity = quantity
    line.save(update_fields=["quantity"])
    return line


@transaction.atomic
def cart_line_remove(*, cart: Cart, line_id: Any) -> None:
    _cart_line(cart, line_id).delete()


@transaction.atomic
def cart_choose_shipping(*, cart: Cart, shop_id: Any, method_id: Any) -> Cart:
    """Remember the shipping method chosen for one shop's items."""
    try:
        method = ShippingMethod.objects.get(pk=int(method_id), shop_id=int(shop_id), is_active=True)
    except (ShippingMethod.DoesNotExist, ValueError, TypeError, OverflowError):
        raise ValidationError(
            _("Choose one of the shop's shipping methods."), field="shipping"
        ) from None
    cart = Cart.objects.select_for_update().get(pk=cart.pk)
    cart.shipping = {**cart.shipping, str(method.shop_id): method.pk}
    cart.save(update_fields=["shipping", "updated_at"])
    return cart


# --- shipping methods (shop staff) --------------------------------------------------------------


def _clean_method(data: Mapping[str, Any]) -> dict[str, Any]:
    name = str(data.get("name") or "").strip()
    if not name:
        raise ValidationError(_("Name the shipping method."), field="name")
    if len(name) > 80:
        raise ValidationError(_("This name is too long."), field="name")
    clean: dict[str, Any] = {"name": name}
    for field in ("price", "free_above"):
        value = data.get(field)
        if value is None and field == "free_above":
            clean[field] = None
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_AMOUNT:
            raise ValidationError(
                _("Enter an amount of zero or more, in minor units."), field=field
            )
        clean[field] = value
    delivery = str(data.get("delivery_days") or "").strip()
    if len(delivery) > 40:
        raise ValidationError(_("This value is too long."), field="delivery_days")
    clean["delivery_days"] = delivery
    clean["is_active"] = bool(data.get("is_active", True))
    return clean


def shipping_method_create(*, shop: Shop, data: Mapping[str, Any]) -> ShippingMethod:
    clean = _clean_method(data)
    position = ShippingMethod.objects.filter(shop=shop).count()
    return ShippingMethod.objects.create(shop=shop, position=position, **clean)


def shipping_method_update(*, method: ShippingMethod, data: Mapping[str, Any]) -> ShippingMethod:
    clean = _clean_method(data)
    for field, value in clean.items():
        setattr(method, field, value)
    method.save(update_fields=[*clean, "updated_at"])
    return method


def shipping_method_delete(*, method: ShippingMethod) -> None:
    """Remove a method; checkouts that used it keep their amounts."""
    method.delete()


# --- checkout ---------------------------------------------------------------------------------


# How long "sold out" is believed without asking the database again (see ``sold_out_known``).
SOLD_OUT_SECONDS = 2


def _sold_out_key(variant_id: int) -> str:
    return f"plaza:sold-out:{variant_id}"


def _holds_key(user: User | int) -> str:
    return f"plaza:holds:{user if isinstance(user, int) else user.pk}"


def sold_out_known(*, variant_ids, buyer: User | int | None = None) -> bool:
    """True when one of these variants was found sold out in the last seconds and ``buyer``
    holds none of it: the stampede after the last unit of a drop is answered from the cache
    (Redis when scaled), without the database, while the shoppers who hold the last units go
    on (their holds are remembered in the cache as well). PostgreSQL stays the truth: the flag
    expires after SOLD_OUT_SECONDS, so units that come back (an expired hold, a cancelled
    order) are offered again within that time. Only for a checkout that starts: paying never
    asks it. ``buyer``: the shopper or their id (a session's, before their row is read)."""
    holds = _holds_key(buyer) if buyer is not None else None
    found = cache.get_many([_sold_out_key(v) for v in variant_ids] + ([holds] if holds else []))
    flagged = {int(k.rsplit(":", 1)[1]) for k in found if k != holds}
    if not flagged:
        return False
    return not flagged <= set(found.get(holds) or ())  # one round trip for flags and holds


def _remember_sold_out(error: InsufficientStock) -> None:
    gone = [variant_id for variant_id, units in error.shortages.items() if units <= 0]
    if gone:
        cache.set_many({_sold_out_key(v): 1 for v in gone}, timeout=SOLD_OUT_SECONDS)


def _quantities(lines: list) -> dict[int, int]:
    quantities: dict[int, int] = {}
    for line in lines:
        variant_id, quantity = (
            (line.variant_id, line.quantity) if isinstance(line, CartLine) else (line[0], line[1])
        )
        quantities[int(variant_id)] = quantities.get(int(variant_id), 0) + int(quantity)
    return quantities


def _check_drops(
    *, buyer: User, quantities: dict[int, int], admit: bool, known: Mapping | None = None
) -> list:
    """The drops among these variants, checked: released, within the shopper's limit and, with
    ``admit``, the shopper's turn in line (DropNotOpen, DropLimitReached, DropQueued).
    ``known``: variant id -> drop (or None), when the caller has them loaded already."""
    units: dict[int, int] = {}
    drops = {}
    if known is None:
        known = drop_for_variants(variant_ids=list(quantities))
    for variant_id, drop in known.items():
        if drop is None:
            continue
        drops[drop.pk] = drop
        units[drop.pk] = units.get(drop.pk, 0) + quantities[variant_id]
    for drop_id, drop in sorted(drops.items()):
        drop_check(drop=drop, user=buyer, units=units[drop_id])
        if admit:
            drop_admit(drop=drop, user=buyer)
    return list(drops.values())


def checkout_line_turn(*, buyer: User, drop_id) -> None:
    """Is it the shopper's turn in the drop's line? Returns when it is (they are admitted),
    raises DropQueued with their place otherwise, NotFound for an unknown drop."""
    drop = drop_get(drop_id=drop_id)
    drop_admit(drop=drop, user=buyer)


def checkout_start(*, buyer: User, lines: list, shipping: Mapping[str, int]) -> Quote:
    """Start a "Buy now" checkout: hold the units of ``lines`` (see ``checkout_hold``) and price
    them for the buyer, their holds included (the quote names what could not be held). The
    variants are read once, for the drops and the quote; no images."""
    quantities = _quantities(lines)
    variants = quote_variants(variant_ids=list(quantities), images=False)
    known = None
    if set(quantities) <= set(variants):  # else the drops of items not for sale are read too
        known = {pk: getattr(variants[pk].product, "drop", None) for pk in quantities}
    checkout_hold(buyer=buyer, lines=lines, drops=known)
    return quote_build(
        lines=lines,
        shipping=dict(shipping),
        holder=reservation_owner(buyer),
        images=False,
        variants=variants,
    )


def checkout_hold(*, buyer: User, lines: list, drops: Mapping | None = None) -> datetime | None:
    """Checkout starts: hold the units of ``lines`` ((variant id, quantity, ...) or cart lines)
    for the buyer until the returned time, replacing what they held before. When a line cannot
    be held (sold out meanwhile), nothing is held and None is returned: the quote says why.

    Drops are checked first: before its release, over the shopper's limit, or while the shopper
    waits in the drop's line, this raises (DropNotOpen, DropLimitReached, DropQueued) and holds
    nothing. ``drops``: variant id -> drop (or None) of every line, when the caller read them.
    """
    quantities = _quantities(lines)
    if not quantities:
        return None
    _check_drops(buyer=buyer, quantities=quantities, admit=True, known=drops)
    try:
        until = stock_reserve(owner=reservation_owner(buyer), lines=quantities)
        cache.set(_holds_key(buyer), list(quantities), timeout=settings.PLAZA_RESERVATION_SECONDS)
        return until
    except InsufficientStock as exc:
        _remember_sold_out(exc)
        return None
    except ValidationError:
        return None


def checkout_release(*, buyer: User) -> None:
    """Give back what the buyer's checkout holds."""
    stock_release(owner=reservation_owner(buyer))
    cache.delete(_holds_key(buyer))


@dataclass(frozen=True)
class PaymentChoice:
    """A saved card (``method_id``) or a fresh provider token (``token``), and whether to save
    the fresh one."""

    method_id: int | None = None
    token: str = ""
    save: bool = False


@dataclass(frozen=True)
class AddressChoice:
    """A saved address (``address_id``) or a new one (``data``), and whether to save it."""

    address_id: int | None = None
    data: Mapping[str, Any] | None = None
    save: bool = False


def _request_hash(**parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _clean_key(key: Any) -> str:
    key = str(key or "").strip()
    if not key:
        raise ValidationError(_("This request has no idempotency key."), field="idempotency_key")
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationError(_("The idempotency key is too long."), field="idempotency_key")
    return key


def _resolve_address(buyer: User, choice: AddressChoice, saved: Address | None) -> dict[str, str]:
    """The address to ship to; ``saved``: the saved address asked for, if read already."""
    if choice.address_id is not None:
        address = saved or access_address(user=buyer, address_id=choice.address_id)
        return address_validate(data={f: getattr(address, f) for f in ADDRESS_FIELDS})
    if not choice.data:
        raise ValidationError(_("Enter a shipping address."), field="address")
    return address_validate(data=dict(choice.data))


def _resolve_payment(
    buyer: User, choice: PaymentChoice, saved: tuple[str, str] | None
) -> tuple[str, str]:
    """(provider, token) of the chosen card; ``saved``: those of the saved card asked for, if
    read already."""
    if choice.method_id is not None:
        if saved is not None:
            return saved
        method = access_payment_method(user=buyer, payment_method_id=choice.method_id)
        return method.provider, method.token
    token = (choice.token or "").strip()
    if not token:
        raise ValidationError(_("Enter your card details."), field="card")
    return payment_provider_default(), token


def _lines_from(cart: Cart | None, lines: list[tuple[int, int, int | None]] | None) -> list:
    if lines is not None:
        return [(int(v), _clean_quantity(q), p) for v, q, p in lines]
    if cart is None:
        return []
    return list(cart.lines.all())


def checkout_complete(
    *,
    buyer: User,
    idempotency_key: str,
    seal: str,
    address: AddressChoice,
    payment: PaymentChoice,
    cart: Cart | None = None,
    lines: list[tuple[int, int, int | None]] | None = None,
    shipping: Mapping[str, int] | None = None,
    attribution: Mapping[str, Any] | None = None,
    return_url: str = "",
) -> Checkout:
    """Pay for the cart's lines, or for ``lines`` ("Buy now"): one order per shop.

    Returns the checkout: completed (its parts name the orders), or requires_action (a card
    asks for an extra step: see ``checkout_next_action`` and ``checkout_confirm``). Raises
    CheckoutStale (what changed since ``seal``), PaymentDeclined (the card said no: nothing
    placed, the cart as it was), ValidationError/NotFound for bad input, CheckoutConflict when
    the key was used for another request. The same key and request return the same checkout.
    """
    key = _clean_key(idempotency_key)
    source = CheckoutSource.BUY_NOW if lines is not None else CheckoutSource.CART
    if shipping is None:
        shipping = cart.shipping if cart is not None else {}
    shipping = {str(k): v for k, v in shipping.items()}
    request_hash = _request_hash(
        source=source,
        lines=lines,
        shipping=shipping,
        address_id=address.address_id,
        address=dict(address.data or {}) if address.address_id is None else None,
        save_address=address.save,
        method_id=payment.method_id,
        new_card=payment.method_id is None,
        save_card=payment.save,
    )
    saved = checkout_saved_choices(
        buyer=buyer,
        key=key,
        address_id=address.address_id,
        payment_method_id=payment.method_id,
    )
    if saved is None or saved.used_key:
        existing = Checkout.objects.filter(buyer=buyer, idempotency_key=key).first()
        if existing is not None:
            return _replay(existing, request_hash, return_url)

    quote = quote_build(
        lines=_lines_from(cart, lines),
        shipping=shipping,
        holder=reservation_owner(buyer),
        for_display=False,
    )
    if quote.is_empty and not quote.unavailable:
        raise ValidationError(_("Your cart is empty."), field="lines")
    problems = quote.problems
    if problems:
        raise CheckoutStale(
            _("Some items cannot be bought as they are. Check your order."), changes=problems
        )
    changes = quote_changes(quote=quote, seal=seal)
    if changes:
        raise CheckoutStale(
            _("Your order changed since you looked. Check it and pay again."), changes=changes
        )
    quote_lines = [line for part in quote.shops for line in part.lines]
    drops = {line.variant_id: line.drop for line in quote_lines}
    _check_drops(
        buyer=buyer,
        quantities={line.variant_id: line.quantity for line in quote_lines},
        admit=True,
        known=drops,
    )
    address_data = _resolve_address(buyer, address, saved.address if saved else None)
    provider, token = _resolve_payment(buyer, payment, saved.card if saved else None)
    post_ids = [line.post_id for line in quote_lines if line.post_id]
    # A one-shop checkout whose every unit the buyer holds is paid in one step (a sale): the
    # units cannot run out before the order is placed, so no authorisation to capture later.
    # (Should the placement fail all the same, the sale is refunded.)
    sale = len(quote.shops) == 1 and all(line.held >= line.quantity for line in quote_lines)
    opened = {}

    try:
        with transaction.atomic():
            checkout = Checkout(
                buyer=buyer,
                idempotency_key=key,
                request_hash=request_hash,
                source=source,
                address={**address_data, "_save": address.save},
                email=buyer.email,
                provider=provider,
                payment_token=token,
                save_card=payment.save and payment.method_id is None,
                attribution=dict(attribution or {}),
                post_id=post_ids[0] if post_ids else None,
            )
            rows_insert([checkout])  # written out, as the parts and their payments
            parts = []
            for part in quote.shops:
                # Each part's payment is opened with it (no provider call yet): one transaction.
                opened_payment, opened[part.shop.pk] = payment_open(
                    provider=provider,
                    amount=part.total,
                    currency=part.currency,
                    idempotency_key=_payment_key(checkout, part.shop.pk),
                    description=_("Order at %(shop)s") % {"shop": part.shop.name},
                    metadata={"checkout": checkout.uid.hex},
                    capture=sale,
                )
                parts.append(
                    CheckoutPart(
                        checkout=checkout,
                        shop=part.shop,
                        lines={str(vid): qty for vid, qty in part.quantities.items()},
                        shipping_method=part.method,
                        currency=part.currency,
                        subtotal=part.subtotal,
                        shipping=part.shipping,
                        total=part.total,
                        payment=opened_payment,
                    )
                )
            rows_insert(parts)
    except IntegrityError:
        # A twin request with the same key was first: its checkout is the answer.
        existing = Checkout.objects.filter(buyer=buyer, idempotency_key=key).first()
        if existing is None:
            raise
        return _replay(existing, request_hash, return_url)
    return _advance(
        checkout,
        return_url=return_url,
        parts=parts,
        opened=opened,
        drops=drops,
        variants={line.variant_id: line.variant for line in quote_lines},
    )


def _payment_key(checkout: Checkout, shop_id: int) -> str:
    return f"checkout-{checkout.uid.hex}-{shop_id}"


def _replay(checkout: Checkout, request_hash: str, return_url: str) -> Checkout:
    if checkout.request_hash != request_hash:
        raise CheckoutConflict(
            _("This checkout was already sent with other details. Reload the page and try again."),
            field="idempotency_key",
        )
    deadline = time.monotonic() + WAIT_FOR_TWIN_SECONDS
    while checkout.status == CheckoutStatus.PROCESSING and time.monotonic() < deadline:
        time.sleep(0.1)
        checkout.refresh_from_db(fields=["status", "failure_message", "completed_at"])
    if checkout.status == CheckoutStatus.PROCESSING:
        # The first request is gone (or slow): every step is idempotent, so go on from here.
        return _advance(checkout, return_url=return_url)
    if checkout.status == CheckoutStatus.FAILED:
        raise PaymentDeclined(checkout.failure_message or _("The payment did not go through."))
    return checkout


def _parts(checkout: Checkout) -> list[CheckoutPart]:
    return list(checkout.parts.select_related("shop", "payment", "order").order_by("pk"))


def _advance(
    checkout: Checkout,
    *,
    return_url: str = "",
    parts: list[CheckoutPart] | None = None,
    opened: Mapping | None = None,
    drops: Mapping | None = None,
    variants: Mapping | None = None,
) -> Checkout:
    """Authorise every part's payment (or take it, when it was opened as a sale), then place the
    orders. Outside any transaction. ``parts``, the payments ``opened`` with them (shop id ->
    event) and the ``drops`` and ``variants`` of the lines come from ``checkout_complete``; a
    retry reads the parts again."""
    parts = parts if parts is not None else _parts(checkout)
    # Shop id -> a successful answer of the provider, recorded with the order it pays for: one
    # transaction, and one "payment.captured", once the order exists. Any other way out of
    # here records it first, on its own.
    answers: dict[int, ProviderAnswer] = {}
    try:
        unfinished = _pay_parts(checkout, parts, opened or {}, return_url, answers)
    except BaseException:
        _record_answers(parts, answers)
        raise
    if unfinished is not None:
        _record_answers(parts, answers)
        return unfinished
    return _place_orders(checkout, parts=parts, drops=drops, variants=variants, answers=answers)


def _pay_parts(
    checkout: Checkout,
    parts: list[CheckoutPart],
    opened: Mapping,
    return_url: str,
    answers: dict[int, ProviderAnswer],
) -> Checkout | None:
    """Authorise (or take) each part's payment; None when every one succeeded (the answers of
    the payments opened by this request are left in ``answers``), else the checkout as it
    stands (waiting for the shopper's extra step, or for a twin request)."""
    for part in parts:
        if part.payment is not None and part.payment.status in (
            PaymentStatus.AUTHORIZED,
            PaymentStatus.CAPTURED,
        ):
            continue
        if part.payment is not None and part.payment.status == PaymentStatus.REQUIRES_ACTION:
            return _set_status(checkout, CheckoutStatus.REQUIRES_ACTION)
        event = opened.get(part.shop_id)
        if event is not None:
            answer = payment_call(
                payment=part.payment,
                event=event,
                payment_method_token=checkout.payment_token,
                return_url=return_url,
            )
            if answer.succeeded:
                answers[part.shop_id] = answer
                continue
            payment = payment_record(answer=answer)
        else:
            payment = payment_authorize(
                provider=checkout.provider,
                amount=part.total,
                currency=part.currency,
                payment_method_token=checkout.payment_token,
                idempotency_key=_payment_key(checkout, part.shop_id),
                description=_("Order at %(shop)s") % {"shop": part.shop.name},
                metadata={"checkout": checkout.uid.hex},
                return_url=return_url,
            )
            if part.payment_id != payment.pk:
                CheckoutPart.objects.filter(pk=part.pk).update(payment=payment)
        part.payment = payment
        if payment.status == PaymentStatus.FAILED:
            _record_answers(parts, answers)  # what the others authorised is voided: known first
            _fail(checkout, payment.failure_text or _("The payment did not go through."))
        if payment.status == PaymentStatus.REQUIRES_ACTION:
            return _set_status(checkout, CheckoutStatus.REQUIRES_ACTION)
        if payment.status not in (PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED):
            return checkout  # in flight in a twin request: it finishes the checkout
    return None


def _record_answers(parts: list[CheckoutPart], answers: dict[int, ProviderAnswer]) -> None:
    """Record, each in a transaction of its own, the successful answers not recorded yet, when
    the checkout does not place its orders now: every answer is recorded, whatever happens."""
    for part in parts:
        answer = answers.pop(part.shop_id, None)
        if answer is not None:
            part.payment = payment_record(answer=answer)


def _set_status(checkout: Checkout, status: str) -> Checkout:
    Checkout.objects.filter(pk=checkout.pk).exclude(
        status__in=[CheckoutStatus.COMPLETED, CheckoutStatus.FAILED]
    ).update(status=status, updated_at=timezone.now())
    checkout.refresh_from_db()
    return checkout


def _fail(checkout: Checkout, message: str, *, error: DomainError | None = None) -> None:
    """Void what was authorised, give back the held stock, mark the checkout failed, raise the
    error for the shopper."""
    checkout_release(buyer=checkout.buyer)
    drop_ids = [
        d.pk
        for d in drop_for_variants(
            variant_ids=[int(v) for part in checkout.parts.all() for v in part.lines]
        ).values()
    ]
    if drop_ids:
        drop_ticket_done(drop_ids=drop_ids, user=checkout.buyer)
    Checkout.objects.filter(
        pk=checkout.pk, status__in=[CheckoutStatus.PROCESSING, CheckoutStatus.REQUIRES_ACTION]
    ).update(status=CheckoutStatus.FAILED, failure_message=message[:500], payment_token="")
    for part in _parts(checkout):
        try:
            if part.payment is not None and part.payment.status in (
                PaymentStatus.AUTHORIZED,
                PaymentStatus.REQUIRES_ACTION,
            ):
                payment_void(payment=part.payment)
            elif part.payment is not None and part.payment.status == PaymentStatus.CAPTURED:
                # A one-step sale whose order could not be placed: give the money back.
                payment_refund(
                    payment=part.payment,
                    amount=part.payment.amount_captured,
                    idempotency_key=f"{_payment_key(checkout, part.shop_id)}-not-placed",
                )
        except DomainError:
            logger.warning(
                "checkout %s: voiding or refunding payment %s failed",
                checkout.uid,
                part.payment_id,
            )
    raise error or PaymentDeclined(message)


def _place_orders(
    checkout: Checkout,
    *,
    parts: list[CheckoutPart] | None = None,
    drops: Mapping | None = None,
    variants: Mapping | None = None,
    answers: dict[int, ProviderAnswer] | None = None,
) -> Checkout:
    """One transaction: complete the checkout (its row's lock makes a twin request wait, then
    find it completed), record the provider's ``answers`` (shop id -> answer, for ``parts``),
    place every shop's order with its payment, and allocate the stock last, just before the
    commit. Then capture what was only authorised. Should the transaction fail, the answers are
    recorded on their own before anything else."""
    answers = answers or {}
    try:
        try:
            lock_payments = False
            for attempt in range(3):
                try:
                    parts, bought, used_drops = _place_in_one_transaction(
                        checkout, parts, drops, variants, answers, lock_payments=lock_payments
                    )
                    break
                except (OrderNumberTaken, PaymentChanged) as exc:
                    # Run again: another order number is drawn; a payment that changed while
                    # its answer was on the way is read, locked, first.
                    lock_payments = lock_payments or isinstance(exc, PaymentChanged)
                    if attempt == 2:
                        raise
        except BaseException:
            _record_answers(parts or [], answers)
            raise
    except DropLimitReached as exc:
        _fail(checkout, exc.message, error=exc)
    except (InsufficientStock, CheckoutStale) as exc:
        if isinstance(exc, InsufficientStock):
            _remember_sold_out(exc)
        changes = getattr(exc, "changes", [exc.message])
        _fail(
            checkout,
            exc.message,
            error=CheckoutStale(
                _("Some items sold out while you were paying. You have not been charged."),
                changes=changes,
            ),
        )
    if parts is None:
        checkout.refresh_from_db()
        return checkout
    _release_unbought(checkout.buyer, bought)
    if used_drops:
        drop_ticket_done(drop_ids=[d.pk for d in used_drops], user=checkout.buyer)
    for part in parts:
        if part.shop_id in answers:
            continue  # recorded with its order: "payment.captured" went out after the commit
        if part.payment is not None and part.payment.status == PaymentStatus.CAPTURED:
            # A sale was captured before its order existed: those who act on a captured
            # payment's orders (the paid message in a chat, ...) hear it again now that the
            # order is there. Handlers are idempotent; the orders' own sees it paid already.
            events.publish("payment.captured", payment_id=part.payment_id)
    _after_completion(checkout, parts)
    # The answer names the parts' orders: hand them over as if prefetched (no query again).
    cached = CheckoutPart.objects.filter(checkout=checkout).order_by("pk")
    cached._result_cache, cached._prefetch_done = parts, True
    checkout._prefetched_objects_cache = {"parts": cached}
    return checkout


def _place_in_one_transaction(
    checkout: Checkout,
    parts: list[CheckoutPart] | None,
    drops: Mapping | None,
    variants: Mapping | None,
    answers: dict[int, ProviderAnswer],
    *,
    lock_payments: bool = False,
) -> tuple[list[CheckoutPart] | None, dict[int, int], list]:
    """The placement transaction of ``_place_orders``: (the parts placed, or None when a twin
    request finished the checkout; the units bought per variant id; the drops claimed).
    ``lock_payments``: read and lock each payment before recording its answer (see
    ``payment_record``)."""
    with transaction.atomic():
        now = timezone.now()
        done = {"status": CheckoutStatus.COMPLETED, "completed_at": now, "updated_at": now}
        if not checkout.save_card:  # the token is needed after commit only to save the card
            done["payment_token"] = ""
        won = (
            Checkout.objects.filter(pk=checkout.pk)
            .exclude(status__in=[CheckoutStatus.COMPLETED, CheckoutStatus.FAILED])
            .update(**done)
        )
        if parts is not None and answers:
            # The provider's answers (the payment's lock lasts until the commit below).
            for part in parts:
                answer = answers.get(part.shop_id)
                if answer is not None:
                    part.payment = payment_record(answer=answer, lock=lock_payments)
        if not won:
            return None, {}, []  # a twin request finished (or failed) it: answer as it stands
        for name, value in done.items():
            setattr(checkout, name, value)
        parts = parts if parts is not None else _parts(checkout)
        bought = _place_parts(checkout, parts, variants)
        used_drops = _drop_claims(checkout.buyer, bought, drops)
        # Last: the stock rows stay locked only until the commit that follows (no savepoint
        # to release in between). One call for every shop's lines locks the rows in one
        # primary-key order (no deadlock between carts) and turns the buyer's holds into the
        # allocation; what they held and did not buy is given back after the commit.
        stock_allocate(lines=bought, owner=reservation_owner(checkout.buyer), savepoint=False)
    return parts, bought, used_drops


def _place_parts(
    checkout: Checkout, parts: list[CheckoutPart], variants: Mapping | None
) -> dict[int, int]:
    """Place each part's order with its payment (inside the placement transaction); the units
    bought, per variant id. ``variants``: those the request priced already, if any."""
    bought: dict[int, int] = {}
    for part in parts:
        quantities = {int(vid): qty for vid, qty in part.lines.items()}
        try:
            order = order_place(
                shop=part.shop,
                buyer=checkout.buyer,
                lines=list(quantities.items()),
                shipping_amount=part.shipping,
                tax_rate_bp=part.shop.tax_rate_bp,
                address={k: v for k, v in checkout.address.items() if not k.startswith("_")},
                email=checkout.email,
                idempotency_key=_payment_key(checkout, part.shop_id),
                attribution=checkout.attribution,
                post_id=checkout.post_id,
                allocate=False,  # by the caller, last, for every shop at once
                payment=part.payment,
                variants=variants,
            )
        except ValidationError as exc:
            if exc.field != "payment":
                raise
            order = None
        if order is None or order.total != part.total:
            raise CheckoutStale(
                _("Your order changed since you looked. Check it and pay again."),
                changes=[_("A price changed while you were paying.")],
            )
        part.order = order
        row_update(CheckoutPart, part.pk, {"order": order.pk})
        for vid, qty in quantities.items():
            bought[vid] = bought.get(vid, 0) + qty
    if checkout.source == CheckoutSource.CART:
        CartLine.objects.filter(cart__user=checkout.buyer, variant_id__in=list(bought)).delete()
    if checkout.address.get("_save"):
        address_create(
            user=checkout.buyer,
            data={k: v for k, v in checkout.address.items() if not k.startswith("_")},
        )
    return bought


def _release_unbought(buyer: User, bought: dict[int, int]) -> None:
    """After the placement: give back what the buyer held and did not buy. The cache says what
    the checkout held; when it held only what was bought there is nothing to ask the database."""
    held = cache.get(_holds_key(buyer))
    if held is not None and set(held) <= set(bought):
        cache.delete(_holds_key(buyer))
    else:
        checkout_release(buyer=buyer)


def _drop_claims(buyer: User, bought: dict[int, int], known: Mapping | None = None) -> list:
    """Count the units bought of each drop against the buyer's limit (inside the placement
    transaction: a second checkout of the same buyer at the same time cannot pass it too).
    ``known``: variant id -> drop (or None) when the caller has them loaded already."""
    units: dict[int, int] = {}
    drops = {}
    if known is None or not set(bought) <= set(known):
        known = drop_for_variants(variant_ids=list(bought))
    for variant_id, drop in known.items():
        if drop is None or variant_id not in bought:
            continue
        drops[drop.pk] = drop
        units[drop.pk] = units.get(drop.pk, 0) + bought[variant_id]
    for drop_id in sorted(drops):
        drop_claim(drop=drops[drop_id], user=buyer, units=units[drop_id])
    return list(drops.values())


def _after_completion(checkout: Checkout, parts: list[CheckoutPart]) -> None:
    """Capture the payments that were only authorised and save the card. Outside any
    transaction; each step idempotent."""
    for part in parts:
        if part.payment is not None and part.payment.status == PaymentStatus.AUTHORIZED:
            try:
                payment = payment_capture(payment=part.payment)
            except DomainError as exc:
                # The order stays "awaiting payment" with the failure on its timeline; staff see it.
                logger.warning("checkout %s: capture failed: %s", checkout.uid, exc)
                continue
            part.payment = payment
            if part.order_id is not None:
                # The payment.captured event does the same after commit; both are idempotent.
                order_mark_paid(order_id=part.order_id, payment_id=payment.pk)
                part.order.refresh_from_db(fields=["status", "paid_at", "updated_at"])
    if checkout.save_card and checkout.payment_token:
        try:
            payment_method_save(
                user=checkout.buyer, token=checkout.payment_token, provider=checkout.provider
            )
        except DomainError as exc:
            logger.info("checkout %s: the card was not saved: %s", checkout.uid, exc)
        Checkout.objects.filter(pk=checkout.pk).update(payment_token="")


def checkout_next_action(*, checkout: Checkout) -> tuple[CheckoutPart, Payment] | None:
    """The part whose payment waits for the shopper's extra step, and its payment."""
    for part in _parts(checkout):
        if part.payment is not None and part.payment.status == PaymentStatus.REQUIRES_ACTION:
            return part, part.payment
    return None


def checkout_confirm(
    *, checkout: Checkout, confirmation_token: str, return_url: str = ""
) -> Checkout:
    """The shopper did the extra step a card asked for: confirm that payment and go on."""
    if checkout.status != CheckoutStatus.REQUIRES_ACTION:
        if checkout.status == CheckoutStatus.FAILED:
            raise PaymentDeclined(checkout.failure_message or _("The payment did not go through."))
        return checkout
    waiting = checkout_next_action(checkout=checkout)
    if waiting is None:
        return _advance(checkout, return_url=return_url)
    _part, payment = waiting
    payment = payment_confirm(
        payment=payment, confirmation_token=confirmation_token, return_url=return_url
    )
    if payment.status == PaymentStatus.FAILED:
        _fail(checkout, payment.failure_text or _("The payment did not go through."))
    _set_status(checkout, CheckoutStatus.PROCESSING)
    return _advance(checkout, return_url=return_url)


def checkout_abandon(*, checkout: Checkout) -> None:
    """The shopper gave up on the extra step: void what was authorised. Idempotent."""
    if checkout.status in (CheckoutStatus.PROCESSING, CheckoutStatus.REQUIRES_ACTION):
        with contextlib.suppress(PaymentDeclined):
            _fail(checkout, _("You cancelled the payment."))


__all__ = [
    "AddressChoice",
    "PaymentChoice",
    "Quote",
    "cart_add",
    "cart_choose_shipping",
    "cart_get_or_create",
    "cart_line_remove",
    "cart_line_update",
    "cart_merge",
    "checkout_abandon",
    "checkout_complete",
    "checkout_confirm",
    "checkout_hold",
    "checkout_next_action",
    "checkout_release",
    "checkout_start",
    "shipping_method_create",
    "shipping_method_delete",
    "shipping_method_update",
]
