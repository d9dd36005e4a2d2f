"""The rollup follows the tickets: any event that can change a ticket's facts or its days'
activity marks the ticket (manager.pending); the periodic task refreshes it."""

import logging

from tickets import events

from . import pending

logger = logging.getLogger(__name__)

ROLLUP_EVENTS = (
    events.TicketCreated,
    events.MessageCreated,
    events.StatusChanged,
    events.PriorityChanged,
    events.TicketAssigned,
    events.TicketEscalated,
    events.TicketDeescalated,
    events.TicketMerged,
    events.SLAWarned,
    events.SLABreached,
)


@events.subscribe_batch(*ROLLUP_EVENTS)
def queue_rollup_refresh(batch: list[events.DomainEvent]) -> None:
    ticket_ids = set()
    for event in batch:
        if event.ticket_id is not None:
            ticket_ids.add(event.ticket_id)
            ticket_ids.update(event.related_ticket_ids())
    try:
        pending.tickets_refresh_later(ticket_ids)
    except Exception:
        # Redis down: the periodic catch-up finds these tickets by their updated_at.
        logger.warning("Could not mark %s tickets for the rollup", len(ticket_ids), exc_info=True)
