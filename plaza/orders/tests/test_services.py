from unittest import mock

import pytest
from django.db import IntegrityError, transaction

from plaza.catalog.tests.factories import make_product
from plaza.core.exceptions import ValidationError
from plaza.inventory.exceptions import InsufficientStock
from plaza.inventory.selectors import stock_level_for_variant
from plaza.orders.exceptions import OrderStateError
from plaza.orders.models import Order, OrderEvent, OrderEventKind, OrderLine, OrderStatus, Refund
from plaza.orders.services import (
    inclusive_tax,
    order_attach_payment,
    order_cancel,
    order_fulfil,
    order_place,
    order_refund_lines,
)
from plaza.orders.tests.factories import ADDRESS, pay, place_order
from plaza.payments.exceptions import PaymentRefused
from plaza.payments.gateways.base import GatewayResult, Outcome
from plaza.payments.gateways.testing import TestGateway
from plaza.payments.models import PaymentStatus
from plaza.payments.services import payment_capture
from plaza.payments.tests.factories import DECLINED, authorize

pytestmark = pytest.mark.django_db


def _variant(shop, *, price=50_000, stock=10, **kwargs):
    return make_product(shop, price=price, stock=stock, **kwargs).variants.get()


def _level(variant):
    return stock_level_for_variant(variant_id=variant.pk)


def _place_raw(shop, buyer, lines):
    return order_place(
        shop=shop,
        buyer=buyer,
        lines=lines,
        shipping_amount=0,
        tax_rate_bp=0,
        address=ADDRESS,
        email="a@b.test",
    )


def test_order_place_computes_and_stores_totals_from_current_prices(shop, shopper):
    # given
    shoes = _variant(shop, price=50_000, title="Runner")
    socks = _variant(shop, price=2_500)
    # when
    order = place_order(
        shop, shopper, [(shoes, 2), (socks, 3)], shipping_amount=15_000, tax_rate_bp=1_200
    )
    # then
    order.refresh_from_db()
    assert order.subtotal == 107_500, "subtotal is the sum of unit price × quantity"
    assert order.total == 122_500, "total adds shipping"
    assert order.tax == round(122_500 * 0.12 / 1.12), "tax is the inclusive share of the total"
    assert order.currency == "PHP"
    assert order.status == OrderStatus.AWAITING_PAYMENT
    lines = {line.sku: line for line in order.lines.all()}
    assert lines[shoes.sku].product_title == "Runner"
    assert lines[shoes.sku].line_total == 100_000
    assert order.events.get().kind == OrderEventKind.PLACED
    assert _level(shoes).allocated == 2, "placement allocates the stock"


def test_inclusive_tax_rounds_half_up_in_minor_units():
    assert inclusive_tax(112, 1_200) == 12
    assert inclusive_tax(0, 1_200) == 0
    assert inclusive_tax(1_000, 0) == 0
    assert inclusive_tax(105, 500) == 5


def test_order_place_keeps_attribution_and_post(shop, shopper):
    # given
    variant = _variant(shop)
    attribution = {
        "utm_source": "instagram",
        "utm_campaign": "drop-1",
        "fbclid": "IwAR123",
        "click_ids": {"ttclid": "tt-9", "bogus": "x"},
        "landing_url": "https://plaza.test/s/kicks/?utm_source=instagram",
    }
    # when
    order = place_order(shop, shopper, [(variant, 1)], attribution=attribution, post_id=42)
    # then
    order.refresh_from_db()
    assert order.utm_source == "instagram" and order.utm_campaign == "drop-1"
    assert order.click_ids == {"fbclid": "IwAR123", "ttclid": "tt-9"}, "only known click ids"
    assert order.post_id == 42
    assert order.landing_url.startswith("https://plaza.test/")


def test_order_totals_must_add_up_in_the_database(shop, shopper):
    # given
    order = place_order(shop, shopper, [(_variant(shop), 1)])
    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.filter(pk=order.pk).update(total=1)


def test_order_place_with_the_same_key_returns_the_existing_order(shop, shopper):
    # given
    variant = _variant(shop, stock=5)
    first = place_order(shop, shopper, [(variant, 2)], idempotency_key="cart-7")
    # when
    again = place_order(shop, shopper, [(variant, 2)], idempotency_key="cart-7")
    # then
    assert again.pk == first.pk
    assert Order.objects.count() == 1
    assert _level(variant).allocated == 2, "a retried placement allocates nothing more"


def test_order_place_refuses_short_stock_naming_the_lines_and_writes_nothing(shop, shopper):
    # given
    plenty = _variant(shop, stock=10)
    short = _variant(shop, stock=1)
    # when
    with pytest.raises(InsufficientStock, match=f"{short.sku}: 1 left"):
        place_order(shop, shopper, [(plenty, 2), (short, 3)])
    # then
    assert not Order.objects.exists() and not OrderLine.objects.exists()
    assert _level(plenty).allocated == 0, "the other line's allocation was undone"


