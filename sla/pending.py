"""Tickets whose clocks wait for a sync, gathered across batches and worker processes.

With Redis, the ids go into one set and a single sync task is kept on its way: however many
batches of messages touch tickets meanwhile, the next sync takes all of them, so syncs never
queue up behind one another while the inbound drain keeps the worker busy. Without Redis (the
embedded setup) the ids travel in the task itself. Ids lost on the way (a worker killed after
taking them) are found again by the periodic resync (tasks.resync_recent_tickets)."""

import functools
from collections.abc import Iterable

import redis
from django.conf import settings

PENDING = "jornada:sla:pending"
SCHEDULED = "jornada:sla:sync-scheduled"
SCHEDULED_SECONDS = 10  # a lost task's flag lapses by itself
TAKE = 50  # tickets synced in one transaction: their row locks are held that long


@functools.cache
def _client() -> redis.Redis | None:
    return redis.Redis.from_url(settings.REDIS_URL) if settings.REDIS_URL else None


def tickets_sync_later(ticket_ids: Iterable[int]) -> None:
    from .tasks import sync_ticket_clocks

    ids = sorted(set(ticket_ids))
    client = _client()
    if client is None:
        sync_ticket_clocks.delay(ids)
        return
    pipe = client.pipeline(transaction=False)  # one round trip (a chat message pays it)
    pipe.sadd(PENDING, *ids)
    pipe.set(SCHEDULED, 1, nx=True, ex=SCHEDULED_SECONDS)
    _added, scheduled_now = pipe.execute()
    if scheduled_now:
        try:
            sync_ticket_clocks.delay()
        except Exception:
            client.delete(SCHEDULED)  # broker down: the next batch or the resync schedules it
            raise


def tickets_take(limit: int = TAKE) -> list[int]:
    """Up to `limit` waiting ids, removed from the set (none without Redis)."""
    client = _client()
    if client is None:
        return []
    return [int(pk) for pk in client.spop(PENDING, limit) or []]


def sync_started() -> None:
    """A sync is running: what is marked from now on schedules the next one."""
    client = _client()
    if client is not None:
        client.delete(SCHEDULED)
