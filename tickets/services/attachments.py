"""Files a message brings: saved through the storage API, over-limit ones refused or skipped."""

from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.files.base import ContentFile

from ..errors import AttachmentTooLarge
from ..inbound import InboundAttachment, NormalizedMessage
from ..models import Attachment, Message
from ..rows import rows_update


def attachments_store(
    message: Message, attachments: Iterable[InboundAttachment], *, strict: bool
) -> list[str]:
    """Save attachments through the storage API. Over-limit files raise (agent uploads) or are
    skipped with a warning (inbound: the raw message is kept by the channel)."""
    rows, warnings = attachment_rows(message, attachments, strict=strict)
    Attachment.objects.bulk_create(rows)  # one INSERT, however many
    return warnings


def attachment_rows(
    message: Message, attachments: Iterable[InboundAttachment], *, strict: bool
) -> tuple[list[Attachment], list[str]]:
    """attachments_store's rows, their files saved, the rows not yet (a batch's are written in
    one INSERT), and the warnings of those skipped."""
    limit = settings.JORNADA["ATTACHMENT_MAX_BYTES"]
    rows, warnings = [], []
    for item in attachments:
        size = len(item.content)
        if size > limit:
            error = AttachmentTooLarge(filename=item.filename, size=size, limit=limit)
            if strict:
                raise error
            warnings.append(error.message)
            continue
        attachment = Attachment(
            message=message,
            filename=item.filename[:255] or "attachment",
            content_type=item.content_type[:255] or "application/octet-stream",
            size=size,
            content_id=item.content_id[:255],
            is_inline=item.is_inline,
        )
        attachment.file.save(attachment.filename, ContentFile(item.content), save=False)
        rows.append(attachment)
    return rows, warnings


def attachments_store_for(
    items: Sequence[NormalizedMessage], messages: Sequence[Message]
) -> dict[int, list[str]]:
    """The attachments of several inbound messages (item i is message i's) in one INSERT; the
    warnings of those skipped, by message id, also kept in the message's metadata (as
    message_receive does)."""
    rows: list[Attachment] = []
    warned: dict[int, list[str]] = {}
    for item, message in zip(items, messages, strict=True):
        if not item.attachments:
            continue
        stored, warnings = attachment_rows(message, item.attachments, strict=False)
        rows += stored
        if warnings:
            message.metadata["warnings"] = warned[message.pk] = warnings
    Attachment.objects.bulk_create(rows)
    rows_update([message for message in messages if message.pk in warned], ["metadata"])
    return warned
