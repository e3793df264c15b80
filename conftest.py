"""Shared test setup: fast hashing, media in a temporary folder, eager tasks, and small helpers
that build state by calling services (see plaza/*/tests/factories.py)."""

import uuid

import pytest
from django.conf import settings as django_settings

from config.celery import app as celery_app

# No in-process ticker in tests: the ASGI application, imported by the socket tests and the live
# journeys' server, would start it, and its sweeps would then run in a thread against whatever
# database a test has (or has just dropped). The sweeps have tests of their own.
django_settings.PLAZA_TICKER = False


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item, nextitem):
    """Before a test's fixtures are torn down (its database emptied, for a test with real
    transactions): the live stock broadcast a stock change planned (a timer thread that reads
    the stock a moment later, with the Redis channel layer) is dropped, or waited for if it is
    being sent, so its read cannot run into the emptying (a deadlock on the tables' locks)."""
    from plaza.checkout.live import stock_broadcasts_forget

    stock_broadcasts_forget()


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language: a request in French (the locale middleware
    activates its language and leaves it active in the thread) must not leak into the next
    test of the same worker."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.ACCOUNT_RATE_LIMITS = False
    # With REDIS_URL the scaled setup keeps sessions in cached_db, whose first read per session
    # misses the cache; plain database sessions keep the pinned query counts exact either way.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    # Each test has a cache of its own (a fresh key prefix, in Redis too): rate-limit counters,
    # sold-out flags and cached catalogs of one test must not leak into the next, nor into the
    # other test worker's (database ids are reused across tests and workers).
    namespace = f"test-{uuid.uuid4().hex[:12]}"
    settings.CACHES = {
        name: {**config, "KEY_PREFIX": namespace} for name, config in settings.CACHES.items()
    }
    # The same for the channel layer: with Redis, the two test workers' groups (named by ids
    # that both workers' databases reuse) must not hear each other.
    layer = settings.CHANNEL_LAYERS["default"]
    if layer["BACKEND"].startswith("channels_redis"):
        config = {**layer.get("CONFIG", {}), "prefix": namespace}
        settings.CHANNEL_LAYERS = {"default": {**layer, "CONFIG": config}}


@pytest.fixture
def owner(db):
    from plaza.accounts.tests.factories import UserFactory

    return UserFactory(email="owner@kicks.test")


@pytest.fixture
def shop(owner):
    from plaza.accounts.services import shop_create

    return shop_create(owner=owner, name="Kicks", slug="kicks", currency="PHP", language="en")


@pytest.fixture
def other_owner(db):
    from plaza.accounts.tests.factories import UserFactory

    return UserFactory(email="owner@belle.test")


@pytest.fixture
def other_shop(other_owner):
    from plaza.accounts.services import shop_create

    return shop_create(
        owner=other_owner, name="Belle Peau", slug="belle", currency="EUR", language="fr"
    )


@pytest.fixture
def shopper(db):
    from plaza.accounts.tests.factories import UserFactory

    return UserFactory(email="shopper@plaza.test")
