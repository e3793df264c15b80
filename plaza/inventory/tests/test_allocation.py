import random

import pytest
from django.db import connection

from plaza.catalog.tests.factories import make_product
from plaza.core.exceptions import ValidationError
from plaza.core.testing import requires_postgres, run_together
from plaza.inventory.exceptions import InsufficientStock
from plaza.inventory.models import Stock
from plaza.inventory.selectors import stock_available_for_variants
from plaza.inventory.services import (
    stock_allocate,
    stock_deallocate,
    stock_restock,
    stock_ship,
)


def _stock(variant):
    return Stock.objects.get(variant=variant)


@pytest.mark.django_db
def test_stock_allocate_promises_units_of_several_shops_at_once(shop, other_shop):
    # given
    mine = make_product(shop, stock=5).variants.get()
    theirs = make_product(other_shop, stock=2).variants.get()
    # when
    stock_allocate(lines={mine.pk: 3, theirs.pk: 2})
    # then
    assert stock_available_for_variants(variant_ids=[mine.pk, theirs.pk]) == {
        mine.pk: 2,
        theirs.pk: 0,
    }


@pytest.mark.django_db
def test_stock_allocate_names_every_short_line_and_changes_nothing(shop):
    # given
    product = make_product(shop, sizes=("41", "42", "43"), stock=2)
    a, b, c = product.variants.order_by("pk")
    # when
    with pytest.raises(InsufficientStock, match=rf"{b.sku}: 2 left.*{c.sku}: 2 left") as error:
        stock_allocate(lines={a.pk: 1, b.pk: 3, c.pk: 5})
    # then
    assert error.value.shortages == {b.pk: 2, c.pk: 2}
    assert list(Stock.objects.order_by("pk").values_list("allocated", flat=True)) == [0, 0, 0]


@pytest.mark.django_db
def test_stock_allocate_refuses_a_variant_without_stock(shop):
    variant = make_product(shop).variants.get()
    with pytest.raises(InsufficientStock, match="0 left"):
        stock_allocate(lines={variant.pk: 1})


@pytest.mark.django_db
@pytest.mark.parametrize("quantity", [0, -1, 1.5, True])
def test_stock_allocate_refuses_a_quantity_that_is_not_a_positive_whole_number(shop, quantity):
    variant = make_product(shop, stock=5).variants.get()
    with pytest.raises(ValidationError, match="whole number above zero"):
        stock_allocate(lines={variant.pk: quantity})


@pytest.mark.django_db
def test_shipping_takes_units_off_the_shelf_and_restock_puts_them_back(shop):
    # given
    variant = make_product(shop, stock=5).variants.get()
    stock_allocate(lines={variant.pk: 2})
    # when
    stock_ship(lines={variant.pk: 2})
    # then
    assert (_stock(variant).quantity, _stock(variant).allocated) == (3, 0)
    stock_restock(lines={variant.pk: 1})
    assert (_stock(variant).quantity, _stock(variant).allocated) == (4, 0)


@pytest.mark.django_db
def test_deallocate_gives_back_promised_units(shop):
    variant = make_product(shop, stock=5).variants.get()
    stock_allocate(lines={variant.pk: 4})
    stock_deallocate(lines={variant.pk: 4})
    assert stock_available_for_variants(variant_ids=[variant.pk]) == {variant.pk: 5}


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_buyers_never_get_more_units_than_there_are(shop):
    # given: 10 units, 40 buyers of one unit each, all at the same instant
    assert connection.vendor == "postgresql"
    variant = make_product(shop, stock=10).variants.get()
    # when
    results = run_together(40, lambda i: stock_allocate(lines={variant.pk: 1}))
    # then
    refused = [r for r in results if isinstance(r, InsufficientStock)]
    assert [r for r in results if isinstance(r, Exception) and r not in refused] == []
    assert len(results) - len(refused) == 10
    stock = _stock(variant)
    assert (stock.quantity, stock.allocated) == (10, 10)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_carts_over_two_shops_in_random_order_neither_deadlock_nor_lose_units(
    shop, other_shop
):
    # given: six variants in two shops, 8 units each; carts name them in random order
    variants = [
        v
        for s in (shop, other_shop)
        for v in make_product(s, sizes=("S", "M", "L"), stock=8).variants.all()
    ]
    rng = random.Random(7)
    carts = [
        {v.pk: rng.randint(1, 2) for v in rng.sample(variants, rng.randint(2, 6))}
        for _ in range(30)
    ]
    # when
    results = run_together(len(carts), lambda i: stock_allocate(lines=carts[i]))
    # then: every cart either got all its units or none, and nothing else went wrong
    unexpected = [
        r for r in results if isinstance(r, Exception) and not isinstance(r, InsufficientStock)
    ]
    assert unexpected == []
    promised: dict[int, int] = {}
    for cart, result in zip(carts, results, strict=True):
        if result is None:
            for variant_id, quantity in cart.items():
                promised[variant_id] = promised.get(variant_id, 0) + quantity
    for variant in variants:
        stock = _stock(variant)
        assert stock.allocated == promised.get(variant.pk, 0) <= stock.quantity == 8
