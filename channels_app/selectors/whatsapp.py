"""Reads for the agent workspace: WhatsApp's 24-hour customer-service window of a ticket, the
message templates that may be sent outside it, and the support address that agents' note
addresses are built on."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone

from tickets import services as ticket_services
from tickets.models import Channel, Message, Ticket

from ..models import Mailbox, WhatsAppTemplate

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
