"""Drops: nothing sells before the release, each shopper within their limit, a fair line when
demand exceeds the queue size, and "sold out" answered from the cache after the last unit."""

from datetime import timedelta

import pytest
from django.utils import timezone

from plaza.accounts.tests.factories import UserFactory
from plaza.catalog.tests.factories import make_product
from plaza.checkout.models import Checkout
from plaza.checkout.selectors import quote_variants
from plaza.checkout.services import (
    cart_add,
    cart_get_or_create,
    checkout_hold,
    shipping_method_create,
    sold_out_known,
)
from plaza.checkout.tests.factories import buy_now
from plaza.core.testing import requires_postgres, run_together
from plaza.inventory.exceptions import DropLimitReached, DropNotOpen, DropQueued
from plaza.inventory.models import DropClaim, DropTicket
from plaza.inventory.selectors import stock_level_for_variant
from plaza.inventory.services import drop_set
from plaza.orders.models import Order
from plaza.orders.services import order_cancel, order_fulfil, order_refund_lines
from plaza.payments.models import Payment, PaymentStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def sneaker(shop):
    shipping_method_create(shop=shop, data={"name": "Standard", "price": 15_000})
    return make_product(shop, title="Jordan Drop", price=899_900, stock=5)


def variant_of(product):
    return product.variants.get()


def test_nothing_of_a_drop_sells_before_its_release(shopper, sneaker):
    # given
    drop_set(product=sneaker, release_at=timezone.now() + timedelta(hours=1))
    variant = variant_of(sneaker)
    # when / then
    with pytest.raises(DropNotOpen, match="This drop opens on"):
        cart_add(cart=cart_get_or_create(user=shopper), variant_id=variant.pk)
    with pytest.raises(DropNotOpen):
        checkout_hold(buyer=shopper, lines=[(variant.pk, 1)])
    with pytest.raises(DropNotOpen):
        buy_now(shopper, variant)
    assert not Payment.objects.exists() and not Order.objects.exists()
    assert stock_level_for_variant(variant_id=variant.pk).reserved == 0


def test_a_released_drop_sells_like_any_product(shopper, sneaker):
    drop_set(product=sneaker, release_at=timezone.now() - timedelta(seconds=1))
    checkout = buy_now(shopper, variant_of(sneaker))
    assert checkout.parts.get().order.status == "paid"


def test_a_shopper_buys_at_most_the_per_customer_limit(shopper, sneaker):
    # given
    drop_set(product=sneaker, release_at=timezone.now(), per_customer_limit=2)
    variant = variant_of(sneaker)
    buy_now(shopper, variant, quantity=2)
    # when / then
    with pytest.raises(DropLimitReached, match="limited to 2 units per customer"):
        buy_now(shopper, variant)
    assert Payment.objects.count() == 1, "the refused purchase charged nothing"
    assert DropClaim.objects.get(user=shopper).units == 2


def test_the_limit_says_how_many_more_the_shopper_may_buy(shopper, sneaker):
    drop_set(product=sneaker, release_at=timezone.now(), per_customer_limit=3)
    buy_now(shopper, variant_of(sneaker), quantity=2)
    with pytest.raises(DropLimitReached, match="you can buy 1 more"):
        buy_now(shopper, variant_of(sneaker), quantity=2)


def test_a_cancelled_order_gives_its_units_back_to_the_shoppers_limit(shopper, sneaker, owner):
    # given: the shopper bought the one unit the drop allows them
    drop_set(product=sneaker, release_at=timezone.now(), per_customer_limit=1)
    variant = variant_of(sneaker)
    order = buy_now(shopper, variant).parts.get().order
    # when: the shop cancels the order
    order_cancel(order=order, by=owner)
    # then: they may buy one again
    again = buy_now(shopper, variant).parts.get().order
    assert again.status == "paid"
    assert DropClaim.objects.get(user=shopper).units == 1
    with pytest.raises(DropLimitReached, match="you have it already"):
        buy_now(shopper, variant)


def test_a_refund_that_restocks_gives_only_the_restocked_units_back_to_the_limit(
    shopper, sneaker, owner
):
    # given: the shopper bought the two units the drop allows them; the order has shipped
    drop_set(product=sneaker, release_at=timezone.now(), per_customer_limit=2)
    variant = variant_of(sneaker)
    order = buy_now(shopper, variant, quantity=2).parts.get().order
    order_fulfil(order=order, by=owner, carrier="LBC", tracking_number="LBC-1")
    line = order.lines.get()
    # when: the shop refunds one of the two units and puts it back on the shelf
    order_refund_lines(order=order, by=owner, lines={line.pk: 1}, restock=True)
    # then: one unit, not two, is theirs to buy again
    assert DropClaim.objects.get(user=shopper).units == 1
    with pytest.raises(DropLimitReached, match="you can buy 1 more"):
        buy_now(shopper, variant, quantity=2)
    assert buy_now(shopper, variant).parts.get().order.status == "paid"


