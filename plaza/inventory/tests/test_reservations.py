"""Holds on stock while shoppers check out: reserve, replace, expire, reclaim, allocate, release."""

from datetime import timedelta

import pytest
from django.utils import timezone

from plaza.catalog.tests.factories import make_product
from plaza.core.exceptions import ValidationError
from plaza.inventory.exceptions import InsufficientStock
from plaza.inventory.models import Reservation, Stock
from plaza.inventory.selectors import stock_available_for_variants, stock_level_for_variant
from plaza.inventory.services import (
    stock_allocate,
    stock_bulk_set,
    stock_release,
    stock_reservations_sweep,
    stock_reserve,
)

pytestmark = pytest.mark.django_db

TEN_MINUTES = timedelta(minutes=10)


@pytest.fixture
def variant(shop):
    return make_product(shop, stock=5).variants.get()


def available(variant, owner=None, now=None) -> int:
    return stock_available_for_variants(variant_ids=[variant.pk], owner=owner, now=now)[variant.pk]


def assert_ledger_adds_up(variant, now=None):
    """quantity = allocated + live reserved + available, and nothing below zero."""
    level = stock_level_for_variant(variant_id=variant.pk, now=now)
    assert level.quantity == level.allocated + level.reserved + level.available
    assert min(level.allocated, level.reserved, level.available) >= 0


def test_stock_reserve_holds_units_that_others_cannot_buy_but_the_holder_still_sees(variant):
    # when
    until = stock_reserve(owner="user:1", lines={variant.pk: 3}, ttl=TEN_MINUTES)
    # then
    assert until > timezone.now() + timedelta(minutes=9)
    assert available(variant) == 2
    assert available(variant, owner="user:1") == 5
    assert stock_level_for_variant(variant_id=variant.pk).reserved == 3
    assert_ledger_adds_up(variant)


def test_stock_reserve_refuses_another_shopper_when_the_rest_is_held(variant):
    # given
    stock_reserve(owner="user:1", lines={variant.pk: 4})
    # when / then
    with pytest.raises(InsufficientStock, match="1 left"):
        stock_reserve(owner="user:2", lines={variant.pk: 2})
    assert not Reservation.objects.filter(owner="user:2").exists()
    assert_ledger_adds_up(variant)


def test_a_new_hold_of_the_same_shopper_replaces_the_old_one(shop, variant):
    # given
    other = make_product(shop, stock=2).variants.get()
    stock_reserve(owner="user:1", lines={variant.pk: 4})
    # when
    stock_reserve(owner="user:1", lines={other.pk: 1, variant.pk: 1})
    # then
    assert available(variant) == 4
    assert available(other) == 1
    assert Reservation.objects.filter(owner="user:1").count() == 2


def test_an_expired_hold_is_available_again_without_any_sweep(variant):
    # given: the whole stock held, then the clock moves past the time to live
    stock_reserve(owner="user:1", lines={variant.pk: 5}, ttl=TEN_MINUTES)
    later = timezone.now() + TEN_MINUTES + timedelta(seconds=1)
    # when
    seen = available(variant, now=later)
    stock_reserve(owner="user:2", lines={variant.pk: 5}, now=later)
    # then
    assert seen == 5
    assert not Reservation.objects.filter(owner="user:1").exists(), "the expired hold reclaimed"
    assert Stock.objects.get(variant=variant).reserved == 5
    assert_ledger_adds_up(variant, now=later)


def test_allocating_turns_the_holders_reservation_into_the_order(variant):
    # given
    stock_reserve(owner="user:1", lines={variant.pk: 3})
    # when
    stock_allocate(lines={variant.pk: 3}, owner="user:1")
    # then
    stock = Stock.objects.get(variant=variant)
    assert (stock.allocated, stock.reserved) == (3, 0)
    assert not Reservation.objects.exists()
    assert available(variant) == 2


def test_allocating_without_a_hold_cannot_take_units_held_by_others(variant):
    stock_reserve(owner="user:1", lines={variant.pk: 4})
    with pytest.raises(InsufficientStock):
        stock_allocate(lines={variant.pk: 2})
    stock_allocate(lines={variant.pk: 1})
    assert Stock.objects.get(variant=variant).allocated == 1


def test_allocating_reclaims_expired_holds_of_others(variant):
    # given
    stock_reserve(owner="user:1", lines={variant.pk: 5}, now=timezone.now() - TEN_MINUTES * 2)
    # when
    stock_allocate(lines={variant.pk: 5})
    # then
    assert Stock.objects.get(variant=variant).allocated == 5
    assert not Reservation.objects.exists()
    assert_ledger_adds_up(variant)


def test_allocating_an_expired_own_hold_still_consumes_it(variant):
    stock_reserve(owner="user:1", lines={variant.pk: 2}, now=timezone.now() - TEN_MINUTES * 2)
    stock_allocate(lines={variant.pk: 2}, owner="user:1")
    stock = Stock.objects.get(variant=variant)
    assert (stock.allocated, stock.reserved) == (2, 0)


def test_stock_release_gives_everything_back(variant):
    stock_reserve(owner="user:1", lines={variant.pk: 5})
    assert stock_release(owner="user:1") == 5
    assert stock_release(owner="user:1") == 0
    assert available(variant) == 5


def test_the_sweep_tidies_expired_holds_and_leaves_live_ones(shop, variant):
    # given
    other = make_product(shop, stock=3).variants.get()
    stock_reserve(owner="user:1", lines={variant.pk: 2}, now=timezone.now() - TEN_MINUTES * 2)
    stock_reserve(owner="user:2", lines={other.pk: 1})
    # when
    freed = stock_reservations_sweep()
    # then
    assert freed == 2
    assert list(Reservation.objects.values_list("owner", flat=True)) == ["user:2"]
    assert Stock.objects.get(variant=variant).reserved == 0


def test_staff_cannot_set_stock_below_what_checkouts_hold(shop, variant):
    # given
    stock_reserve(owner="user:1", lines={variant.pk: 3})
    # when / then
    with pytest.raises(ValidationError, match="held in shoppers' checkouts"):
        stock_bulk_set(shop=shop, quantities={variant.pk: 2})
    stock_bulk_set(shop=shop, quantities={variant.pk: 3})
    assert Stock.objects.get(variant=variant).quantity == 3


def test_staff_can_set_stock_below_expired_holds(shop, variant):
    stock_reserve(owner="user:1", lines={variant.pk: 5}, now=timezone.now() - TEN_MINUTES * 2)
    stock_bulk_set(shop=shop, quantities={variant.pk: 1})
    stock = Stock.objects.get(variant=variant)
    assert (stock.quantity, stock.reserved) == (1, 0)


@pytest.mark.parametrize("quantity", [0, -1, 1.5, True])
def test_stock_reserve_refuses_a_quantity_that_is_not_a_whole_number_above_zero(variant, quantity):
    with pytest.raises(ValidationError):
        stock_reserve(owner="user:1", lines={variant.pk: quantity})
    assert not Reservation.objects.exists()
