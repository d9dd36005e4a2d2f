"""Tickets whose rollup rows wait for a refresh. A subscriber adds ids to a Redis set (constant
work, no SQL: the request or the drain that published the events is not slowed down); the
periodic `manager.refresh_rollups` task takes them in one go, so a burst of events on one ticket
costs one refresh. Without Redis (the embedded setup) nothing is kept here and the periodic task
finds the tickets by their `updated_at` instead, as it also does for ids lost on the way."""

import functools
from collections.abc import Iterable

import redis
from django.conf import settings

PENDING = "jornada:manager:rollup-pending"


@functools.cache
def _client() -> redis.Redis | None:
    return redis.Redis.from_url(settings.REDIS_URL) if settings.REDIS_URL else None


def tickets_refresh_later(ticket_ids: Iterable[int]) -> None:
    client = _client()
    ids = sorted(set(ticket_ids))
    if client is not None and ids:
        client.sadd(PENDING, *ids)


def tickets_take(limit: int) -> list[int]:
    client = _client()
    if client is None:
        return []
    return [int(pk) for pk in client.spop(PENDING, limit) or []]
