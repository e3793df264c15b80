from datetime import timedelta

import pytest
from django.utils import timezone


class Clock:
    """The time services and selectors read, moved by the test."""

    def __init__(self, now):
        self.now = now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    """Freeze ``django.utils.timezone.now`` and let the test move it."""
    frozen = Clock(timezone.now().replace(microsecond=0))
    monkeypatch.setattr(timezone, "now", lambda: frozen.now)
    return frozen


@pytest.fixture
def users(db):
    """Make n shoppers: users(3) -> [user, user, user]."""
    from plaza.accounts.tests.factories import UserFactory

    return lambda n: [UserFactory() for _ in range(n)]
