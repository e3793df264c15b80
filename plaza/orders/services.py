"""Every write to orders.

Rules every function here keeps:

- Stock changes (allocate, deallocate, ship, restock) happen inside the order's own
  transaction, so an order and its stock never disagree.
- The order row is locked with ``select_for_update`` before its status changes; one order at a
  time, so no lock-order issue between orders.
- No payment provider call happens inside a transaction: ``payments.services`` runs its own
  short durable transactions. Voids go out in ``transaction.on_commit``; refunds are called
  between two short transactions of ours.
- E-mails leave only after commit.
"""

import logging
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from plaza.accounts.models import Address, Membership, Shop, StaffRole
from plaza.catalog.models import ProductStatus, Variant
from plaza.core.exceptions import DomainError, ValidationError
from plaza.core.money import MAX_AMOUNT
from plaza.core.sql import rows_insert
from plaza.inventory.services import (
    drop_claims_return,
    stock_allocate,
    stock_deallocate,
    stock_restock,
    stock_ship,
)
from plaza.orders.exceptions import OrderNumberTaken, OrderStateError
from plaza.orders.models import (
    ActorType,
    Fulfillment,
    Order,
    OrderEvent,
    OrderEventKind,
    OrderLine,
    OrderStatus,
    Refund,
    RefundStatus,
)
from plaza.payments.models import Payment, PaymentStatus
from plaza.payments.services import payment_refund, payment_void

logger = logging.getLogger("plaza.orders")
User = get_user_model()

ADDRESS_FIELDS = (
    "full_name",
    "line1",
    "line2",
    "city",
    "region",
    "postal_code",
    "country",
    "phone",
)
REQUIRED_ADDRESS_FIELDS = ("full_name", "line1", "city", "country")
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "utm_id")
# Ad-platform click identifiers kept from the landing URL (see specs/channels.md, section 8).
CLICK_ID_PARAMS = (
    "fbclid",
    "gclid",
    "gbraid",
    "wbraid",
    "dclid",
    "msclkid",
    "ttclid",
    "twclid",
    "li_fat_id",
    "epik",
    "sccid",
    "rdt_cid",
    "igshid",
)
MAX_TAX_RATE_BP = 10_000  # 100 %
# Crockford's base32 without the letters people confuse (I, L, O, U).
_NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def inclusive_tax(total: int, rate_bp: int) -> int:
    """The tax included in ``total`` at the inclusive rate ``rate_bp`` (basis points):
    ``round(total * rate / (1 + rate))`` in minor units, halves rounded up."""
    denominator = 10_000 + rate_bp
    return (2 * total * rate_bp + denominator) // (2 * denominator)


def _new_number() -> str:
    raw = "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def _event(
    order: Order,
    kind: str,
    *,
    actor: Any = None,
    actor_type: str = ActorType.SYSTEM,
    message: str = "",
    data: dict | None = None,
) -> OrderEvent:
    return OrderEvent.objects.create(
        order=order,
        kind=kind,
        actor_type=actor_type,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        message=message[:500],
        data=data or {},
    )


def _staff_actor(by: Any) -> dict:
    return {"actor": by, "actor_type": ActorType.STAFF if by is not None else ActorType.SYSTEM}


# --- placement -------------------------------------------------------------------------------


def _clean_address(address: Address | Mapping[str, Any]) -> dict[str, str]:
    if isinstance(address, Address):
        data = {name: getattr(address, name) for name in ADDRESS_FIELDS}
    else:
        data = {name: str(address.get(name) or "").strip() for name in ADDRESS_FIELDS}
    for name in REQUIRED_ADDRESS_FIELDS:
        if not data[name]:
            raise ValidationError(_("The shipping address is incomplete."), field=name)
    data["country"] = data["country"].upper()
    if len(data["country"]) != 2:
        raise ValidationError(_("Choose a country."), field="country")
    limits = {f.name: f.max_length for f in Order._meta.fields if f.name in ADDRESS_FIELDS}
    for name, value in data.items():
        if len(value) > limits[name]:
            raise ValidationError(_("This address field is too long."), field=name)
    return data


