"""How surveys react to the tickets core: a ticket solved (or closed by a person) gets its survey
scheduled, a ticket reopened loses the invitation still waiting, a chat that ended offers its
survey in the widget. Constant work per event: the
ticket ids go to one task per delivery of events. A lost task leaves the ticket without a
survey, which is the gentle failure (nobody is asked twice)."""

import logging

from tickets import events

from . import tasks

logger = logging.getLogger(__name__)
DONE = frozenset({"solved", "closed"})


def surveyed(event: events.StatusChanged) -> bool:
    """Solved, or closed by a person without passing through solved (solved -> closed was
    surveyed at solving; a close with nobody acting is automatic)."""
    if event.after == "solved":
        return True
    return event.after == "closed" and event.before != "solved" and event.by_id is not None


@events.subscribe_batch(events.StatusChanged)
def queue_invitations(batch: list[events.StatusChanged]) -> None:
    to_schedule = sorted({e.ticket_id for e in batch if e.ticket_id and surveyed(e)})
    reopened = sorted(
        {e.ticket_id for e in batch if e.ticket_id and e.before in DONE and e.after not in DONE}
    )
    try:
        if reopened:
            tasks.cancel_invitations.delay(reopened)
        if to_schedule:
            tasks.schedule_invitations.delay(to_schedule)
    except Exception:
        logger.warning("Could not queue survey invitations", exc_info=True)


@events.subscribe_batch(events.MessageCreated)
def queue_whatsapp_answers(batch: list[events.MessageCreated]) -> None:
    """A customer's WhatsApp message may be a tap on an invitation's list (the task looks)."""
    message_ids = [e.message_id for e in batch if e.from_customer and e.channel == "whatsapp"]
    if not message_ids:
        return
    try:
        tasks.record_whatsapp_answers.delay(message_ids)
    except Exception:
        logger.warning("Could not queue the survey answers of %s messages", len(message_ids))


@events.subscribe_batch(events.ChatEnded)
def queue_chat_invitations(batch: list[events.ChatEnded]) -> None:
    ticket_ids = sorted({e.ticket_id for e in batch if e.ticket_id})
    if not ticket_ids:
        return
    try:
        tasks.schedule_chat_invitations.delay(ticket_ids)
    except Exception:
        logger.warning("Could not queue the surveys of %s ended chats", len(ticket_ids))
