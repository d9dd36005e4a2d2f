"""How the SLA engine reacts to the tickets core: every change that can start, stop, pause or
re-target a clock recomputes the ticket's clocks, right after the commit (a few small queries, so
the inbox's due times are current when the page reloads). A lost event is caught up by the
periodic resync (sla.tasks.resync_recent_tickets)."""

from tickets import events

from . import services

CLOCK_EVENTS = (
    events.TICKET_CREATED,
    events.MESSAGE_RECEIVED,
    events.REPLY_QUEUED,
    events.TICKET_STATUS_CHANGED,
    events.TICKET_PRIORITY_CHANGED,
    events.TICKET_ESCALATED,
    events.TICKET_DEESCALATED,
    events.TICKET_MERGED,
)


@events.subscribe(*CLOCK_EVENTS)
def recompute_ticket_clocks(event: events.DomainEvent) -> None:
    ticket_ids = [event.ticket_id]
    if event.name == events.TICKET_MERGED and event.data.get("source_id"):
        ticket_ids.append(event.data["source_id"])  # closed by the merge: its clocks stop
    services.tickets_sla_sync(ticket_ids=[pk for pk in ticket_ids if pk is not None])
