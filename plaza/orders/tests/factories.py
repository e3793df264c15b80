"""Orders built through the services, as checkout builds them."""

import itertools

from plaza.orders.services import order_attach_payment, order_place
from plaza.payments.services import payment_capture
from plaza.payments.tests.factories import authorize

_keys = itertools.count(1)

ADDRESS = {
    "full_name": "Maria Santos",
    "line1": "12 Mabini St",
    "city": "Makati",
    "region": "Metro Manila",
    "postal_code": "1200",
    "country": "PH",
    "phone": "+63 917 000 0000",
}


def place_order(shop, buyer, lines, *, shipping_amount=15_000, tax_rate_bp=1_200, **kwargs):
    """An order of ``lines`` [(variant, quantity)] placed by ``buyer``."""
    kwargs.setdefault("email", getattr(buyer, "email", "") or "guest@plaza.test")
    kwargs.setdefault("idempotency_key", f"order-{next(_keys)}")
    kwargs.setdefault("address", ADDRESS)
    kwargs.setdefault("attribution", {})
    return order_place(
        shop=shop,
        buyer=buyer,
        lines=[(variant.pk, quantity) for variant, quantity in lines],
        shipping_amount=shipping_amount,
        tax_rate_bp=tax_rate_bp,
        **kwargs,
    )


def pay(order, *, capture=True):
    """Authorise (and capture) a test-card payment for the order and attach it."""
    payment = authorize(amount=order.total, currency=order.currency)
    order_attach_payment(order=order, payment=payment)
    if capture:
        payment = payment_capture(payment=payment)
        from plaza.orders.services import order_mark_paid

        order_mark_paid(order_id=order.pk, payment_id=payment.pk)
    order.refresh_from_db()
    return order
