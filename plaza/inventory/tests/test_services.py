import pytest
from django.db import IntegrityError

from plaza.catalog.tests.factories import make_product
from plaza.core.exceptions import NotFound, ValidationError
from plaza.inventory.models import Stock
from plaza.inventory.selectors import stock_available_for_variants
from plaza.inventory.services import stock_bulk_set

pytestmark = pytest.mark.django_db


def test_stock_bulk_set_creates_and_updates_stock_at_the_default_location(shop):
    product = make_product(shop, sizes=("41", "42"))
    a, b = product.variants.all()
    stock_bulk_set(shop=shop, quantities={a.pk: 3, b.pk: 0})
    stock_bulk_set(shop=shop, quantities={a.pk: 5})
    assert stock_available_for_variants(variant_ids=[a.pk, b.pk]) == {a.pk: 5, b.pk: 0}


def test_stock_bulk_set_refuses_negative_and_changes_nothing(shop):
    variant = make_product(shop, stock=4).variants.get()
    with pytest.raises(ValidationError, match="negative"):
        stock_bulk_set(shop=shop, quantities={variant.pk: -1})
    assert Stock.objects.get().quantity == 4


def test_stock_bulk_set_refuses_another_shops_variant(shop, other_shop):
    theirs = make_product(other_shop).variants.get()
    with pytest.raises(NotFound):
        stock_bulk_set(shop=shop, quantities={theirs.pk: 10})


def test_database_refuses_allocating_more_than_the_quantity(shop):
    make_product(shop, stock=2)
    with pytest.raises(IntegrityError):
        Stock.objects.update(allocated=3)
