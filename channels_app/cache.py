"""What the default cache is: the hot paths that can do in one Redis round trip what the cache
API does in several (delivery locks, sent marks, rate counters, throttles) ask here, and so do
the coalescing flags that only mean something when every process sees the same cache. The only
module that reaches into Django's RedisCache (its key names, value encoding and client)."""

import redis
from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
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


def redis_name(backend: RedisCache, key: str) -> str:
    """The Redis key the cache keeps `key` under (its prefix and version)."""
    return backend.make_and_validate_key(key)


def redis_value(backend: RedisCache, value) -> bytes | int:
    """`value` as the cache stores it (cache.get reads it back)."""
    return backend._cache._serializer.dumps(value)


_clients: dict = {}


def redis_client(backend: RedisCache) -> redis.Redis:
    """A client on the cache's own connection pool for writes, one kept per pool (the cache
    makes a new client object for every command)."""
    pool = backend._cache._get_connection_pool(write=True)
    client = _clients.get(pool)
    if client is None:
        client = _clients[pool] = backend._cache._client(connection_pool=pool)
    return client


class PipelinedSets:
    """cache.set of keys as they come, without waiting a round trip for each: on Redis each SET
    is written at once, on a connection held meanwhile, and their answers are read by confirm();
    elsewhere cache.set itself. set() raises when the command could not be written, confirm()
    when one was refused; either closes the connection. What it gives up against cache.set: a
    SET refused (out of memory, a read-only replica) is seen only at confirm(), and one still in
    the kernel's buffers when the process dies may never reach Redis."""

    def __init__(self):
        self.backend = redis_cache()
        self.pool = self.connection = None
        self.unread = 0

    def set(self, key: str, value, *, timeout: int) -> None:
        if self.backend is None:
            cache.set(key, value, timeout=timeout)
            return
        name = redis_name(self.backend, key)
        try:
            if self.connection is None:
                self.pool = redis_client(self.backend).connection_pool
                self.connection = self.pool.get_connection()
            self.connection.send_command(
                "SET", name, redis_value(self.backend, value), "EX", timeout
            )
        except Exception:
            self.close()
            raise
        self.unread += 1

    def confirm(self) -> None:
        try:
            while self.unread:
                self.unread -= 1
                self.connection.read_response()
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if self.connection is None:
            return
        if self.unread:
            self.connection.disconnect()  # answers left unread: not for the pool's next user
        self.pool.release(self.connection)
        self.pool = self.connection = None
        self.unread = 0
