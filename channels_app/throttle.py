"""Counting requests per key in a time window (the cache's counters), for the public forms and
the chat's messages."""

from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache

from .cache import redis_cache, redis_client, redis_name


def over_limit(key: str, *, limit: int, window: int) -> bool:
    """Count one more request under `key` in a window of `window` seconds (from the first
    request of the window); whether that is over `limit`."""
    backend = redis_cache()
    if backend is not None:
        return _redis_count(backend, key, window) > limit
    cache.add(key, 0, window)
    try:
        return cache.incr(key) > limit
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        return False


def _redis_count(backend: RedisCache, key: str, window: int) -> int:
    """One round trip (a visitor's every chat message pays it) instead of the cache API's three
    (add, then incr's EXISTS and INCR): INCR, and the window's expiry set by the request that
    opened it (EXPIRE NX, Redis 7). The counter is the cache's own key, an integer (which the
    cache stores as is), so cache.get and cache.delete still see it."""
    name = redis_name(backend, key)
    pipe = redis_client(backend).pipeline(transaction=False)
    pipe.incr(name)
    pipe.expire(name, window, nx=True)
    count, _expiry_set = pipe.execute()
    return count
