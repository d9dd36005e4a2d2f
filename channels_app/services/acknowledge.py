"""The acknowledgement a customer gets for the message that opened their ticket.

Anyone can make us write one to any address (a web form takes whatever address is typed, an
email's From may be forged), so an acknowledgement says nothing the sender chose: no name, no
subject, only the ticket number and our own text. And the desk as a whole sends at most
ACKNOWLEDGEMENTS_PER_HOUR of them, counted in the cache (no query per acknowledgement).

The acknowledgements of a batch of new tickets (one acknowledge_tickets task) are decided and
written together: a fixed number of statements and one cache count for the batch."""

import logging
import time
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from tickets import services as ticket_services
from tickets.memo import batch_memo
from tickets.models import Message

from ..models import Mailbox

logger = logging.getLogger(__name__)

ACK_LIMIT_PER_HOUR = 3
_BUDGET_KEY = "jornada:ack-budget:"
# Where the ticket number goes in the standard text, rendered once per mailbox and language.
_NUMBER = "\x00number\x00"


def budget_key(at: float | None = None) -> str:
    """The cache key counting this hour's acknowledgements (a fixed window per clock hour)."""
    return f"{_BUDGET_KEY}{int((time.time() if at is None else at) // 3600)}"


def _within_budget(wanted: int) -> int:
    """Count `wanted` more acknowledgements this hour; how many of them (the first ones) are
    within the desk's budget. When the cache cannot count, none is sent: an acknowledgement is a
    courtesy, a relay is harm."""
    key = budget_key()
    try:
        try:
            count = cache.incr(key, wanted)
        except ValueError:  # the hour's first batch (or the key was evicted)
            if cache.add(key, wanted, timeout=3600 + 300):
                count = wanted
            else:  # another worker's batch added it meanwhile
                count = cache.incr(key, wanted)
    except Exception:
        logger.warning("Acknowledgement budget could not be counted; not sent", exc_info=True)
        return 0
    before = count - wanted
    return max(0, min(wanted, settings.JORNADA["ACKNOWLEDGEMENTS_PER_HOUR"] - before))


def _mailbox(mailbox_id: object) -> Mailbox | None:
    return batch_memo(
        ("mailbox", mailbox_id),
        lambda: (
            Mailbox.objects.filter(pk=mailbox_id).first()
            if mailbox_id
            else Mailbox.objects.filter(is_active=True).order_by("pk").first()
        ),
    )


def _openings(message_ids: Sequence[int]) -> list[tuple[Message, Mailbox]]:
    """The messages that may be acknowledged, in the order given, with their mailbox: one
    query (their tickets with them), and one per mailbox unless memoized."""
    loaded = Message.objects.select_related("ticket").in_bulk(list(message_ids))
    mailboxes: dict[object, Mailbox | None] = {}
    openings = []
    for message_id in message_ids:
        message = loaded.get(message_id)
        if message is None or message.is_auto_reply or message.channel not in ("email", "web"):
            continue
        mailbox_id = message.metadata.get("mailbox_id")
        if mailbox_id not in mailboxes:
            mailboxes[mailbox_id] = _mailbox(mailbox_id)
        mailbox = mailboxes[mailbox_id]
        if mailbox is not None and mailbox.auto_ack_enabled:
            openings.append((message, mailbox))
    return openings


def _within_customer_limits(
    openings: list[tuple[Message, Mailbox]],
) -> list[tuple[Message, Mailbox]]:
    """Those not acknowledged already (a second run of the same task) whose customer has had
    fewer than ACK_LIMIT_PER_HOUR this hour, counting the earlier ones of the batch: one query
    for all the customers."""
    recent = (
        Message.objects.filter(
            ticket__customer_id__in={message.ticket.customer_id for message, _ in openings},
            kind=Message.Kind.SYSTEM,
            metadata__automatic="acknowledgement",
            created_at__gt=timezone.now() - timedelta(hours=1),
        )
        .values_list("ticket__customer_id", "ticket_id")
        .order_by()
    )
    acknowledged: set[int] = set()
    per_customer: Counter[int] = Counter()
    for customer_id, ticket_id in recent:
        acknowledged.add(ticket_id)
        per_customer[customer_id] += 1
    wanted = []
    for message, mailbox in openings:
        ticket = message.ticket
        if ticket.pk in acknowledged:
            continue
        if per_customer[ticket.customer_id] >= ACK_LIMIT_PER_HOUR:
            logger.info("Acknowledgement to customer %s skipped: rate limit", ticket.customer_id)
            continue
        acknowledged.add(ticket.pk)
        per_customer[ticket.customer_id] += 1
        wanted.append((message, mailbox))
    return wanted


def _standard_text(mailbox: Mailbox, language: str) -> tuple[str, str]:
    """The standard subject and text in `language`, with _NUMBER for the ticket number."""
    with translation.override(language):
        body = render_to_string(
            "channels_app/email/acknowledgement.txt",
            {"number": _NUMBER, "mailbox_name": mailbox.name},
        ).strip()
        # The email adds the [#number] tag that threads the customer's answer.
        return gettext("We received your message"), body


def _notices(wanted: list[tuple[Message, Mailbox]]) -> list[ticket_services.Notice]:
    standard: dict[tuple[int, str], tuple[str, str]] = {}
    notices = []
    for message, mailbox in wanted:
        ticket = message.ticket
        subject, body = mailbox.render_acknowledgement(number=ticket.number)
        if not (subject and body):
            key = (mailbox.pk, ticket.language)
            if key not in standard:
                standard[key] = _standard_text(mailbox, ticket.language)
            with translation.override(ticket.language):
                number = formats.localize(ticket.number)  # as the template writes it
            subject = subject or standard[key][0]
            body = body or standard[key][1].replace(_NUMBER, number)
        notices.append(
            ticket_services.Notice(
                ticket=ticket,
                subject=subject,
                body_text=body,
                channel="email",
                reason="acknowledgement",
            )
        )
    return notices


def tickets_acknowledge(*, message_ids: Sequence[int]) -> list[Message]:
    """Tell customers we received the messages that opened their tickets. Never for automatic
    mail (no auto-reply loops), never more than ACK_LIMIT_PER_HOUR per customer an hour nor past
    the desk's hourly budget, only when the mailbox asks for it, and once per ticket (a task run
    twice sends nothing twice). Returns the queued acknowledgements."""
    openings = _openings(message_ids)
    wanted = _within_customer_limits(openings) if openings else []
    if not wanted:
        return []
    allowed = _within_budget(len(wanted))
    if allowed < len(wanted):
        logger.warning(
            "Acknowledgements of tickets %s skipped: hourly budget spent",
            ", ".join(str(message.ticket.number) for message, _ in wanted[allowed:]),
        )
    if not allowed:
        return []
    return ticket_services.messages_notify(notices=_notices(wanted[:allowed]))


def ticket_acknowledge(*, message_id: int) -> Message | None:
    """tickets_acknowledge for one message: the queued acknowledgement, or None."""
    acknowledgements = tickets_acknowledge(message_ids=[message_id])
    return acknowledgements[0] if acknowledgements else None
