"""Reads of the channels for the agent workspace (WhatsApp's 24-hour customer-service window of
a ticket, the message templates that may be sent outside it, and the support address that
agents' note addresses are built on) and for the portal (what became of a request a customer
sent)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone

from tickets import services as ticket_services
from tickets.models import Channel, Message, Ticket

from .models import InboundEvent, Mailbox, WhatsAppTemplate
from .services.portal import portal_provider_id

NOTE_MAILBOX_KEY = "jornada:note-mailbox-address"


@dataclass(frozen=True)
class WindowState:
    """Where a ticket stands with WhatsApp's customer-service window. `closes_at` is None when
    the customer never wrote on WhatsApp (the window was never open)."""

    open: bool
    closes_at: datetime | None
    remaining: timedelta

    @property
    def hours(self) -> int:
        return int(self.remaining.total_seconds() // 3600)

    @property
    def minutes(self) -> int:
        return int(self.remaining.total_seconds() % 3600 // 60)


def ticket_uses_whatsapp(ticket: Ticket) -> bool:
    return ticket.channel == Channel.WHATSAPP or (
        Message.objects.filter(ticket_id=ticket.pk, channel=Channel.WHATSAPP).exists()
    )


def whatsapp_window_for_ticket(ticket: Ticket) -> WindowState | None:
    """The window for answering this ticket on WhatsApp, or None when the ticket has nothing
    to do with WhatsApp. The same rule as message_reply's refusal (tickets core)."""
    if not ticket_uses_whatsapp(ticket):
        return None
    closes_at = ticket_services.whatsapp_window_closes_at(customer_id=ticket.customer_id)
    remaining = (closes_at - timezone.now()) if closes_at else timedelta(0)
    is_open = remaining > timedelta(0)
    return WindowState(open=is_open, closes_at=closes_at, remaining=max(remaining, timedelta(0)))


def whatsapp_templates() -> QuerySet[WhatsAppTemplate]:
    """The templates agents may send (every agent: they are the business's approved texts)."""
    return WhatsAppTemplate.objects.filter(is_active=True).order_by("name", "language")


def note_mailbox_address() -> str:
    """The support address that agents' note addresses are built on: the first active mailbox
    (any of ours receives them). Cached for a minute, so the ticket page pays no query."""

    def first_active() -> str:
        mailbox = Mailbox.objects.filter(is_active=True).order_by("pk").first()
        return mailbox.address if mailbox else ""

    return cache.get_or_set(NOTE_MAILBOX_KEY, first_active, timeout=60)


def portal_submission(*, user, submission_id: str) -> InboundEvent | None:
    """The request this portal login sent with this one-time id, with its message and ticket
    once processed; None for an id that is not this login's."""
    event = (
        InboundEvent.objects.select_related("message__ticket")
        .filter(channel="web", provider_id=portal_provider_id(submission_id))
        .first()
    )
    if event is None or event.headers.get("portal_user") != user.pk:
        return None
    return event
