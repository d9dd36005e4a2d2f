"""How the triggers hear of tickets' events: once per delivery of events (a drain of inbound
messages is one delivery), the tickets and what happened to them are put into one task. Constant
work per event (an id into a dict); the rules run in the task, never on the inbound path."""

import logging

from tickets import events

from .engine import MAX_DEPTH, Origin, Work

logger = logging.getLogger(__name__)

UPDATES = (
    events.StatusChanged,
    events.PriorityChanged,
    events.TicketAssigned,
    events.TicketEscalated,
    events.TicketDeescalated,
    events.TagsChanged,
)


def kind_of(event: events.DomainEvent) -> str | None:
    if isinstance(event, events.TicketCreated):
        return "created"
    if isinstance(event, events.MessageCreated):
        return "message" if event.from_customer and not event.created_ticket else None
    return "updated" if isinstance(event, UPDATES) else None


@events.subscribe_batch(events.TicketCreated, events.MessageCreated, *UPDATES)
def queue_rules(batch: list[events.DomainEvent]) -> None:
    work: dict[tuple[int, int], Work] = {}
    for event in batch:
        kind = kind_of(event)
        if kind is None or event.ticket_id is None:
            continue
        origin = events.origin_of(event)
        if isinstance(origin, Origin):
            if origin.depth >= MAX_DEPTH:
                continue
            depth, skip = origin.depth, frozenset(origin.rules)
        else:
            depth, skip = 0, frozenset()
        # The events of one round of rules on a ticket fire none of the rules of that round.
        item = work.setdefault((event.ticket_id, depth), Work(event.ticket_id, set(), depth))
        item.kinds.add(kind)
        item.skip |= skip
    if not work:
        return
    from .tasks import run_rules

    try:
        run_rules.delay([item.as_json() for item in work.values()])
    except Exception:
        logger.warning("Could not queue the rules of %s tickets", len(work), exc_info=True)
