"""The periodic sweep of expired holds, run by Celery beat when scaled and by the in-process
ticker in the embedded default."""

from datetime import timedelta

import pytest
from django.utils import timezone

from config.ticker import Ticker
from plaza.catalog.tests.factories import make_product
from plaza.inventory.models import Reservation, Stock
from plaza.inventory.services import stock_reserve

pytestmark = pytest.mark.django_db


def test_the_ticker_runs_the_reservation_sweep_when_it_is_due(settings, shop):
    # given: an expired hold and a clock the test moves
    variant = make_product(shop, stock=4).variants.get()
    stock_reserve(owner="user:1", lines={variant.pk: 4}, now=timezone.now() - timedelta(hours=1))
    now = [1000.0]
    sweep = {"stock-reservations-sweep": settings.CELERY_BEAT_SCHEDULE["stock-reservations-sweep"]}
    ticker = Ticker(sweep, clock=lambda: now[0])
    # when
    first = ticker.run_due()
    now[0] += 30
    too_soon = ticker.run_due()
    now[0] += 31
    again = ticker.run_due()
    # then
    assert first == ["stock-reservations-sweep"]
    assert too_soon == []
    assert again == ["stock-reservations-sweep"]
    assert not Reservation.objects.exists()
    assert Stock.objects.get(variant=variant).reserved == 0


def test_a_failing_task_does_not_stop_the_ticker(settings):
    schedule = {
        "broken": {"task": "no.such.task", "schedule": 1.0},
        "sweep": {"task": "inventory.stock_reservations_sweep", "schedule": 1.0},
    }
    assert Ticker(schedule, clock=lambda: 0.0).run_due() == ["sweep"]
