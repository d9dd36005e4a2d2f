"""Files a message brings: saved through the storage API, over-limit ones refused or skipped."""

from collections.abc import Iterable

from django.conf import settings
from django.core.files.base import ContentFile

from ..errors import AttachmentTooLarge
from ..inbound import InboundAttachment
from ..models import Attachment, Message


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
