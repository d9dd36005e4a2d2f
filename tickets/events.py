"""Domain events published by the tickets core, and the tiny dispatcher other apps subscribe to.

Services call `publish()` inside their transaction; subscribers run only after the commit (and
never if it rolls back). A subscriber that needs slow work schedules a Celery task. Subscribers
register in their AppConfig.ready(), which keeps `tickets` free of imports from the apps that react
to it.
"""

import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

TICKET_CREATED = "ticket_created"
MESSAGE_RECEIVED = "message_received"
REPLY_QUEUED = "reply_queued"
NOTE_ADDED = "note_added"
TICKET_STATUS_CHANGED = "ticket_status_changed"
TICKET_PRIORITY_CHANGED = "ticket_priority_changed"
TICKET_ASSIGNED = "ticket_assigned"
TICKET_ESCALATED = "ticket_escalated"
TICKET_DEESCALATED = "ticket_deescalated"
TICKET_TAGS_CHANGED = "ticket_tags_changed"
TICKET_MERGED = "ticket_merged"
CUSTOMER_MERGED = "customer_merged"
DELIVERY_UPDATED = "delivery_updated"
TICKET_LINKED = "ticket_linked"
TICKET_UNLINKED = "ticket_unlinked"
TICKET_SPLIT = "ticket_split"
AGENT_NOTIFIED = "agent_notified"
SLA_WARNED = "sla_warned"
SLA_BREACHED = "sla_breached"

ALL_EVENTS = frozenset(
    {
        TICKET_CREATED,
        MESSAGE_RECEIVED,
        REPLY_QUEUED,
        NOTE_ADDED,
        TICKET_STATUS_CHANGED,
        TICKET_PRIORITY_CHANGED,
        TICKET_ASSIGNED,
        TICKET_ESCALATED,
        TICKET_DEESCALATED,
        TICKET_TAGS_CHANGED,
        TICKET_MERGED,
        CUSTOMER_MERGED,
        DELIVERY_UPDATED,
        TICKET_LINKED,
        TICKET_UNLINKED,
        TICKET_SPLIT,
        AGENT_NOTIFIED,
        SLA_WARNED,
        SLA_BREACHED,
    }
)


@dataclass(frozen=True)
class DomainEvent:
    name: str
    ticket_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


Subscriber = Callable[[DomainEvent], None]
_subscribers: dict[str, list[Subscriber]] = defaultdict(list)
_suppressed: ContextVar[bool] = ContextVar("domain_events_suppressed", default=False)


@contextmanager
def suppressed() -> Iterator[None]:
    """Publish nothing inside this block: for loading history (demo data, imports), whose
    side effects (deliveries, acknowledgements, pushes) must not be replayed."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def subscribe(*names: str) -> Callable[[Subscriber], Subscriber]:
    """Decorator: call the function after commit for each event of these names."""
    unknown = set(names) - ALL_EVENTS
    if unknown:
        raise ValueError(f"Unknown domain events: {sorted(unknown)}")

    def register(func: Subscriber) -> Subscriber:
        for name in names:
            if func not in _subscribers[name]:
                _subscribers[name].append(func)
        return func

    return register


def unsubscribe(name: str, func: Subscriber) -> None:
    if func in _subscribers[name]:
        _subscribers[name].remove(func)


def publish(name: str, *, ticket_id: int | None = None, **data: Any) -> None:
    """Deliver the event to subscribers once the current transaction commits."""
    if name not in ALL_EVENTS:
        raise ValueError(f"Unknown domain event: {name}")
    if _suppressed.get():
        return
    event = DomainEvent(name=name, ticket_id=ticket_id, data=data)
    transaction.on_commit(lambda: dispatch(event))


def dispatch(event: DomainEvent) -> None:
    for subscriber in list(_subscribers[event.name]):
        try:
            subscriber(event)
        except Exception:
            # One failing subscriber must not stop the others; its own sweeper catches up.
            logger.exception("Subscriber %r failed on %s", subscriber, event.name)
