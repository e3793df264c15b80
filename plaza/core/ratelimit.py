"""Fixed-window rate limits kept in the cache (Redis when scaled, so every process counts the
same hits; process memory when embedded, where there is one process).

    if not rate_limit_hit(f"chat:{key}", limit=20, window_seconds=60):
        raise TooManyMessages(...)
"""

import time

from django.core.cache import cache


def _clock() -> float:
    return time.time()


def rate_limit_hit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit on ``key`` in the current window; False when the hit is over ``limit``.
    One round trip to the cache once the window's counter exists (``incr`` keeps its expiry)."""
    window = int(_clock() // window_seconds)
    name = f"ratelimit:{key}:{window}"
    try:
        count = cache.incr(name)
    except ValueError:  # the window's first hit (or its counter expired)
        if cache.add(name, 1, timeout=window_seconds + 1):
            return True
        count = cache.incr(name)  # another request created it meanwhile
    return count <= limit
