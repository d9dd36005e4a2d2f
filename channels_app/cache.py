"""What the default cache is: the hot paths that can do in one Redis round trip what the cache
API does in several (delivery locks, rate counters, throttles) ask here, and so do the
coalescing flags that only mean something when every process sees the same cache."""

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache


def cache_is_shared() -> bool:
    """Whether the cache outlives this process and is seen by the others (Redis), unlike the
    embedded mode's per-process one."""
    return not settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")


def redis_cache() -> RedisCache | None:
    """The default cache itself when it is Redis (`django.core.cache.cache` is a proxy, never a
    RedisCache), else None."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    return backend if isinstance(backend, RedisCache) else None
