"""Files a message announced (WhatsApp media, MMS), downloaded after the message is stored."""

import logging
from datetime import timedelta

from django.utils import timezone

from tickets import services as ticket_services
from tickets.models import Message

from ..adapters import get_adapter
from ..adapters.base import ChannelError
from ._common import RetryLater

logger = logging.getLogger(__name__)


def schedule_media_fetch(message_id: int) -> None:
    from ..tasks import fetch_message_media

    try:
        fetch_message_media.delay(message_id)
    except Exception:
        logger.warning("Could not queue media of message %s; the sweeper will", message_id)


MEDIA_MAX_ATTEMPTS = 8


def message_media_fetch(*, message_id: int, last_try: bool = False) -> str | None:
    """Download the files a message announced (WhatsApp media, MMS) and attach them. Returns
    the media status ("stored", "failed") or None when there was nothing to do; raises RetryLater
    on a temporary failure, until `last_try` (or MEDIA_MAX_ATTEMPTS) makes it "failed", said on
    the message for the agent."""
    message = Message.objects.filter(pk=message_id).first()
    media = (message.metadata.get("media") or {}) if message else {}
    if media.get("status") != "pending":
        return None
    attempts = int(media.get("attempts") or 0) + 1
    try:
        attachments = get_adapter(message.channel).fetch_media(message)
    except Exception as exc:
        error = exc
        if not isinstance(exc, ChannelError):  # still an attempt, or the sweeper loops forever
            logger.exception("Media of message %s failed", message_id)
            error = ChannelError(f"{exc.__class__.__name__}: {exc}")
        failed = error.permanent or last_try or attempts >= MEDIA_MAX_ATTEMPTS
        changes = {"attempts": attempts, "error": str(error)[:500]}
        if failed:
            changes["status"] = "failed"
        ticket_services.message_annotate(message=message, changes={"media": changes})
        if failed:
            return "failed"
        raise RetryLater(str(error)) from exc
    ticket_services.message_annotate(
        message=message,
        changes={"media": {"status": "stored", "attempts": attempts, "error": None}},
        attachments=attachments,
    )
    return "stored"


def media_requeue_pending(*, older_than: timedelta = timedelta(minutes=10)) -> int:
    """Queue again the media downloads whose task was lost (recent messages only)."""
    now = timezone.now()
    pending = Message.objects.filter(
        direction=Message.Direction.INBOUND,
        created_at__lt=now - older_than,
        created_at__gt=now - timedelta(days=2),
        metadata__media__status="pending",
    ).values_list("pk", "metadata__media__attempts")[:200]
    count = 0
    for message_id, attempts in pending:
        if int(attempts or 0) < MEDIA_MAX_ATTEMPTS:
            schedule_media_fetch(message_id)
            count += 1
    return count
