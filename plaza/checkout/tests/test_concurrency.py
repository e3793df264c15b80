"""Checkout races proven on PostgreSQL with real threads (skipped on SQLite unless services are
required, as in CI)."""

import pytest

from plaza.accounts.tests.factories import UserFactory
from plaza.catalog.tests.factories import make_product
from plaza.checkout.exceptions import CheckoutStale
from plaza.checkout.models import Checkout
from plaza.checkout.services import cart_add, cart_get_or_create
from plaza.checkout.tests.factories import buy_now, pay_cart, seal_for
from plaza.core.testing import requires_postgres, run_together
from plaza.inventory.selectors import stock_level_for_variant
from plaza.orders.models import Order
from plaza.payments.models import Payment, PaymentStatus


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_ten_identical_checkouts_at_once_make_one_order_and_one_charge(shop, other_shop, shopper):
    # given: a cart of two shops, "Pay" pressed ten times at the same instant
    cart = cart_get_or_create(user=shopper)
    cart_add(cart=cart, variant_id=make_product(shop, stock=5).variants.get().pk, quantity=2)
    cart_add(cart=cart, variant_id=make_product(other_shop, stock=5).variants.get().pk)
    seal = seal_for(cart=cart)
    # when
    results = run_together(10, lambda i: pay_cart(shopper, cart, key="pay-once", seal=seal).pk)
    # then
    assert [r for r in results if isinstance(r, Exception)] == []
    assert len(set(results)) == 1, "every request got the same checkout"
    assert Checkout.objects.count() == 1
    assert Order.objects.count() == 2, "one order per shop, once"
    assert Payment.objects.count() == 2
    assert set(Payment.objects.values_list("status", flat=True)) == {PaymentStatus.CAPTURED}


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_buyers_racing_for_the_last_units_never_oversell_and_losers_are_not_charged(shop):
    # given: 3 units, 12 buyers pressing "Buy now" at the same instant
    variant = make_product(shop, stock=3).variants.get()
    buyers = [UserFactory() for _ in range(12)]
    seal = seal_for(lines=[(variant.pk, 1, None)])
    # when
    results = run_together(12, lambda i: buy_now(buyers[i], variant, seal=seal).pk)
    # then
    refused = [r for r in results if isinstance(r, CheckoutStale)]
    assert [r for r in results if isinstance(r, Exception) and r not in refused] == []
    assert Order.objects.count() == 3 == len(results) - len(refused)
    level = stock_level_for_variant(variant_id=variant.pk)
    assert (level.quantity, level.allocated, level.available) == (3, 3, 0)
    captured = Payment.objects.filter(status=PaymentStatus.CAPTURED).count()
    assert captured == 3, "only the winners are charged"
    assert not Payment.objects.filter(status=PaymentStatus.AUTHORIZED).exists(), "no hold left"
