"""How the unified inbox reacts to the tickets core: deliver queued replies, acknowledge new
tickets. Runs after commit (tickets.events); the work itself is queued to Celery."""

import logging

from tickets import events

from . import tasks

logger = logging.getLogger(__name__)
DELIVERABLE_CHANNELS = frozenset({"email", "whatsapp", "sms"})
ACKNOWLEDGED_CHANNELS = frozenset({"email", "web"})


# Messages sent in one task at most: a batch of slow SMTP sends must not hold up the last one.
DELIVERY_CHUNK = 20


@events.subscribe_batch(events.MessageCreated)
def deliver_replies(batch: list[events.MessageCreated]) -> None:
    message_ids = [
        event.message_id
        for event in batch
        if event.outgoing and event.channel in DELIVERABLE_CHANNELS
    ]
    for start in range(0, len(message_ids), DELIVERY_CHUNK):
        chunk = message_ids[start : start + DELIVERY_CHUNK]
        try:
            if len(chunk) == 1:
                tasks.deliver_message.delay(chunk[0])
            else:
                tasks.deliver_messages.delay(chunk)
        except Exception:
            # Broker down: the replies stay queued and sweep_outbound_messages sends them later.
            logger.warning("Could not queue delivery of messages %s", chunk, exc_info=True)


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
