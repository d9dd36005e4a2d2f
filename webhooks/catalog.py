"""The event names a subscription may choose, and which domain events each one delivers.

Every public name of `tickets.events.EVENT_TYPES` is delivered as it is. Two names are derived:
`ticket.updated` (a change of the ticket's own fields: status, priority, assignee or team, tags,
tier up or down) and `ticket.solved` (a status change to solved). One domain event may so be
delivered under several names (a ticket solved is also a `ticket.updated` and a
`ticket.status_changed`), each a delivery of its own with its own event id."""

from tickets import events

UPDATED = "ticket.updated"
SOLVED = "ticket.solved"
UPDATE_EVENTS: tuple[type[events.DomainEvent], ...] = (
    events.StatusChanged,
    events.PriorityChanged,
    events.TicketAssigned,
    events.TagsChanged,
    events.TicketEscalated,
    events.TicketDeescalated,
)
DERIVED: dict[str, tuple[str, ...]] = {
    UPDATED: tuple(event.name for event in UPDATE_EVENTS),
    SOLVED: (events.StatusChanged.name,),
}


def public_names() -> list[str]:
    return sorted(set(events.EVENT_TYPES) | set(DERIVED))


def core_names(subscribed: list[str] | set[str]) -> set[str]:
    """The domain event names the outbox must record for subscriptions to these names."""
    wanted: set[str] = set()
    for name in subscribed:
        wanted.update(DERIVED.get(name, (name,)))
    return wanted & set(events.EVENT_TYPES)


def delivered_as(core_name: str, payload: dict) -> list[str]:
    """The public names one recorded domain event is delivered under."""
    names = [core_name]
    if core_name in DERIVED[UPDATED]:
        names.append(UPDATED)
    if core_name == events.StatusChanged.name and payload.get("after") == "solved":
        names.append(SOLVED)
    return names