def test_order_place_refuses_another_shops_variant(shop, other_shop, shopper):
    # given
    foreign = _variant(other_shop)
    # when / then
    with pytest.raises(ValidationError, match="not for sale in this shop"):
        place_order(shop, shopper, [(foreign, 1)])
    assert not Order.objects.exists()


def test_order_place_refuses_a_quantity_of_zero(shop, shopper):
    with pytest.raises(ValidationError, match="above zero"):
        place_order(shop, shopper, [(_variant(shop), 0)])


def test_captured_payment_event_marks_the_order_paid_once(
    shop, shopper, django_capture_on_commit_callbacks
):
    # given
    order = place_order(shop, shopper, [(_variant(shop), 1)])
    pay_attached = pay(order, capture=False)
    assert pay_attached.status == OrderStatus.AWAITING_PAYMENT
    payment = pay_attached.payment
    # when
    with django_capture_on_commit_callbacks(execute=True):
        payment_capture(payment=payment)
    with django_capture_on_commit_callbacks(execute=True):
        payment_capture(payment=payment)  # a replay publishes nothing new, or the same event
    from plaza.orders.services import on_payment_captured

    on_payment_captured(payment_id=payment.pk)  # a repeated event
    # then
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.paid_at is not None
    assert order.events.filter(kind=OrderEventKind.PAID).count() == 1, "paid only once"


def test_failed_payment_is_recorded_and_the_order_keeps_awaiting_payment(shop, shopper):
    # given
    order = place_order(shop, shopper, [(_variant(shop), 1)])
    # when
    from plaza.orders.services import order_payment_failed

    order_payment_failed(order_id=order.pk, payment_id=99)
    order_payment_failed(order_id=order.pk, payment_id=99)
    # then
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert order.events.filter(kind=OrderEventKind.PAYMENT_FAILED).count() == 1


def test_order_cancel_returns_stock_and_voids_the_payment_after_commit(
    shop, owner, shopper, django_capture_on_commit_callbacks
):
    # given
    variant = _variant(shop, stock=5)
    order = pay(place_order(shop, shopper, [(variant, 2)]), capture=False)
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        order_cancel(order=order, by=owner)
    # then
    order.payment.refresh_from_db()
    assert order.payment.status == PaymentStatus.AUTHORIZED, "nothing is voided before commit"
    for callback in callbacks:
        callback()
    order.refresh_from_db()
    order.payment.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.payment.status == PaymentStatus.VOIDED, "the payment is voided after commit"
    assert _level(variant).allocated == 0, "the stock is back"
    event = order.events.get(kind=OrderEventKind.CANCELLED)
    assert event.actor == owner and event.actor_type == "staff"


def test_order_cancel_refunds_a_captured_payment_after_commit(
    shop, owner, shopper, django_capture_on_commit_callbacks
):
    # given
    order = pay(place_order(shop, shopper, [(_variant(shop), 1)]))
    # when
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=order, by=owner)
    # then
    order.payment.refresh_from_db()
    assert order.payment.status == PaymentStatus.REFUNDED


def test_order_cancel_refuses_a_fulfilled_order(shop, owner, shopper):
    # given
    order = pay(place_order(shop, shopper, [(_variant(shop), 1)]))
    order_fulfil(order=order, by=owner, carrier="LBC", tracking_number="123")
    # when / then
    with pytest.raises(OrderStateError, match="not been fulfilled"):
        order_cancel(order=order, by=owner)


def test_order_fulfil_ships_the_stock(shop, owner, shopper):
    # given
    variant = _variant(shop, stock=5)
    order = pay(place_order(shop, shopper, [(variant, 2)]))
    # when
    fulfillment = order_fulfil(order=order, by=owner, carrier="LBC", tracking_number="LBC-1")
    # then
    order.refresh_from_db()
    level = _level(variant)
    assert (level.quantity, level.allocated) == (3, 0), "two units left the shelf"
    assert order.status == OrderStatus.FULFILLED and order.fulfilled_at is not None
    assert fulfillment.tracking_number == "LBC-1"
    assert order.events.filter(kind=OrderEventKind.FULFILLED, actor=owner).exists()


def test_order_fulfil_refuses_an_unpaid_order(shop, owner, shopper):
    order = place_order(shop, shopper, [(_variant(shop), 1)])
    with pytest.raises(OrderStateError, match="Only paid orders"):
        order_fulfil(order=order, by=owner, carrier="LBC", tracking_number="1")


def test_partial_refund_with_restock_after_fulfilment_puts_units_back(shop, owner, shopper):
    # given
    variant = _variant(shop, price=10_000, stock=5)
    order = pay(place_order(shop, shopper, [(variant, 3)]))
    order_fulfil(order=order, by=owner, carrier="LBC", tracking_number="1")
    line = order.lines.get()
    # when
    refund = order_refund_lines(order=order, by=owner, lines={line.pk: 1}, restock=True)
    # then
    order.refresh_from_db()
    line.refresh_from_db()
    order.payment.refresh_from_db()
    assert refund.amount == 10_000, "amount is unit price × quantity"
    assert order.payment.amount_refunded == 10_000
    assert (line.quantity_refunded, line.quantity_restocked) == (1, 1)
    assert order.status == OrderStatus.PARTIALLY_REFUNDED
    assert _level(variant).quantity == 3, "5 - 3 shipped + 1 restocked"


