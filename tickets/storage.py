"""Where ticket attachments are kept: a storage of their own (STORAGES["attachments"]), outside
MEDIA_ROOT and with no URL. A customer's file is read only through the permission-checked
download view (URL name `attachment`), so no web server, DEBUG route or admin link can hand it
to someone who may not see the ticket. MEDIA_ROOT and the default storage stay for files anyone
may fetch."""

from django.core.files.storage import FileSystemStorage, Storage, storages
from django.http import FileResponse

# Shown in the browser; anything else (HTML, SVG, XML, scripts, unknown types) is downloaded as
# application/octet-stream, so that no attachment runs as a page of our origin. PDF is left out:
# Chrome refuses to show a PDF under the sandboxing CSP below, so it is downloaded too.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "text/plain"})
# Even a file shown inline gets no script, style, frame or request of its own.
SANDBOX_POLICY = "sandbox; default-src 'none'"


class PrivateFileSystemStorage(FileSystemStorage):
    """A FileSystemStorage whose files have no URL: asking for one is a bug, said loudly."""

    def url(self, name):
        raise ValueError(
            f"{name!r} is private and has no public URL: link to the attachment download view."
        )


def attachment_storage() -> Storage:
    """The storage of Attachment.file (a callable, so the settings choose it and migrations
    name only this function)."""
    return storages["attachments"]


def attachment_response(attachment) -> FileResponse:
    """The file of an attachment for a reader the caller has checked: safe types shown, every
    other type downloaded, none of them able to run as a page of our origin."""
    inline = attachment.content_type in INLINE_TYPES
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not inline,
        filename=attachment.filename,
        content_type=attachment.content_type if inline else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_POLICY
    response["Cache-Control"] = "private, max-age=3600"
    return response
