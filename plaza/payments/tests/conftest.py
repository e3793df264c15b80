"""Payments test setup: a local Stripe recorder, a spy on the test gateway, domain events."""

from collections import Counter

import pytest

from plaza.core import events
from plaza.payments.gateways.testing import TestGateway
from plaza.payments.tests.recorder import StripeRecorder

PUBLISHED: list[tuple[str, dict]] = []
EVENT_NAMES = (
    "payment.authorized",
    "payment.action_required",
    "payment.failed",
    "payment.captured",
    "payment.voided",
    "payment.refunded",
)


def _recorder_for(name: str):
    def handler(**payload) -> None:
        PUBLISHED.append((name, payload))

    handler.__name__ = f"record_{name.replace('.', '_')}"
    return handler


_HANDLERS = {name: _recorder_for(name) for name in EVENT_NAMES}


@pytest.fixture
def published():
    """The payment domain events delivered during the test, as (name, payload)."""
    for name, handler in _HANDLERS.items():
        events.subscribe(name, handler)
    PUBLISHED.clear()
    yield PUBLISHED
    PUBLISHED.clear()


@pytest.fixture(autouse=True)
def _payments_settings(settings):
    settings.PAYMENTS_PROVIDERS = ["test"]
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens: no test reaches Stripe
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = "whsec_plaza_test"
    settings.STRIPE_API_VERSION = ""
    settings.STRIPE_TIMEOUT_SECONDS = 5


@pytest.fixture
def stripe_api(settings):
    """A local Stripe recorder, with Plaza pointed at it."""
    recorder = StripeRecorder().start()
    settings.PAYMENTS_PROVIDERS = ["stripe", "test"]
    settings.STRIPE_API_BASE = recorder.url
    settings.STRIPE_SECRET_KEY = "sk_test_plaza"
    yield recorder
    recorder.stop()


@pytest.fixture
def gateway_calls(monkeypatch):
    """Counts the calls that reach the test gateway, by operation."""
    calls: Counter[str] = Counter()
    for name in ("authorize", "confirm", "capture", "void", "refund"):
        original = getattr(TestGateway, name)

        def counted(self, *, _original=original, _name=name, **kwargs):
            calls[_name] += 1
            return _original(self, **kwargs)

        monkeypatch.setattr(TestGateway, name, counted)
    return calls
