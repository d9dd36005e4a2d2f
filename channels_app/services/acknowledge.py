"""The acknowledgement a customer gets for the message that opened their ticket.

Anyone can make us write one to any address (a web form takes whatever address is typed, an
email's From may be forged), so an acknowledgement says nothing the sender chose: no name, no
subject, only the ticket number and our own text. And the desk as a whole sends at most
ACKNOWLEDGEMENTS_PER_HOUR of them, counted in the cache (no query per acknowledgement)."""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from tickets import services as ticket_services
from tickets.memo import batch_memo
from tickets.models import Message

from ..models import Mailbox

logger = logging.getLogger(__name__)

ACK_LIMIT_PER_HOUR = 3
_BUDGET_KEY = "jornada:ack-budget:"


def budget_key(at: float | None = None) -> str:
    """The cache key counting this hour's acknowledgements (a fixed window per clock hour)."""
    return f"{_BUDGET_KEY}{int((time.time() if at is None else at) // 3600)}"


def _within_budget() -> bool:
    """Count one more acknowledgement this hour; whether it is within the desk's budget. When
    the cache cannot count, none is sent: an acknowledgement is a courtesy, a relay is harm."""
    key = budget_key()
    try:
        cache.add(key, 0, timeout=3600 + 300)
        try:
            count = cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.set(key, 1, timeout=3600 + 300)
            count = 1
    except Exception:
        logger.warning("Acknowledgement budget could not be counted; not sent", exc_info=True)
        return False
    return count <= settings.JORNADA["ACKNOWLEDGEMENTS_PER_HOUR"]


def ticket_acknowledge(*, message_id: int) -> Message | None:
    """Tell a customer we received the message that opened their ticket. Never for automatic
    mail (no auto-reply loops), never more than ACK_LIMIT_PER_HOUR per customer an hour nor past
    the desk's hourly budget, only when the mailbox asks for it, and once per ticket (a task run
    twice sends one). Returns the queued acknowledgement, or None."""
    message = Message.objects.select_related("ticket__customer").filter(pk=message_id).first()
    if message is None or message.is_auto_reply or message.channel not in ("email", "web"):
        return None
    ticket = message.ticket
    mailbox_id = message.metadata.get("mailbox_id")
    mailbox = batch_memo(
        ("mailbox", mailbox_id),
        lambda: (
            Mailbox.objects.filter(pk=mailbox_id).first()
            if mailbox_id
            else Mailbox.objects.filter(is_active=True).order_by("pk").first()
        ),
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
    if not _within_budget():
        logger.warning("Acknowledgement of ticket %s skipped: hourly budget spent", ticket.number)
        return None
    subject, body = mailbox.render_acknowledgement(number=ticket.number)
    with translation.override(ticket.language):
        body = (
            body
            or render_to_string(
                "channels_app/email/acknowledgement.txt",
                {"number": ticket.number, "mailbox_name": mailbox.name},
            ).strip()
        )
        # The email adds the [#number] tag that threads the customer's answer.
        subject = subject or gettext("We received your message")
    return ticket_services.message_notify(
        ticket=ticket, subject=subject, body_text=body, channel="email", reason="acknowledgement"
    )
