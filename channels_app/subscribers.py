"""How the unified inbox reacts to the tickets core: deliver queued replies, acknowledge new
tickets. Runs after commit (tickets.events); slow work goes to Celery."""

import logging

from tickets import events

from . import services, tasks

logger = logging.getLogger(__name__)
DELIVERABLE_CHANNELS = frozenset({"email", "whatsapp", "sms"})


@events.subscribe(events.REPLY_QUEUED)
def deliver_reply(event: events.DomainEvent) -> None:
    if event.data.get("channel") not in DELIVERABLE_CHANNELS:
        return
    try:
        tasks.deliver_message.delay(event.data["message_id"])
    except Exception:
        # Broker down: the reply stays queued and sweep_outbound_messages sends it later.
        logger.warning(
            "Could not queue delivery of message %s", event.data["message_id"], exc_info=True
        )


@events.subscribe(events.MESSAGE_RECEIVED)
def acknowledge_new_ticket(event: events.DomainEvent) -> None:
    if event.data.get("created_ticket") and not event.data.get("auto_reply"):
        services.ticket_acknowledge(message_id=event.data["message_id"])
