"""Browser views of the tickets app: attachments and the ticket page of the agent workspace."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import selectors
from .display import (
    EVENTS_SHOWN_AS_MESSAGES,
    event_change_text,
    message_html,
    threading_reason_text,
)
from .inbox import FILTER_FIELDS, inbox_page
from .models import Channel, Ticket, Tier

# Shown in the browser; anything else is downloaded, so that no attachment runs as a page.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "text/plain"})


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
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _agent_required(request):
    if not selectors.is_agent(request.user):
        raise PermissionDenied


@require_GET
@login_required
def ticket_detail(request, number: int):
    """The ticket as agents read it: one timeline across channels, newest text of each email
    first with the quoted history folded away, and why each message landed here."""
    _agent_required(request)
    ticket = selectors.ticket_get_for_agent(agent=request.user, number=number)
    remote_images = request.GET.get("images") == "1"
    timeline, blocked = [], 0
    for kind, item in selectors.ticket_timeline(ticket=ticket):
        if kind == "message":
            html, held_back = message_html(item, remote_images=remote_images)
            blocked += held_back
            item.display_html = html
            item.reply_text = item.metadata.get("reply_text") or item.body_text
            item.quoted_text = item.metadata.get("quoted_text", "")
            item.reason_text = threading_reason_text(item.threading_reason)
        elif item.kind in EVENTS_SHOWN_AS_MESSAGES:
            continue
        else:
            item.change_text = event_change_text(item)
        timeline.append((kind, item))
    return render(
        request,
        "tickets/ticket_detail.html",
        {"ticket": ticket, "timeline": timeline, "blocked_images": blocked},
    )


@require_GET
@login_required
def inbox(request):
    """Every channel in one list: named views with counts, filters, keyset pages."""
    _agent_required(request)
    filters = {field: request.GET.get(field, "") for field in FILTER_FIELDS}
    page = inbox_page(
        agent=request.user,
        view=request.GET.get("view", "open"),
        filters=filters,
        sort=request.GET.get("sort", "updated"),
        cursor=request.GET.get("after", ""),
    )
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "tickets/inbox.html",
        {
            "page": page,
            "filters": filters,
            "sort": request.GET.get("sort", "updated"),
            "query": query.urlencode(),
            "statuses": Ticket.Status.choices,
            "priorities": Ticket.Priority.choices,
            "tiers": Tier.choices,
            "channels": Channel.choices,
        },
    )
