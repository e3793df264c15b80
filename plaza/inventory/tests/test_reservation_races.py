"""Holds and allocations raced on PostgreSQL with real threads (skipped on SQLite unless
services are required, as in CI)."""

import random

import pytest

from plaza.catalog.tests.factories import make_product
from plaza.core.testing import requires_postgres, run_many
from plaza.inventory.exceptions import InsufficientStock
from plaza.inventory.models import Reservation, Stock
from plaza.inventory.selectors import stock_level_for_variant
from plaza.inventory.services import stock_allocate, stock_release, stock_reserve

BUYERS = 200
UNITS = 50
RUNS = 20


def buy(variant_ids: list[int], owner: str) -> str:
    """What checkout does with stock: hold the units, then turn the hold into the order."""
    lines = dict.fromkeys(variant_ids, 1)
    stock_reserve(owner=owner, lines=lines)
    stock_allocate(lines=lines, owner=owner)
    return "bought"


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_200_buyers_racing_for_50_units_buy_exactly_50_every_time(shop):
    for run in range(RUNS):
        # given
        variant = make_product(shop, stock=UNITS).variants.get()
        # when
        results = run_many(BUYERS, lambda i, v=variant, r=run: buy([v.pk], f"run{r}:user:{i}"))
        # then
        errors = [r for r in results if isinstance(r, Exception)]
        assert all(isinstance(e, InsufficientStock) for e in errors), errors[:3]
        assert results.count("bought") == UNITS, f"run {run}"
        stock = Stock.objects.get(variant=variant)
        assert (stock.quantity, stock.allocated, stock.reserved) == (UNITS, UNITS, 0)
        level = stock_level_for_variant(variant_id=variant.pk)
        assert level.quantity == level.allocated + level.reserved + level.available
        assert level.available == 0


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_200_carts_of_two_shops_in_random_order_never_deadlock_nor_lose_a_unit(shop, other_shop):
    # given: 6 variants over two shops, 20 units each; carts of 2-4 of them, in random order
    variants = [make_product(s, stock=20).variants.get().pk for s in (shop, other_shop) * 3]
    rng = random.Random(7)
    carts = [rng.sample(variants, rng.randint(2, 4)) for _ in range(BUYERS)]
    abandons = {i for i in range(BUYERS) if i % 7 == 0}

    def shop_for(i: int) -> str:
        owner = f"cart:{i}"
        if i in abandons:  # holds, then gives up
            stock_reserve(owner=owner, lines=dict.fromkeys(carts[i], 1))
            stock_release(owner=owner)
            return "abandoned"
        return buy(carts[i], owner)

    # when
    results = run_many(BUYERS, shop_for)
    # then: only stock errors, never a deadlock or anything else
    errors = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(e, InsufficientStock) for e in errors), errors[:3]
    sold: dict[int, int] = dict.fromkeys(variants, 0)
    for i, result in enumerate(results):
        if result == "bought":
            for variant_id in carts[i]:
                sold[variant_id] += 1
    for variant_id in variants:
        stock = Stock.objects.get(variant_id=variant_id)
        assert stock.allocated == sold[variant_id], "every unit bought is allocated, once"
        assert stock.reserved == 0 and stock.allocated <= stock.quantity == 20
    assert not Reservation.objects.exists()


# --- a worker that dies in the middle of a checkout ------------------------------------------

DIE_INSIDE_THE_TRANSACTION = """
import os
from django.db import transaction
from plaza.inventory.services import stock_allocate, stock_reserve
with transaction.atomic():
    stock_reserve(owner="user:dies", lines={VARIANT: 2})
    stock_allocate(lines={VARIANT: 2}, owner="user:dies")
    os.kill(os.getpid(), 9)  # killed before the commit
"""

DIE_AFTER_THE_HOLD = """
import os
from plaza.inventory.services import stock_reserve
stock_reserve(owner="user:dies", lines={VARIANT: 2})
os.kill(os.getpid(), 9)  # killed between holding the units and placing the order
"""


def _run_and_die(code: str, variant_id: int) -> int:
    """Run ``code`` in another Python process on the test database; it kills itself."""
    import os
    import subprocess
    import sys

    from django.conf import settings
    from django.db import connection

    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    program = "import django; django.setup()\n" + code.replace("VARIANT", str(variant_id))
    result = subprocess.run(  # noqa: S603 - our own program, on our own test database
        [sys.executable, "-c", program], cwd=settings.BASE_DIR, env=env, timeout=60
    )
    return result.returncode


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_inside_its_transaction_leaves_no_phantom_unit(shop):
    # given
    variant = make_product(shop, stock=5).variants.get()
    # when
    returncode = _run_and_die(DIE_INSIDE_THE_TRANSACTION, variant.pk)
    # then: PostgreSQL rolled the dead transaction back
    assert returncode == -9
    stock = Stock.objects.get(variant=variant)
    assert (stock.quantity, stock.allocated, stock.reserved) == (5, 0, 0)
    assert not Reservation.objects.exists()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_after_holding_units_loses_none_of_them(shop):
    # given
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    variant = make_product(shop, stock=5).variants.get()
    # when
    returncode = _run_and_die(DIE_AFTER_THE_HOLD, variant.pk)
    # then: the hold stays until it expires, then the units are sellable again
    assert returncode == -9
    assert stock_level_for_variant(variant_id=variant.pk).available == 3
    later = timezone.now() + timedelta(seconds=settings.PLAZA_RESERVATION_SECONDS + 1)
    assert stock_level_for_variant(variant_id=variant.pk, now=later).available == 5
    stock_reserve(owner="user:next", lines={variant.pk: 5}, now=later)
    stock = Stock.objects.get(variant=variant)
    assert (stock.quantity, stock.allocated, stock.reserved) == (5, 0, 5)
