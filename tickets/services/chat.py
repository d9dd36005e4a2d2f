"""What the live chat (channels_app) writes into a ticket's trail: its state changes (the bot
answering, waiting for a person, with an agent, ended). The chat itself lives in channels_app;
this module knows nothing of it, as tickets/services/sla.py knows nothing of the SLA engine."""

from django.contrib.auth.models import AbstractBaseUser

from ..models import Ticket, TicketEvent
from ._common import record_event


def ticket_record_chat_state(
    *,
    ticket: Ticket | int,
    before: str | None,
    after: str,
    by: AbstractBaseUser | None = None,
    outcome: str = "",
    reason: str = "",
) -> TicketEvent:
    """A chat state change in the ticket's trail, inside the caller's transaction."""
    data = {"outcome": outcome} if outcome else {}
    return record_event(
        ticket, TicketEvent.Kind.CHAT_STATE_CHANGED, by=by, before=before, after=after,
        reason=reason, **data,
    )  # fmt: skip