def test_a_refund_without_restock_keeps_the_units_counted_against_the_limit(
    shopper, sneaker, owner
):
    # given
    drop_set(product=sneaker, release_at=timezone.now(), per_customer_limit=1)
    variant = variant_of(sneaker)
    order = buy_now(shopper, variant).parts.get().order
    # when: the money goes back, the unit does not
    order_refund_lines(order=order, by=owner, lines={order.lines.get().pk: 1}, restock=False)
    # then
    assert DropClaim.objects.get(user=shopper).units == 1
    with pytest.raises(DropLimitReached, match="you have it already"):
        buy_now(shopper, variant)


def test_a_limit_set_after_the_release_counts_what_the_shopper_bought_already(
    shopper, sneaker, owner
):
    # given: an open drop without a limit; the shopper buys 2, then 1
    drop_set(product=sneaker, release_at=timezone.now())
    variant = variant_of(sneaker)
    first = buy_now(shopper, variant, quantity=2).parts.get().order
    buy_now(shopper, variant)
    # when: the shop limits the drop to 3 per customer
    drop_set(product=sneaker, release_at=timezone.now(), per_customer_limit=3)
    # then: the shopper has their 3; a cancelled order gives its 2 back, and no more
    with pytest.raises(DropLimitReached, match="you have them already"):
        buy_now(shopper, variant)
    order_cancel(order=first, by=owner)
    with pytest.raises(DropLimitReached, match="you can buy 2 more"):
        buy_now(shopper, variant, quantity=3)
    assert buy_now(shopper, variant, quantity=2).parts.get().order.status == "paid"
    assert DropClaim.objects.get(user=shopper).units == 3
    assert Payment.objects.filter(status=PaymentStatus.CAPTURED).count() == 3


def test_a_purchase_over_the_limit_on_its_own_is_refused_without_counting_it(shopper, sneaker):
    drop_set(product=sneaker, release_at=timezone.now(), per_customer_limit=2)
    with pytest.raises(DropLimitReached, match="you can buy 2 more"):
        buy_now(shopper, variant_of(sneaker), quantity=3)
    assert not DropClaim.objects.filter(user=shopper, units__gt=0).exists()


def test_refunds_and_a_cancel_of_one_order_give_its_units_back_once(shopper, sneaker, owner):
    # given: two orders of the shopper count 3 units against a limit of 3
    drop_set(product=sneaker, release_at=timezone.now(), per_customer_limit=3)
    variant = variant_of(sneaker)
    first = buy_now(shopper, variant, quantity=2).parts.get().order
    buy_now(shopper, variant)
    line = first.lines.get()
    # when: one unit of the first order is refunded and restocked, the other refunded alone,
    # then the first order is cancelled
    order_refund_lines(order=first, by=owner, lines={line.pk: 1}, restock=True)
    after_restock = DropClaim.objects.get(user=shopper).units
    order_refund_lines(order=first, by=owner, lines={line.pk: 1}, restock=False)
    after_refund = DropClaim.objects.get(user=shopper).units
    order_cancel(order=first, by=owner)
    # then: the first order's two units came back once each; the second order's unit stays
    assert (after_restock, after_refund) == (2, 2)
    assert DropClaim.objects.get(user=shopper).units == 1


def test_the_line_admits_shoppers_in_order_of_arrival(sneaker):
    # given: one shopper may check out at a time
    drop_set(product=sneaker, release_at=timezone.now(), queue_size=1)
    first, second, third = UserFactory(), UserFactory(), UserFactory()
    variant = variant_of(sneaker)
    # when
    checkout_hold(buyer=first, lines=[(variant.pk, 1)])
    with pytest.raises(DropQueued) as second_waits:
        checkout_hold(buyer=second, lines=[(variant.pk, 1)])
    with pytest.raises(DropQueued) as third_waits:
        checkout_hold(buyer=third, lines=[(variant.pk, 1)])
    buy_now(first, variant)  # the first one's turn ends: the next in line goes through
    with pytest.raises(DropQueued):
        checkout_hold(buyer=third, lines=[(variant.pk, 1)])
    held = checkout_hold(buyer=second, lines=[(variant.pk, 1)])
    # then
    assert (second_waits.value.position, third_waits.value.position) == (1, 2)
    assert "1 shopper is ahead of you" in str(second_waits.value.message)
    assert held is not None
    assert DropTicket.objects.filter(done_at__isnull=False).count() == 1


