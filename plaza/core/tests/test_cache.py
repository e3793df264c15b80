"""Plaza's Redis cache client: ``incr`` in one round trip, by the script's digest."""

import os

import pytest
from django.core.cache import cache

REDIS_URL = os.environ.get("REDIS_URL", "")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="Plaza's Redis cache needs REDIS_URL")


@needs_redis
def test_incr_counts_an_existing_key_and_refuses_a_missing_one():
    cache.set("counter", 5, 60)
    assert cache.incr("counter") == 6
    assert cache.incr("counter", 3) == 9
    assert cache.get("counter") == 9
    with pytest.raises(ValueError):
        cache.incr("no-such-counter")
    assert cache.get("no-such-counter") is None
