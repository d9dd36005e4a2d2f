"""The inbound pipeline: store every delivery first (one INSERT), process it after commit.

Processing is idempotent: an event already processed is left alone, a duplicate provider message
produces no second Message, and an event left in `received` (worker crash, broker down) is found
again by the sweeper.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from tickets import services as ticket_services
from tickets.inbound import NormalizedMessage
from tickets.models import Message

from .adapters import get_adapter
from .adapters.base import ChannelError, DeliveryUpdate, Ignored
from .models import InboundEvent, Mailbox

logger = logging.getLogger(__name__)
S = InboundEvent.Status
MAX_ATTEMPTS = 5


class RetryLater(Exception):
    """Processing failed for a reason that may pass (database or network hiccup)."""


DRAIN_SCHEDULED = "jornada:inbound-drain-scheduled"


def _cache_is_shared() -> bool:
    return not settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")


def schedule_processing() -> None:
    """Make sure a drain task is on its way. One task works through every waiting event, so a
    burst of 10,000 deliveries costs a handful of tasks instead of 10,000 (a Celery round trip is
    a large part of the cost of one message). The flag lapses by itself if that task is lost; a
    per-process cache (embedded mode) cannot share it, so there every delivery queues a drain."""
    from .tasks import process_inbound_events

    if _cache_is_shared() and not cache.add(DRAIN_SCHEDULED, 1, timeout=10):
        return  # a drain is already queued: it will see this event
    try:
        process_inbound_events.delay()
    except Exception:
        # Broker down: the event is safe in the database and the sweeper will queue it.
        cache.delete(DRAIN_SCHEDULED)
        logger.warning("Could not queue inbound processing; the sweeper will", exc_info=True)


def inbound_event_store(
    *,
    channel: str,
    source: str,
    provider_id: str,
    raw: bytes,
    headers: dict | None = None,
    mailbox: Mailbox | None = None,
) -> tuple[InboundEvent, bool]:
    """Keep a delivery exactly as received. Returns (event, created); a delivery already stored
    (same channel and provider id) returns the first one and queues nothing."""
    try:
        with transaction.atomic():
            event = InboundEvent.objects.create(
                channel=channel,
                source=source[:120],
                provider_id=provider_id[:255],
                raw=raw,
                size=len(raw),
                headers=headers or {},
                mailbox=mailbox,
            )
            transaction.on_commit(schedule_processing)
    except IntegrityError:
        existing = InboundEvent.objects.filter(
            channel=channel, provider_id=provider_id[:255]
        ).first()
        if existing is None:
            raise
        return existing, False
    return event, True


@dataclass
class _Outcome:
    status: str
    message: Message | None
    notes: list[str]


def _apply(items: list) -> _Outcome:
    outcome = _Outcome(status=S.IGNORED, message=None, notes=[])
    for item in items:
        if isinstance(item, NormalizedMessage):
            result = ticket_services.message_receive(incoming=item)
            outcome.status = S.PROCESSED
            outcome.message = outcome.message or result.message
            outcome.notes += result.warnings
            outcome.notes += list(item.metadata.get("warnings", []))
            if result.duplicate:
                outcome.notes.append(f"duplicate of message {result.message.pk}")
        elif isinstance(item, DeliveryUpdate):
            ours = Message.objects.filter(
                direction=Message.Direction.OUTBOUND, external_id__in=item.external_ids
            )
            found = False
            for message in ours:
                found = True
                ticket_services.message_update_delivery(
                    message=message, status=item.status, error=item.error
                )
                outcome.message = outcome.message or message
            if found:
                outcome.status = S.PROCESSED
                outcome.notes.append(f"delivery status {item.status}")
            else:
                unknown = ", ".join(item.external_ids)[:300]
                outcome.notes.append(
                    f"delivery status {item.status} for unknown message(s) {unknown}"
                )
        elif isinstance(item, Ignored):
            outcome.notes.append(item.reason)
    return outcome


def inbound_event_process(
    *, event_id: int, force: bool = False, skip_locked: bool = False
) -> InboundEvent | None:
    """Parse and apply one stored delivery. Safe to call twice: a processed or ignored event is
    left alone (unless `force`, for re-processing from the admin). Raises RetryLater when a
    temporary failure deserves another attempt; permanent failures end in `failed`."""
    retry = False
    with transaction.atomic():
        event = (
            InboundEvent.objects.select_for_update(skip_locked=skip_locked)
            .filter(pk=event_id)
            .first()
        )
        if event is None:
            return None  # gone, or (skip_locked) another worker is processing it right now
        if event.status in (S.PROCESSED, S.IGNORED) and not force:
            return event
        event.attempts += 1
        try:
            with transaction.atomic():
                outcome = _apply(get_adapter(event.channel).parse(event))
        except ChannelError as exc:
            event.status, event.error = S.FAILED, str(exc)
            retry = not exc.permanent
        except Exception as exc:
            logger.exception("Inbound event %s failed", event.pk)
            event.status, event.error = S.FAILED, f"{exc.__class__.__name__}: {exc}"
            retry = True
        else:
            event.status, event.error = outcome.status, ""
            event.message = outcome.message
            event.notes = outcome.notes
            event.processed_at = timezone.now()
        if retry and event.attempts < MAX_ATTEMPTS:
            # Still waiting, not failed: the drain or the sweeper tries again, nothing is lost
            # even if the retry task never runs. After MAX_ATTEMPTS it stays failed, for a person.
            event.status = S.RECEIVED
        event.save(
            update_fields=["status", "error", "message", "notes", "processed_at", "attempts"]
        )
    if retry and event.attempts < MAX_ATTEMPTS:
        raise RetryLater(event.error)
    return event


def inbound_events_requeue_stuck(*, older_than: timedelta = timedelta(minutes=2)) -> int:
    """How many events were stuck; a drain is queued for them."""
    stuck = InboundEvent.objects.filter(
        status=S.RECEIVED, received_at__lt=timezone.now() - older_than
    ).count()
    if stuck:
        cache.delete(DRAIN_SCHEDULED)  # whatever was scheduled did not happen
        schedule_processing()
    return stuck


def inbound_events_waiting(*, limit: int = 100, exclude: set[int] | None = None) -> list[int]:
    waiting = InboundEvent.objects.filter(status=S.RECEIVED)
    if exclude:
        waiting = waiting.exclude(pk__in=exclude)
    return list(waiting.order_by("received_at", "pk").values_list("pk", flat=True)[:limit])


ACK_LIMIT_PER_HOUR = 3


def ticket_acknowledge(*, message_id: int) -> Message | None:
    """Tell a customer we received the message that opened their ticket. Never for automatic
    mail (no auto-reply loops), never more than ACK_LIMIT_PER_HOUR per customer an hour, only when
    the mailbox asks for it. Returns the queued acknowledgement, or None."""
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
    recent = Message.objects.filter(
        ticket__customer=ticket.customer,
        kind=Message.Kind.SYSTEM,
        metadata__automatic="acknowledgement",
        created_at__gt=timezone.now() - timedelta(hours=1),
    ).count()
    if recent >= ACK_LIMIT_PER_HOUR:
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
