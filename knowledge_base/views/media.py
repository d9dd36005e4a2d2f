"""/kb-media/<name>: the files of articles. Those of public published articles are public
(cacheable, images inline); those of internal articles or drafts open for agents only. Only
files recorded as article attachments are served, never anything else on disk."""

from django.http import FileResponse, Http404
from django.views.decorators.http import require_GET

from tickets import selectors as ticket_selectors

from ..models import Article, ArticleAttachment
from ..rendering import INLINE_IMAGE_TYPES


@require_GET
def media(request, name: str):
    attachment = ArticleAttachment.objects.select_related("article").filter(file=name).first()
    if attachment is None:
        raise Http404
    article = attachment.article
    public = article.status == Article.Status.PUBLISHED and article.is_public
    if not public and not ticket_selectors.is_agent(request.user):
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    inline = attachment.content_type in INLINE_IMAGE_TYPES
    response = FileResponse(
        handle,
        content_type=attachment.content_type if inline else "application/octet-stream",
        as_attachment=not inline,
        filename=attachment.filename,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "public, max-age=3600" if public else "private, no-store"
    return response