def _clean_attribution(attribution: Mapping[str, Any] | None) -> dict[str, Any]:
    attribution = attribution or {}
    clean: dict[str, Any] = {
        name: str(attribution.get(name) or "").strip()[:200] for name in UTM_FIELDS
    }
    click_ids = attribution.get("click_ids") or {}
    source = {**{k: attribution.get(k) for k in CLICK_ID_PARAMS}, **dict(click_ids)}
    clean["click_ids"] = {
        name: str(value)[:500]
        for name, value in source.items()
        if name in CLICK_ID_PARAMS and value
    }
    landing_url = str(attribution.get("landing_url") or "").strip()
    clean["landing_url"] = landing_url if landing_url.startswith(("http://", "https://")) else ""
    clean["landing_url"] = clean["landing_url"][:2000]
    return clean


def _clean_lines(lines: list[tuple[int, int]]) -> dict[int, int]:
    if not lines:
        raise ValidationError(_("An order needs at least one item."), field="lines")
    clean: dict[int, int] = {}
    for line in lines:
        try:
            variant_id, quantity = int(line[0]), line[1]
        except (TypeError, ValueError, IndexError):
            raise ValidationError(_("An item of the order is not valid."), field="lines") from None
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            raise ValidationError(
                _("A quantity must be a whole number above zero."), field="quantity"
            )
        clean[variant_id] = clean.get(variant_id, 0) + quantity
    return clean


