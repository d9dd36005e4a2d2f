"""How the SLA engine reacts to the tickets core: every change that can start, stop, pause or
re-target a clock marks the tickets it touched for a sync (sla.pending), once per delivery of
events (a batch of inbound messages is one delivery). A lost task or event is caught up by the
periodic resync (sla.tasks.resync_recent_tickets)."""

import logging

from tickets import events

from . import pending

logger = logging.getLogger(__name__)

CLOCK_EVENTS = (
    events.TicketCreated,
    events.MessageCreated,
    events.StatusChanged,
    events.PriorityChanged,
    events.TicketEscalated,
    events.TicketDeescalated,
    events.TicketMerged,
)


def _moves_clocks(event: events.DomainEvent) -> bool:
    # Notes and system messages (acknowledgements) neither start nor stop a clock.
    return not isinstance(event, events.MessageCreated) or event.kind == "message"


@events.subscribe_batch(*CLOCK_EVENTS)
def queue_clock_sync(batch: list[events.DomainEvent]) -> None:
    ticket_ids = set()
    for event in batch:
        if event.ticket_id is not None and _moves_clocks(event):
            ticket_ids.add(event.ticket_id)
            ticket_ids.update(event.related_ticket_ids())  # a merge's source: its clocks stop
    if not ticket_ids:
        return
    try:
        pending.tickets_sync_later(ticket_ids)
    except Exception:
        # Broker down: the resync finds these tickets by their updated_at.
        logger.warning("Could not queue the SLA sync of %s tickets", len(ticket_ids), exc_info=True)
