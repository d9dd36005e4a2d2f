"""How the unified inbox reacts to the tickets core: deliver queued replies, acknowledge new
tickets. Runs after commit (tickets.events); the work itself is queued to Celery."""

import logging

from tickets import events

from . import tasks

logger = logging.getLogger(__name__)
DELIVERABLE_CHANNELS = frozenset({"email", "whatsapp", "sms"})
ACKNOWLEDGED_CHANNELS = frozenset({"email", "web"})


@events.subscribe(events.MessageCreated)
def deliver_reply(event: events.MessageCreated) -> None:
    if not event.outgoing or event.channel not in DELIVERABLE_CHANNELS:
        return
    try:
        tasks.deliver_message.delay(event.message_id)
    except Exception:
        # Broker down: the reply stays queued and sweep_outbound_messages sends it later.
        logger.warning("Could not queue delivery of message %s", event.message_id, exc_info=True)


@events.subscribe_batch(events.MessageCreated)
def acknowledge_new_tickets(batch: list[events.MessageCreated]) -> None:
    message_ids = [
        event.message_id
        for event in batch
        if event.created_ticket
        and event.from_customer
        and not event.auto_reply
        and event.channel in ACKNOWLEDGED_CHANNELS
    ]
    if not message_ids:
        return
    try:
        tasks.acknowledge_tickets.delay(message_ids)
    except Exception:
        logger.warning("Could not queue %s acknowledgements", len(message_ids), exc_info=True)
