"""The acknowledgement a customer gets for the message that opened their ticket."""

import logging
from datetime import timedelta

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from tickets import services as ticket_services
from tickets.models import Message

from ..models import Mailbox

logger = logging.getLogger(__name__)

ACK_LIMIT_PER_HOUR = 3


def ticket_acknowledge(*, message_id: int) -> Message | None:
    """Tell a customer we received the message that opened their ticket. Never for automatic
    mail (no auto-reply loops), never more than ACK_LIMIT_PER_HOUR per customer an hour, only when
    the mailbox asks for it, and once per ticket (a task run twice sends one). Returns the
    queued acknowledgement, or None."""
    message = Message.objects.select_related("ticket__customer").filter(pk=message_id).first()
    if message is None or message.is_auto_reply or message.channel not in ("email", "web"):
        return None
    ticket = message.ticket
    mailbox_id = message.metadata.get("mailbox_id")
    mailbox = (
        Mailbox.objects.filter(pk=mailbox_id).first()
        if mailbox_id
        else Mailbox.objects.filter(is_active=True).order_by("pk").first()
    )
    if mailbox is None or not mailbox.auto_ack_enabled:
        return None
    recent = list(
        Message.objects.filter(
            ticket__customer=ticket.customer,
            kind=Message.Kind.SYSTEM,
            metadata__automatic="acknowledgement",
            created_at__gt=timezone.now() - timedelta(hours=1),
        ).values_list("ticket_id", flat=True)
    )
    if ticket.pk in recent:
        return None  # acknowledged already: this is a second run of the same task
    if len(recent) >= ACK_LIMIT_PER_HOUR:
        logger.info("Acknowledgement to customer %s skipped: rate limit", ticket.customer_id)
        return None
    name = ticket.customer.name or ""
    subject, body = mailbox.render_acknowledgement(
        number=ticket.number, subject=ticket.subject, name=name
    )
    with translation.override(ticket.language):
        body = (
            body
            or render_to_string(
                "channels_app/email/acknowledgement.txt",
                {"ticket": ticket, "customer_name": name, "mailbox_name": mailbox.name},
            ).strip()
        )
        subject = subject or gettext("We received your message: %(subject)s") % {
            "subject": ticket.subject
        }
    return ticket_services.message_notify(
        ticket=ticket, subject=subject, body_text=body, channel="email", reason="acknowledgement"
    )
