"""The ticket page of the agent workspace."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .. import selectors
from ..display import (
    EVENTS_SHOWN_AS_MESSAGES,
    event_change_text,
    message_html,
    threading_reason_text,
)
from ._common import agent_required


@require_GET
@login_required
def ticket_detail(request, number: int):
    """The ticket as agents read it: one timeline across channels, newest text of each email
    first with the quoted history folded away, and why each message landed here."""
    agent_required(request)
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
