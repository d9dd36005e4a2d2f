"""What the pipeline's modules share: the signal that a failure may pass, and a counter for
limits on what anyone on the internet can make us do."""

from django.core.cache import cache


class RetryLater(Exception):
    """Processing failed for a reason that may pass (database or network hiccup)."""


def over_limit(key: str, limit: int, window: int = 3600) -> bool:
    """Count one more under `key` (a cache counter that lasts `window` seconds from its first
    use); whether that is more than `limit`."""
    cache.add(key, 0, window)
    try:
        return cache.incr(key) > limit
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        return False
