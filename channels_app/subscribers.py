"""How the unified inbox reacts to the tickets core: deliver queued replies, acknowledge new
tickets. Runs after commit (tickets.events); the work itself is queued to Celery."""

import logging

from tickets import events

from . import tasks

logger = logging.getLogger(__name__)
DELIVERABLE_CHANNELS = frozenset({"email", "whatsapp", "sms", "chat"})
ACKNOWLEDGED_CHANNELS = frozenset({"email", "web"})


# Messages sent in one task at most: a batch of slow SMTP sends must not hold up the last one
# long, and each task's outcomes are one durable commit (tasks.RECORD_GROUP): 50 (a burst's 1,400
# acknowledgements in 28 tasks, not 70).
DELIVERY_CHUNK = 50


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


# What an agent does to a chat's ticket that its chat follows (chat_sessions_follow_tickets).
CHAT_FOLLOWS = (events.StatusChanged, events.TicketAssigned)
ENDS_A_CHAT = frozenset({"solved", "closed"})


@events.subscribe_batch(*CHAT_FOLLOWS)
def follow_chat_tickets(batch: list[events.DomainEvent]) -> None:
    """A chat's ticket solved, closed, claimed or transferred: its session follows (a task, for
    the tickets of the batch that have an open chat; one query to know which)."""
    from .models import ChatSession

    ticket_ids = {
        event.ticket_id
        for event in batch
        if event.ticket_id
        and (isinstance(event, events.TicketAssigned) or event.after in ENDS_A_CHAT)
    }
    if not ticket_ids:
        return
    chats = list(
        ChatSession.objects.filter(ticket_id__in=ticket_ids)
        .exclude(state=ChatSession.State.ENDED)
        .values_list("ticket_id", flat=True)
    )
    if not chats:
        return
    try:
        tasks.follow_chat_tickets.delay(sorted(chats))
    except Exception:
        logger.warning("Could not queue the chats of tickets %s", chats, exc_info=True)