def test_a_turn_that_is_not_used_passes_to_the_next_after_the_hold_time(settings, sneaker):
    drop_set(product=sneaker, release_at=timezone.now(), queue_size=1)
    first, second = UserFactory(), UserFactory()
    variant = variant_of(sneaker)
    checkout_hold(buyer=first, lines=[(variant.pk, 1)])
    DropTicket.objects.filter(user=first).update(
        admitted_at=timezone.now() - timedelta(seconds=settings.PLAZA_RESERVATION_SECONDS + 1)
    )
    assert checkout_hold(buyer=second, lines=[(variant.pk, 1)]) is not None


def test_after_the_last_unit_sold_out_is_known_without_the_database(
    shopper, sneaker, django_assert_num_queries
):
    # given: the last units are held by someone else
    variant = variant_of(sneaker)
    checkout_hold(buyer=UserFactory(), lines=[(variant.pk, 5)])
    assert checkout_hold(buyer=shopper, lines=[(variant.pk, 1)]) is None
    # when / then
    with django_assert_num_queries(0):
        assert sold_out_known(variant_ids=[variant.pk])


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_one_shopper_checking_out_twice_at_once_stays_within_the_limit(shop):
    # given: a limit of 1; the same shopper presses Buy now in two tabs with two keys
    shipping_method_create(shop=shop, data={"name": "Standard", "price": 100})
    product = make_product(shop, stock=10)
    drop_set(product=product, release_at=timezone.now(), per_customer_limit=1)
    buyer = UserFactory()
    variant = product.variants.get()
    # when
    results = run_together(4, lambda i: buy_now(buyer, variant, key=f"tab-{i}").pk)
    # then
    assert Order.objects.filter(buyer=buyer).count() == 1
    assert DropClaim.objects.get(user=buyer).units == 1
    refused = [r for r in results if isinstance(r, Exception)]
    assert refused and all(isinstance(r, DropLimitReached) for r in refused), refused
    charged = Payment.objects.filter(status=PaymentStatus.CAPTURED).count()
    assert charged == 1, "the refused tabs' authorisations were voided"
    assert Checkout.objects.filter(status="completed").count() == 1


def test_a_shopper_holding_one_of_the_last_units_is_not_told_sold_out(shopper, sneaker):
    # given: the shopper holds 1, someone else the rest; a third shopper finds it sold out
    variant = variant_of(sneaker)
    checkout_hold(buyer=shopper, lines=[(variant.pk, 1)])
    checkout_hold(buyer=UserFactory(), lines=[(variant.pk, 4)])
    assert checkout_hold(buyer=UserFactory(), lines=[(variant.pk, 1)]) is None
    # when / then: the flag is up, but not for the holder, who pays
    assert sold_out_known(variant_ids=[variant.pk])
    assert not sold_out_known(variant_ids=[variant.pk], buyer=shopper)
    checkout = buy_now(shopper, variant)
    assert checkout.parts.get().order.status == "paid"


def test_a_quote_reads_its_variants_products_drops_and_shops_in_one_statement(
    shop, sneaker, django_assert_num_queries
):
    # given: a drop with two sizes, and a product of the same shop that is no drop
    two_sizes = make_product(
        shop, title="Court Classic", price=100_000, stock=4, sizes=("41", "42")
    )
    drop = drop_set(product=two_sizes, release_at=timezone.now(), per_customer_limit=2)
    ids = [v.pk for v in two_sizes.variants.all()] + [variant_of(sneaker).pk]
    # when
    with django_assert_num_queries(1):
        variants = quote_variants(variant_ids=ids, for_display=False)
        read = {
            pk: (v.product.title, getattr(v.product, "drop", None), v.shop.slug, v.product.shop)
            for pk, v in variants.items()
        }
    # then: every relation came with the one statement; a product's variants share it
    assert set(read) == set(ids)
    assert [read[pk][1] for pk in ids] == [drop, drop, None]
    assert {read[pk][2] for pk in ids} == {shop.slug}
    first, second = (variants[pk] for pk in ids[:2])
    assert first.product is second.product and first.shop is second.shop
    assert read[ids[0]][1].per_customer_limit == 2
