"""Races proven on PostgreSQL with real threads (skipped on SQLite unless services are required)."""

import pytest
from django.db import connection

from plaza.catalog.tests.factories import make_product
from plaza.core.testing import requires_postgres, run_together
from plaza.inventory.exceptions import InsufficientStock
from plaza.inventory.selectors import stock_level_for_variant
from plaza.orders.models import Order
from plaza.orders.tests.factories import place_order


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_one_placement_make_one_order_and_allocate_once(shop, shopper):
    # given: the same checkout submitted 8 times at the same instant
    assert connection.vendor == "postgresql"
    variant = make_product(shop, stock=10).variants.get()
    # when
    results = run_together(
        8, lambda i: place_order(shop, shopper, [(variant, 2)], idempotency_key="tap-1").pk
    )
    # then
    assert [r for r in results if isinstance(r, Exception)] == []
    assert len(set(results)) == 1, "every retry got the same order"
    assert Order.objects.count() == 1
    assert stock_level_for_variant(variant_id=variant.pk).allocated == 2, "allocated once"


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_orders_for_the_last_units_never_oversell(shop, shopper):
    # given: 3 units, 10 shoppers' orders of one unit each at the same instant
    variant = make_product(shop, stock=3).variants.get()
    # when
    results = run_together(10, lambda i: place_order(shop, shopper, [(variant, 1)]).pk)
    # then
    refused = [r for r in results if isinstance(r, InsufficientStock)]
    assert [r for r in results if isinstance(r, Exception) and r not in refused] == []
    assert Order.objects.count() == 3 == len(results) - len(refused)
    assert stock_level_for_variant(variant_id=variant.pk).allocated == 3
