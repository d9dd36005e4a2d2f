"""Counting requests per key in a time window (the cache's counters), for the public forms."""

from django.core.cache import cache


def over_limit(key: str, *, limit: int, window: int) -> bool:
    """Count one more request under `key` in a window of `window` seconds; whether that is
    over `limit`."""
    cache.add(key, 0, window)
    try:
        return cache.incr(key) > limit
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        return False
