"""Fixed-window rate limits kept in the cache (Redis when scaled, so every process counts the
same hits; process memory when embedded, where there is one process).

    if not rate_limit_hit(f"chat:{key}", limit=20, window_seconds=60):
        raise TooManyMessages(...)
"""

import time

from django.core.cache import cache


def rate_limit_hit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit on ``key`` in the current window; False when the hit is over ``limit``."""
    window = int(time.time() // window_seconds)
    name = f"ratelimit:{key}:{window}"
    # add() creates the counter atomically when it is missing; incr() is atomic on Redis.
    if cache.add(name, 1, timeout=window_seconds + 1):
        return True
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add() and incr()
        cache.add(name, 1, timeout=window_seconds + 1)
        return True
    return count <= limit