def _clean_amount(value: Any, *, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_AMOUNT:
        raise ValidationError(_("Enter an amount of zero or more."), field=field)
    return value


def order_place(
    *,
    shop: Shop,
    buyer: Any,
    lines: list[tuple[int, int]],
    shipping_amount: int,
    tax_rate_bp: int,
    address: Address | Mapping[str, Any],
    email: str,
    idempotency_key: str | None = None,
    attribution: Mapping[str, Any] | None = None,
    post_id: int | None = None,
    discount_amount: int = 0,
    reservation_owner: str | None = None,
    allocate: bool = True,
    payment: Payment | None = None,
    variants: Mapping[int, Variant] | None = None,
) -> Order:
    """Place one shop's order: validate, price from the variants' current prices, allocate
    stock, store the order, its lines and a "placed" event — all in one transaction. With
    ``reservation_owner``, the units that holder reserved become the order's allocation.
    ``allocate=False`` is for a caller that allocates the same lines itself, later in the same
    transaction (checkout does, last, so the stock rows stay locked for the shortest time).
    ``payment`` is the payment checkout took for the order (it must match the total), stored
    with the order as ``order_attach_payment`` would: a captured one makes the order paid at
    once, a failed one goes on the timeline. ``variants`` (id -> variant with its product), when
    the caller loaded the lines' variants in the same request, spares reading them again.

    The same ``idempotency_key`` for the same buyer returns the order placed with it, without
    allocating again. With ``allocate=False`` the order is written in the caller's transaction
    without a savepoint, and the caller must hold a lock that makes a second placement with the
    key impossible (checkout holds its checkout's row): a used key then raises IntegrityError,
    and an order number drawn twice OrderNumberTaken; either breaks the caller's transaction
    (run it again after OrderNumberTaken: another number is drawn). Raises ValidationError for bad input (variants of another shop or not for
    sale, quantities not above zero) and InsufficientStock naming every short line; either way
    nothing is written. Never calls the payment provider. Confirmation e-mails to the shopper and
    the shop's staff leave after commit.
    """
    buyer = buyer if getattr(buyer, "is_authenticated", False) else None
    key = (idempotency_key or "").strip()[:200] or None
    if buyer is not None and key is not None and allocate:
        existing = Order.objects.filter(buyer=buyer, idempotency_key=key).first()
        if existing is not None:
            return existing
    quantities = _clean_lines(lines)
    shipping_amount = _clean_amount(shipping_amount, field="shipping_amount")
    discount_amount = _clean_amount(discount_amount, field="discount_amount")
    if isinstance(tax_rate_bp, bool) or not isinstance(tax_rate_bp, int):
        raise ValidationError(_("Enter a tax rate."), field="tax_rate_bp")
    if not 0 <= tax_rate_bp <= MAX_TAX_RATE_BP:
        raise ValidationError(_("The tax rate must be between 0 and 100 %."), field="tax_rate_bp")
    address_data = _clean_address(address)
    email = (email or "").strip()
    try:
        validate_email(email)
    except DjangoValidationError:
        raise ValidationError(_("Enter a valid e-mail address."), field="email") from None
    attribution_data = _clean_attribution(attribution)

    try:
        # With allocate=False the caller's own transaction holds this one's changes: no
        # savepoint of our own (its key cannot be taken meanwhile: see checkout's placement).
        with transaction.atomic(savepoint=allocate):
            order = _place(
                shop=shop,
                buyer=buyer,
                quantities=quantities,
                shipping_amount=shipping_amount,
                discount_amount=discount_amount,
                tax_rate_bp=tax_rate_bp,
                address_data=address_data,
                email=email,
                key=key,
                attribution_data=attribution_data,
                post_id=post_id,
                reservation_owner=reservation_owner,
                allocate=allocate,
                payment=payment,
                variants=variants,
            )
    except IntegrityError:
        # A concurrent retry with the same key won the race: its order is the answer.
        if buyer is not None and key is not None and allocate:
            existing = Order.objects.filter(buyer=buyer, idempotency_key=key).first()
            if existing is not None:
                return existing
        raise
    # The e-mails are due with the order (``mails_due``, in its transaction): the periodic
    # sender sends them within seconds, from a worker (or the embedded ticker), never from the
    # shopper's request, and a mail server or broker that is down delays them, loses none.
    return order


def _number_taken(exc: IntegrityError) -> bool:
    """Was it the order number's uniqueness (not the idempotency key's) that failed?"""
    constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
    if constraint is not None:  # PostgreSQL names it
        return constraint == "orders_order_number_key"
    return "orders_order.number" in str(exc)  # SQLite: "UNIQUE constraint failed: ..."


def _create_with_a_free_number(fields: dict, *, buyer: Any, key: str | None) -> Order:
    """Insert the order under a freshly drawn number, drawing again while one is taken."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Order.objects.create(number=_new_number(), **fields)
        except IntegrityError:
            if key is not None and Order.objects.filter(buyer=buyer, idempotency_key=key).exists():
                raise
    raise IntegrityError("could not draw a free order number")


def _place(
    *,
    shop: Shop,
    buyer: Any,
    quantities: dict[int, int],
    shipping_amount: int,
    discount_amount: int,
    tax_rate_bp: int,
    address_data: dict,
    email: str,
    key: str | None,
    attribution_data: dict,
    post_id: int | None,
    reservation_owner: str | None = None,
    allocate: bool = True,
    payment: Payment | None = None,
    variants: Mapping[int, Variant] | None = None,
) -> Order:
    if variants is None or not set(quantities) <= set(variants):
        variants = Variant.objects.select_related("product").filter(
            pk__in=list(quantities), shop=shop, product__status=ProductStatus.ACTIVE
        )
    else:
        variants = [variants[vid] for vid in quantities]
    variants = {
        v.pk: v
        for v in variants
        if v.shop_id == shop.pk and v.product.status == ProductStatus.ACTIVE
    }
    missing = [variant_id for variant_id in quantities if variant_id not in variants]
    if missing:
        raise ValidationError(
            _("Some items are not for sale in this shop any more."), field="lines"
        )
    subtotal = sum(variants[vid].price * qty for vid, qty in quantities.items())
    if discount_amount > subtotal + shipping_amount:
        raise ValidationError(
            _("The discount cannot be larger than the order."), field="discount_amount"
        )
    total = subtotal + shipping_amount - discount_amount
    if total > MAX_AMOUNT:
        raise ValidationError(_("This order is too large."), field="lines")
    if payment is not None and (payment.amount != total or payment.currency != shop.currency):
        raise ValidationError(_("The payment does not match the order total."), field="payment")
    attached = payment if payment is not None and payment.status != PaymentStatus.FAILED else None
    paid = attached is not None and attached.status == PaymentStatus.CAPTURED
    if allocate:
        # InsufficientStock leaves the atomic block: nothing stays.
        stock_allocate(lines=quantities, owner=reservation_owner)
    now = timezone.now()
    fields = {
        "shop": shop,
        "buyer": buyer,
        "currency": shop.currency,
        "subtotal": subtotal,
        "shipping": shipping_amount,
        "discount": discount_amount,
        "tax": inclusive_tax(total, tax_rate_bp),
        "tax_rate_bp": tax_rate_bp,
        "total": total,
        "email": email,
        "post_id": post_id,
        "placed_at": now,
        "idempotency_key": key,
        "payment": attached,
        "status": OrderStatus.PAID if paid else OrderStatus.AWAITING_PAYMENT,
        "paid_at": now if paid else None,
        "mails_due": True,
        **address_data,
        **attribution_data,
    }
    if allocate:
        order = _create_with_a_free_number(fields, buyer=buyer, key=key)
    else:
        # In the caller's transaction, without a savepoint: a number drawn twice (about once
        # in 10**12 orders) breaks that transaction, which the caller runs again.
        order = Order(number=_new_number(), **fields)
        try:
            rows_insert([order])
        except IntegrityError as exc:
            if _number_taken(exc):
                raise OrderNumberTaken(str(exc)) from exc
            raise
    # Written out (plaza.core.sql): the placement is the hot path of a drop, and the ORM's
    # building of these inserts cost more CPU than PostgreSQL's answer.
    rows_insert(
        [
            OrderLine(
                order=order,
                variant=variants[vid],
                product_title=variants[vid].product.title,
                variant_title=variants[vid].title,
                sku=variants[vid].sku,
                unit_price=variants[vid].price,
                quantity=qty,
                line_total=variants[vid].price * qty,
            )
            for vid, qty in quantities.items()
        ]
    )
    timeline = [
        OrderEvent(
            order=order,
            kind=OrderEventKind.PLACED,
            actor_type=ActorType.SHOPPER,
            actor=buyer,
            data={"total": total, "currency": order.currency},
        )
    ]
    if paid:
        timeline.append(
            OrderEvent(
                order=order,
                kind=OrderEventKind.PAID,
                actor_type=ActorType.SYSTEM,
                data={"payment_id": payment.pk, "amount": payment.amount},
            )
        )
    elif payment is not None and attached is None:
        timeline.append(
            OrderEvent(
                order=order,
                kind=OrderEventKind.PAYMENT_FAILED,
                actor_type=ActorType.SYSTEM,
                data={"payment_id": payment.pk},
            )
        )
    rows_insert(timeline)
    return order


# --- payment ---------------------------------------------------------------------------------


@transaction.atomic
def order_attach_payment(*, order: Order, payment: Payment) -> Order:
    """Link the payment checkout took for this order (after ``payment_authorize``; this makes
    no provider call, so it may run inside the caller's transaction).

    Idempotent for the same payment. A failed payment is not attached: the failure goes on the
    timeline and the order keeps awaiting payment, so the shopper can pay again. Refuses a
    payment of another amount or currency, and a second payment while a live one is attached.
    When the payment is captured already the order becomes paid at once. Locks the order row.
    """
    order = Order.objects.select_for_update(of=("self",)).select_related("payment").get(pk=order.pk)
    if order.payment_id == payment.pk:
        return order
    if payment.amount != order.total or payment.currency != order.currency:
        raise ValidationError(_("The payment does not match the order total."), field="payment")
    if payment.status == PaymentStatus.FAILED:
        _record_payment_failed(order, payment.pk)
        return order
    if order.payment_id is not None and order.payment.status != PaymentStatus.FAILED:
        raise OrderStateError(_("This order already has a payment."))
    order.payment = payment
    order.save(update_fields=["payment", "updated_at"])
    if payment.status == PaymentStatus.CAPTURED:
        _mark_paid(order, payment)
    return order


def _mark_paid(order: Order, payment: Payment) -> bool:
    if order.paid_at is not None or order.status != OrderStatus.AWAITING_PAYMENT:
        return False
    order.status = OrderStatus.PAID
    order.paid_at = timezone.now()
    order.save(update_fields=["status", "paid_at", "updated_at"])
    _event(order, OrderEventKind.PAID, data={"payment_id": payment.pk, "amount": payment.amount})
    return True


@transaction.atomic
def order_mark_paid(*, order_id: int, payment_id: int) -> Order | None:
    """Mark the order paid once its attached payment is captured. Idempotent: a second call
    (a repeated event) changes nothing. Returns None when no order has this payment."""
    order = (
        Order.objects.select_for_update(of=("self",))
        .select_related("payment")
        .filter(pk=order_id, payment_id=payment_id)
        .first()
    )
    if order is None:
        return None
    if order.payment.status in (
        PaymentStatus.CAPTURED,
        PaymentStatus.PARTIALLY_REFUNDED,
        PaymentStatus.REFUNDED,
    ):
        _mark_paid(order, order.payment)
    return order


@transaction.atomic
def order_payment_failed(*, order_id: int, payment_id: int) -> Order | None:
    """Record on the timeline that the payment failed; the order keeps awaiting payment so the
    shopper can pay again. Idempotent per payment."""
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is not None:
        _record_payment_failed(order, payment_id)
    return order


def _record_payment_failed(order: Order, payment_id: int) -> None:
    if order.status != OrderStatus.AWAITING_PAYMENT:
        return
    if order.events.filter(
        kind=OrderEventKind.PAYMENT_FAILED, data__payment_id=payment_id
    ).exists():
        return
    _event(order, OrderEventKind.PAYMENT_FAILED, data={"payment_id": payment_id})


def on_payment_captured(*, payment_id: int, **_payload: Any) -> None:
    """Handler of ``payment.captured``: the orders paid by this payment become paid (those that
    are paid already are left alone: the event may come again)."""
    # Written out: it runs after every sale, whose order was placed paid (usually nothing to do).
    table = connection.ops.quote_name(Order._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {table} WHERE payment_id = %s AND paid_at IS NULL",  # noqa: S608
            [payment_id],
        )
        unpaid = [row[0] for row in cursor.fetchall()]
    for order_id in unpaid:
        order_mark_paid(order_id=order_id, payment_id=payment_id)


def on_payment_failed(*, payment_id: int, **_payload: Any) -> None:
    """Handler of ``payment.failed``."""
    for order_id in Order.objects.filter(payment_id=payment_id).values_list("pk", flat=True):
        order_payment_failed(order_id=order_id, payment_id=payment_id)


# --- cancel, fulfil ----------------------------------------------------------------------------


def _lock_order(order: Order) -> Order:
    return Order.objects.select_for_update().get(pk=order.pk)


def _unshipped(lines: list[OrderLine]) -> dict[int, int]:
    """variant id -> units still allocated to these lines (not given back by a refund)."""
    quantities: dict[int, int] = {}
    for line in lines:
        remaining = line.quantity - line.quantity_restocked
        if line.variant_id is not None and remaining > 0:
            quantities[line.variant_id] = quantities.get(line.variant_id, 0) + remaining
    return quantities


def order_cancel(*, order: Order, by: Any) -> Order:
    """Cancel an order that has not been fulfilled: its stock goes back (deallocated) in the
    order's transaction. After commit, its payment is voided (authorised) or refunded (captured),
    outside any transaction; a provider error then is logged on the timeline."""
    with transaction.atomic():
        order = _lock_order(order)
        if not order.can_cancel:
            raise OrderStateError(_("Only orders that have not been fulfilled can be cancelled."))
        quantities = _unshipped(list(order.lines.all()))
        if quantities:
            stock_deallocate(lines=quantities)
            if order.buyer_id is not None:
                drop_claims_return(user_id=order.buyer_id, lines=quantities)
        order.status = OrderStatus.CANCELLED
        order.cancelled_at = timezone.now()
        order.save(update_fields=["status", "cancelled_at", "updated_at"])
        _event(order, OrderEventKind.CANCELLED, **_staff_actor(by))
        if order.payment_id is not None:
            order_id, payment_id = order.pk, order.payment_id
            transaction.on_commit(
                lambda: _release_payment(order_id=order_id, payment_id=payment_id), robust=True
            )
    return order


def _release_payment(*, order_id: int, payment_id: int) -> None:
    """After a cancellation: give the money back. Runs outside any transaction."""
    payment = Payment.objects.get(pk=payment_id)
    try:
        if payment.status in (PaymentStatus.AUTHORIZED, PaymentStatus.REQUIRES_ACTION):
            payment_void(payment=payment)
        elif payment.status in (PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED):
            remaining = payment.amount_captured - payment.amount_refunded
            if remaining > 0:
                payment_refund(
                    payment=payment, amount=remaining, idempotency_key=f"order-{order_id}-cancel"
                )
    except DomainError as exc:
        logger.warning("order %s: releasing payment %s failed: %s", order_id, payment_id, exc)
        OrderEvent.objects.create(
            order_id=order_id,
            kind=OrderEventKind.NOTE,
            actor_type=ActorType.SYSTEM,
            message=_("The payment could not be released: %(reason)s") % {"reason": exc.message},
            data={"payment_id": payment_id},
        )


def order_fulfil(
    *, order: Order, by: Any, carrier: str, tracking_number: str, tracking_url: str = ""
) -> Fulfillment:
    """Ship a paid order in one go: its allocated units leave stock (stock_ship), a fulfilment
    records the carrier and tracking number, the order becomes fulfilled. One transaction, the
    order row locked."""
    carrier = (carrier or "").strip()
    tracking_number = (tracking_number or "").strip()
    tracking_url = (tracking_url or "").strip()
    if not carrier:
        raise ValidationError(_("Name the carrier."), field="carrier")
    if len(carrier) > 100 or len(tracking_number) > 100:
        raise ValidationError(_("This value is too long."), field="tracking_number")
    if tracking_url and not tracking_url.startswith(("http://", "https://")):
        raise ValidationError(
            _("Enter a web address starting with https://."), field="tracking_url"
        )
    with transaction.atomic():
        order = _lock_order(order)
        if not order.can_fulfil:
            raise OrderStateError(_("Only paid orders that have not shipped can be fulfilled."))
        quantities = _unshipped(list(order.lines.all()))
        if quantities:
            stock_ship(lines=quantities)
        fulfillment = Fulfillment.objects.create(
            order=order,
            carrier=carrier,
            tracking_number=tracking_number,
            tracking_url=tracking_url[:500],
            created_by=by,
        )
        order.status = OrderStatus.FULFILLED
        order.fulfilled_at = timezone.now()
        order.save(update_fields=["status", "fulfilled_at", "updated_at"])
        _event(
            order,
            OrderEventKind.FULFILLED,
            data={"carrier": carrier, "tracking_number": tracking_number},
            **_staff_actor(by),
        )
    return fulfillment


# --- refunds -----------------------------------------------------------------------------------


def order_refund_lines(*, order: Order, by: Any, lines: Mapping[int, int], restock: bool) -> Refund:
    """Refund some units of some lines: ``amount = sum(unit_price * quantity)``.

    Three steps, never a provider call inside a transaction: (1) a short transaction checks the
    lines under the order's lock and writes a pending Refund; (2) ``payment_refund`` is called
    with an idempotency key derived from the Refund's id; (3) on success, a second transaction
    records the refunded quantities, restocks when asked (stock_restock after fulfilment,
    stock_deallocate before it, and the restocked units of drops go back to the buyer's limit)
    and sets the status. When the provider refuses, the pending Refund is deleted, the
    provider's error is raised and nothing else is recorded.
    """
    wanted: dict[int, int] = {}
    for line_id, quantity in (lines or {}).items():
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            raise ValidationError(
                _("A quantity must be a whole number of zero or more."), field="lines"
            )
        if quantity:
            wanted[int(line_id)] = quantity
    if not wanted:
        raise ValidationError(_("Choose at least one item to refund."), field="lines")

    with transaction.atomic():
        order = _lock_order(order)
        if not order.can_refund or order.payment_id is None:
            raise OrderStateError(_("Only paid orders can be refunded."))
        order_lines = {line.pk: line for line in order.lines.filter(pk__in=list(wanted))}
        if set(order_lines) != set(wanted):
            raise ValidationError(_("Some items are not part of this order."), field="lines")
        pending = _pending_quantities(order)
        for line_id, quantity in wanted.items():
            line = order_lines[line_id]
            if quantity > line.quantity_refundable - pending.get(line_id, 0):
                raise ValidationError(
                    _("You can refund at most %(n)s of %(item)s.")
                    % {"n": line.quantity_refundable - pending.get(line_id, 0), "item": line.sku},
                    field="lines",
                )
        amount = sum(order_lines[lid].unit_price * qty for lid, qty in wanted.items())
        refund = Refund.objects.create(
            order=order,
            amount=amount,
            lines={str(lid): qty for lid, qty in wanted.items()},
            restock=restock,
            created_by=by,
        )

    try:
        payment_refund(
            payment=order.payment, amount=amount, idempotency_key=f"order-refund-{refund.pk}"
        )
    except DomainError:
        Refund.objects.filter(pk=refund.pk, status=RefundStatus.PENDING).delete()
        raise

    with transaction.atomic():
        order = _lock_order(order)
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.status == RefundStatus.SUCCEEDED:
            return refund
        _apply_refund(order, refund, by)
    return refund


def _pending_quantities(order: Order) -> dict[int, int]:
    pending: dict[int, int] = {}
    for refund_lines in Refund.objects.filter(order=order, status=RefundStatus.PENDING).values_list(
        "lines", flat=True
    ):
        for line_id, quantity in refund_lines.items():
            pending[int(line_id)] = pending.get(int(line_id), 0) + quantity
    return pending


def _apply_refund(order: Order, refund: Refund, by: Any) -> None:
    wanted = {int(lid): qty for lid, qty in refund.lines.items()}
    order_lines = list(order.lines.select_for_update().order_by("pk"))
    back: dict[int, int] = {}
    for line in order_lines:
        quantity = wanted.get(line.pk, 0)
        if not quantity:
            continue
        line.quantity_refunded += quantity
        fields = ["quantity_refunded"]
        if refund.restock and line.variant_id is not None:
            line.quantity_restocked += quantity
            fields.append("quantity_restocked")
            back[line.variant_id] = back.get(line.variant_id, 0) + quantity
        line.save(update_fields=fields)
    if back:
        if order.fulfilled_at is not None:
            stock_restock(lines=back)
        else:
            stock_deallocate(lines=back)
        if order.buyer_id is not None:
            # Only what is restocked: a refund that keeps the units away keeps them counted.
            # Each unit once: a refund is applied once, and a cancel later skips restocked units.
            drop_claims_return(user_id=order.buyer_id, lines=back)
    everything = all(line.quantity_refunded == line.quantity for line in order_lines)
    order.status = OrderStatus.REFUNDED if everything else OrderStatus.PARTIALLY_REFUNDED
    order.save(update_fields=["status", "updated_at"])
    refund.status = RefundStatus.SUCCEEDED
    refund.save(update_fields=["status"])
    _event(
        order,
        OrderEventKind.REFUNDED,
        data={"amount": refund.amount, "lines": refund.lines, "restock": refund.restock},
        **_staff_actor(by),
    )


# --- e-mails ---------------------------------------------------------------------------------


def _render_mail(template: str, context: dict, language: str) -> tuple[str, str, str]:
    with translation.override(language):
        subject = render_to_string(f"orders/email/{template}_subject.txt", context).strip()
        text = render_to_string(f"orders/email/{template}.txt", context)
        html = render_to_string(f"orders/email/{template}.html", context)
    return " ".join(subject.split()), text, html


MAILS_PER_RUN = 200
# How long a sender's claim on an order's e-mails holds. A sender that dies after claiming
# (a worker killed, a machine lost) leaves them to the first run after that: the e-mails go out
# at least once. Far above a run's time (at most MAILS_PER_RUN orders).
MAILS_LEASE = timedelta(minutes=10)


def order_send_due_mails(*, limit: int = MAILS_PER_RUN) -> int:
    """Send the e-mails of the orders placed since the last run (the periodic task): claimed in
    one short transaction for ``MAILS_LEASE`` (rows another sender holds, or claimed less than
    that ago, are passed over), then sent outside it, each order done as soon as its e-mails are
    out. An order whose mail server could not be reached is due again at the next run. Returns
    how many orders' e-mails went out."""
    now = timezone.now()
    with transaction.atomic():
        claimed = list(
            Order.objects.select_for_update(skip_locked=True)
            .filter(mails_due=True)
            .filter(Q(mails_claimed_until__isnull=True) | Q(mails_claimed_until__lt=now))
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        Order.objects.filter(pk__in=claimed).update(mails_claimed_until=now + MAILS_LEASE)
    sent = 0
    for order_id in claimed:
        try:
            order_send_placed_emails(order_id=order_id)
        except OSError:
            logger.warning("order %s: the e-mails could not be sent; next run", order_id)
            Order.objects.filter(pk=order_id).update(mails_claimed_until=None)
            continue
        except Exception:  # noqa: BLE001 - one order's broken mail must not stop the others
            # Not the mail server: it would fail again at every run, so it is given up, logged.
            logger.exception("order %s: the e-mails failed", order_id)
        else:
            sent += 1
        Order.objects.filter(pk=order_id).update(mails_due=False, mails_claimed_until=None)
    return sent


def order_send_placed_emails(*, order_id: int) -> None:
    """The order confirmation to the shopper (in their language) and the new-order alert to the
    shop's owners and managers (in the shop's language). Called after commit."""
    order = Order.objects.select_related("shop", "buyer").prefetch_related("lines").get(pk=order_id)
    lines = list(order.lines.all())
    shopper_language = (order.buyer.language if order.buyer else "") or order.shop.language
    context = {"order": order, "lines": lines, "shop": order.shop}
    subject, text, html = _render_mail("order_confirmation", context, shopper_language)
    send_mail(subject, text, None, [order.email], html_message=html)
    staff_emails = sorted(
        Membership.objects.filter(
            shop=order.shop, role__in=[StaffRole.OWNER, StaffRole.MANAGER]
        ).values_list("user__email", flat=True)
    )
    if staff_emails:
        subject, text, html = _render_mail("order_staff_alert", context, order.shop.language)
        send_mail(subject, text, None, staff_emails, html_message=html)
