"""The durable outbox: each domain event some subscription wants is written as an `OutboxEvent`
row by `publish()` itself, inside the transaction of the change (`tickets.events`'s outbox
writer hook), so it commits or rolls back with the change. Nothing depends on the in-memory
after-commit delivery: if the process dies between the commit and the fan-out, the row waits
in the table and the sweeper (`webhooks.sweep`, every 30 s) fans it out.

Cost on a path that publishes: nothing at all while no active subscription wants the event (the
set of wanted names is kept in the cache and, for `WEBHOOK_FLAG_SECONDS`, in the process); one
INSERT per transaction inside `events.outbox_deferred()` (the inbound drain's batches), one per
wanted event elsewhere. The fan-out task is queued by a batch subscriber
(`subscribers.py`): once per delivery of committed events, so a drain of 100 inbound messages
queues one; if that in-memory step is lost, the rows wait for the sweeper."""

import contextlib
import logging
import time

from django.conf import settings
from django.core.cache import cache

from tickets.events import DomainEvent

from . import catalog
from .models import OutboxEvent, WebhookSubscription

logger = logging.getLogger(__name__)

WANTED_KEY = "webhooks:wanted-events"
WANTED_CACHE_SECONDS = 300
_memo: tuple[float, frozenset[str]] | None = None


def wanted_names() -> frozenset[str]:
    """The domain event names some active subscription receives (cached; a database read only
    when the cache has lost it)."""
    global _memo
    now = time.monotonic()
    if _memo is not None and now - _memo[0] < settings.JORNADA["WEBHOOK_FLAG_SECONDS"]:
        return _memo[1]
    try:
        names = cache.get(WANTED_KEY)
    except Exception:  # a cache that is down must not fail every ticket change that publishes
        logger.warning("Webhook subscriptions read from the database: cache down", exc_info=True)
        names = None
    if names is None:
        names = _wanted_from_database()
        with contextlib.suppress(Exception):
            cache.set(WANTED_KEY, names, WANTED_CACHE_SECONDS)
    _memo = (now, frozenset(names))
    return _memo[1]


def _wanted_from_database() -> list[str]:
    subscribed: set[str] = set()
    active = WebhookSubscription.objects.filter(is_active=True)
    for names in active.values_list("events", flat=True):
        subscribed.update(names or ())
    return sorted(catalog.core_names(subscribed))


def subscriptions_changed() -> None:
    """After a subscription was created, changed or removed (on commit): other processes see
    it within WEBHOOK_FLAG_SECONDS."""
    global _memo
    cache.set(WANTED_KEY, _wanted_from_database(), WANTED_CACHE_SECONDS)
    _memo = None


def forget_subscriptions() -> None:
    """For tests: no subscription exists (each test starts from an empty database)."""
    global _memo
    cache.set(WANTED_KEY, [], WANTED_CACHE_SECONDS)
    _memo = None


def outbox_record(events: list[DomainEvent]) -> None:
    """The outbox writer, called inside the publishing transaction: one INSERT for the events
    given (one, or a whole `events.outbox_deferred()` block's)."""
    wanted = wanted_names()
    rows = [
        OutboxEvent(name=event.name, ticket_id=event.ticket_id, payload=event.payload())
        for event in events
        if event.name in wanted
    ]
    if rows:
        OutboxEvent.objects.bulk_create(rows)
