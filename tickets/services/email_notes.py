"""Internal notes by email: which emails an agent may turn into a note, and the trace of those
refused.

A From header is a claim, and our Message-IDs are no secret (every customer gets them), so an
email becomes an internal note only when both hold:
- it was sent to the agent's own note address for that ticket (tickets/note_addresses.py), a
  secret shown to that agent only and never sent to a customer;
- its sender is that agent, authenticated by the channel (metadata SENDER_AUTHENTICATED).
An email that tries without them (a note address that is not the sender's, or the old way:
the agent's address answering one of our emails with [#number]) is refused: it is neither a
note nor a customer message, and the ticket records the attempt."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models.functions import Lower

from .. import selectors
from ..inbound import SENDER_AUTHENTICATED, NormalizedMessage
from ..memo import batch_memo, in_batch
from ..models import Channel, Message, Ticket, TicketEvent
from ..note_addresses import note_tokens_in
from ._common import record_event

# Why a note by email was refused (TicketEvent data "reason"), and what the InboundEvent says.
REFUSALS = {
    "no_note_address": "an agent's email becomes a note only when sent to their note address",
    "invalid_note_address": "the note address is not one we gave out (altered or unknown)",
    "not_the_agent": "the note address belongs to another agent than the sender",
    "unauthenticated": "the sender is not authenticated",
    "not_visible": "the agent is inactive or cannot see the ticket",
}


@dataclass(frozen=True)
class NoteByEmail:
    """An email that is (or tries to be) an internal note: accepted when `refusal` is empty."""

    ticket: Ticket | None
    agent: AbstractBaseUser | None
    refusal: str = ""

    @property
    def refusal_text(self) -> str:
        return f"refused as an internal note: {REFUSALS[self.refusal]}" if self.refusal else ""


def _agent_by_email(address: str) -> AbstractBaseUser | None:
    # In a drain's batch, the agents' addresses are read once: most senders are customers.
    if in_batch() and address.strip().lower() not in batch_memo(_AGENT_ADDRESSES, _agent_addresses):
        return None
    return (
        get_user_model()
        .objects.filter(email__iexact=address.strip(), agent_profile__isnull=False)
        .order_by("-is_active", "pk")
        .first()
    )


_AGENT_ADDRESSES = "agent-addresses"


def _agent_addresses() -> set[str]:
    users = get_user_model().objects.filter(agent_profile__isnull=False).exclude(email="")
    return set(users.annotate(address=Lower("email")).values_list("address", flat=True))


def _ticket(number: int) -> Ticket | None:
    ticket = Ticket.objects.select_related("merged_into").filter(number=number).first()
    seen = set()
    while ticket is not None and ticket.merged_into_id and ticket.pk not in seen:
        seen.add(ticket.pk)
        ticket = ticket.merged_into
    return ticket


def note_by_email_check(
    incoming: NormalizedMessage, *, subject_tag: int | None
) -> NoteByEmail | None:
    """None when the email does not try to be a note (the customer path takes it), else who
    writes on which ticket, or why not. `subject_tag`: the [#number] in its subject, if any."""
    if incoming.channel != Channel.EMAIL or incoming.is_auto_reply:
        return None
    tokens = note_tokens_in(incoming.recipients)
    if not tokens:
        return _old_way(incoming, subject_tag)
    agent = _agent_by_email(incoming.sender_value)
    valid = [token for token in tokens if token.valid]
    mine = [token for token in valid if agent is not None and token.agent_id == agent.pk]
    token = (mine or valid or [None])[0]
    ticket = _ticket(token.ticket_number) if token else None
    if ticket is None:
        return NoteByEmail(ticket=None, agent=agent, refusal="invalid_note_address")
    if not mine:
        return NoteByEmail(ticket=ticket, agent=agent, refusal="not_the_agent")
    if incoming.metadata.get(SENDER_AUTHENTICATED) is not True:
        return NoteByEmail(ticket=ticket, agent=agent, refusal="unauthenticated")
    if not agent.is_active or not selectors.ticket_visible_to(agent=agent, ticket_id=ticket.pk):
        return NoteByEmail(ticket=ticket, agent=agent, refusal="not_visible")
    return NoteByEmail(ticket=ticket, agent=agent)


def _old_way(incoming: NormalizedMessage, subject_tag: int | None) -> NoteByEmail | None:
    """An agent's address answering one of our emails on the tagged ticket: how notes by email
    were once written, and how a forger writes them now (our ids reach every customer)."""
    if subject_tag is None or not incoming.reply_to_ids:
        return None
    agent = _agent_by_email(incoming.sender_value)
    ticket = _ticket(subject_tag) if agent else None
    if ticket is None:
        return None
    answers_us = Message.objects.filter(
        ticket=ticket,
        direction=Message.Direction.OUTBOUND,
        external_id__in=incoming.reply_to_ids,
    ).exists()
    if not answers_us:
        return None
    return NoteByEmail(ticket=ticket, agent=agent, refusal="no_note_address")


def note_by_email_refuse(*, note: NoteByEmail, incoming: NormalizedMessage) -> None:
    """Leave the trace of a refused note on its ticket (when there is one) for the agents."""
    if note.ticket is None:
        return
    record_event(
        note.ticket,
        TicketEvent.Kind.NOTE_BY_EMAIL_REFUSED,
        sender=incoming.sender_value.strip().lower()[:254],
        refusal=note.refusal,
        claimed_agent_id=note.agent.pk if note.agent else None,
        external_id=incoming.external_id[:255],
    )
