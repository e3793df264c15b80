"""Concurrent retries against a real PostgreSQL, with real threads and committed transactions."""

import os
import threading
import time

import pytest
from django.conf import settings
from django.db import connection

from plaza.core.testing import run_together
from plaza.payments.gateways.testing import TestGateway
from plaza.payments.models import Payment, PaymentEvent
from plaza.payments.services import payment_authorize, payment_capture
from plaza.payments.tests.factories import card_token

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not ON_POSTGRESQL and not os.environ.get("PLAZA_REQUIRE_SERVICES"),
        reason="Concurrency tests need PostgreSQL (set DATABASE_URL); CI sets "
        "PLAZA_REQUIRE_SERVICES so that they run there.",
    ),
    pytest.mark.django_db(transaction=True),
]

THREADS = 10


def _race(target, count: int = THREADS) -> tuple[list, list]:
    """Run ``target`` in ``count`` threads released at once; return (results, errors)."""
    outcomes = run_together(count, lambda i: target())
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    return [o for o in outcomes if not isinstance(o, BaseException)], errors


@pytest.fixture
def slow_gateway(monkeypatch):
    """The test gateway, counting calls and slow enough that the threads really overlap."""
    calls = []
    lock = threading.Lock()

    def wrap(name):
        original = getattr(TestGateway, name)

        def slow(self, **kwargs):
            with lock:
                calls.append(name)
            time.sleep(0.2)
            return original(self, **kwargs)

        monkeypatch.setattr(TestGateway, name, slow)

    wrap("authorize")
    wrap("capture")
    return calls


def test_ten_threads_authorising_with_one_key_make_one_payment_and_one_provider_call(
    slow_gateway,
):
    # given
    assert connection.vendor == "postgresql", "PLAZA_REQUIRE_SERVICES is set: use PostgreSQL"
    token = card_token()

    def attempt():
        return payment_authorize(
            provider="test",
            amount=2_500,
            currency="EUR",
            payment_method_token=token,
            idempotency_key="groupbuy-team-7-member-3",
        )

    # when
    results, errors = _race(attempt)
    # then
    assert errors == []
    assert len(results) == THREADS
    assert Payment.objects.count() == 1
    assert slow_gateway == ["authorize"]
    assert {payment.pk for payment in results} == {Payment.objects.get().pk}
    assert Payment.objects.get().status == "authorized"
    assert PaymentEvent.objects.count() == 1


def test_ten_threads_capturing_one_payment_capture_it_once(slow_gateway):
    # given
    assert connection.vendor == "postgresql", "PLAZA_REQUIRE_SERVICES is set: use PostgreSQL"
    payment = payment_authorize(
        provider="test",
        amount=2_500,
        currency="EUR",
        payment_method_token=card_token(),
        idempotency_key="groupbuy-team-8-member-1",
    )
    # when the team fills and several workers race to capture
    results, errors = _race(lambda: payment_capture(payment=payment))
    # then one captured; the others were told the payment is busy, or found it captured
    assert slow_gateway.count("capture") == 1
    assert all(type(exc).__name__ == "PaymentStateError" for exc in errors), errors
    assert len(results) + len(errors) == THREADS
    payment.refresh_from_db()
    assert (payment.status, payment.amount_captured) == ("captured", 2_500)