def test_refund_without_restock_before_fulfilment_keeps_stock_allocated(shop, owner, shopper):
    # given
    variant = _variant(shop, price=10_000, stock=5)
    order = pay(place_order(shop, shopper, [(variant, 2)]))
    line = order.lines.get()
    # when
    order_refund_lines(order=order, by=owner, lines={line.pk: 2}, restock=False)
    # then
    order.refresh_from_db()
    line.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED, "every unit refunded"
    assert line.quantity_restocked == 0
    assert _level(variant).allocated == 2, "no restock: the units stay allocated"


def test_refund_with_restock_before_fulfilment_deallocates(shop, owner, shopper):
    # given
    variant = _variant(shop, price=10_000, stock=5)
    order = pay(place_order(shop, shopper, [(variant, 2)]))
    line = order.lines.get()
    # when
    order_refund_lines(order=order, by=owner, lines={line.pk: 1}, restock=True)
    # then
    assert _level(variant).allocated == 1


def test_refund_refused_by_the_provider_records_nothing(shop, owner, shopper):
    # given
    variant = _variant(shop, price=10_000, stock=5)
    order = pay(place_order(shop, shopper, [(variant, 2)]))
    line = order.lines.get()
    refused = GatewayResult(status=Outcome.FAILED, decline_code="card_declined")
    # when
    with (
        mock.patch.object(TestGateway, "refund", return_value=refused),
        pytest.raises(PaymentRefused),
    ):
        order_refund_lines(order=order, by=owner, lines={line.pk: 1}, restock=True)
    # then
    order.refresh_from_db()
    line.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert line.quantity_refunded == 0 and not Refund.objects.exists()
    assert not OrderEvent.objects.filter(kind=OrderEventKind.REFUNDED).exists()
    assert _level(variant).allocated == 2, "stock unchanged"


def test_refund_refuses_more_than_was_bought(shop, owner, shopper):
    order = pay(place_order(shop, shopper, [(_variant(shop), 1)]))
    line = order.lines.get()
    with pytest.raises(ValidationError, match="at most 1"):
        order_refund_lines(order=order, by=owner, lines={line.pk: 2}, restock=False)


def test_cancelling_a_refunded_unshipped_order_releases_the_units_not_restocked(
    shop, owner, shopper, django_capture_on_commit_callbacks
):
    # given
    variant = _variant(shop, price=10_000, stock=5)
    order = pay(place_order(shop, shopper, [(variant, 3)]))
    line = order.lines.get()
    order_refund_lines(order=order, by=owner, lines={line.pk: 1}, restock=True)
    order_refund_lines(order=order, by=owner, lines={line.pk: 2}, restock=False)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=order, by=owner)
    # then
    order.refresh_from_db()
    order.payment.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert _level(variant).allocated == 0, "1 restocked by the refund + 2 released by the cancel"
    assert order.payment.amount_refunded == order.total == 45_000, (
        "the cancel refunds the rest (shipping), nothing twice"
    )


def test_a_declined_payment_is_recorded_and_another_payment_can_follow(shop, shopper):
    # given
    order = place_order(shop, shopper, [(_variant(shop), 1)])
    declined = authorize(number=DECLINED, amount=order.total, currency=order.currency)
    # when
    order_attach_payment(order=order, payment=declined)
    paid = pay(order)
    # then
    assert paid.status == OrderStatus.PAID, "the second payment went through"
    assert paid.payment_id != declined.pk
    failed = paid.events.get(kind=OrderEventKind.PAYMENT_FAILED)
    assert failed.data == {"payment_id": declined.pk}


def test_a_payment_of_another_amount_is_refused(shop, shopper):
    order = place_order(shop, shopper, [(_variant(shop), 1)])
    payment = authorize(amount=order.total + 1, currency=order.currency)
    with pytest.raises(ValidationError, match="does not match the order total"):
        order_attach_payment(order=order, payment=payment)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"email": "not-an-address"}, "valid e-mail"),
        ({"address": {"full_name": "Maria"}}, "address is incomplete"),
        ({"shipping_amount": -1}, "zero or more"),
        ({"tax_rate_bp": 20_000}, "between 0 and 100"),
    ],
)
def test_order_place_refuses_bad_input_and_writes_nothing(shop, shopper, changes, message):
    # given
    variant = _variant(shop)
    # when
    with pytest.raises(ValidationError, match=message):
        place_order(shop, shopper, [(variant, 1)], **changes)
    # then
    assert not Order.objects.exists()
    assert _level(variant).allocated == 0


def test_order_place_refuses_a_line_that_is_not_a_variant_id(shop, shopper):
    with pytest.raises(ValidationError, match="not valid"):
        _place_raw(shop, shopper, [("abc", 1)])
