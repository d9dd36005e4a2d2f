"""The request counters of the public forms and the chat: a fixed window from its first request,
on the local-memory cache and on Redis (one round trip there)."""

import uuid

import pytest
from django.core.cache import cache

from channels_app.throttle import over_limit


def counted(key, times, limit=3):
    return [over_limit(key, limit=limit, window=60) for _ in range(times)]


def test_the_requests_past_the_limit_are_over_it():
    assert counted(f"t:{uuid.uuid4()}", 5) == [False, False, False, True, True]


def test_keys_are_counted_apart():
    counted(f"t:{uuid.uuid4()}", 3)
    assert counted(f"t:{uuid.uuid4()}", 1) == [False]


@pytest.mark.services
def test_on_redis_the_window_expires_and_the_counter_is_the_caches_own_key(monkeypatch):
    key = f"t:{uuid.uuid4()}"
    monkeypatch.setattr(cache, "add", None)  # one pipelined round trip, not the cache API's
    assert counted(key, 4) == [False, False, False, True]

    name = cache.make_and_validate_key(key)
    client = cache._cache.get_client(name)
    assert 0 < client.ttl(name) <= 60
    assert cache.get(key) == 4
    cache.delete(key)
    assert counted(key, 1) == [False]
