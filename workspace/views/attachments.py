"""Attachment downloads, for agents and for the customers who may see them."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.views.decorators.http import require_GET

from tickets import selectors

# Shown in the browser; anything else (HTML, SVG, XML, scripts, unknown types) is downloaded as
# application/octet-stream, so that no attachment runs as a page of our origin. PDF is left out:
# Chrome refuses to show a PDF under the sandboxing CSP below, so it is downloaded too.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "text/plain"})
# Even a file shown inline gets no script, style, frame or request of its own.
SANDBOX_POLICY = "sandbox; default-src 'none'"


@require_GET
@login_required
def attachment_download(request, pk: int, filename: str):
    attachment = selectors.attachment_get_for_user(user=request.user, pk=pk)
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
