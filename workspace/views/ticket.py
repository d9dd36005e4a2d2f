"""The ticket page of the agent workspace."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tickets import registries, selectors
from tickets.models import TIER_ORDER, Ticket, tier_rank

from ..display import (
    EVENTS_SHOWN_AS_MESSAGES,
    event_change_text,
    message_html,
    threading_reason_text,
)
from ..forms.ticket_actions import (
    AssignForm,
    NoteForm,
    PriorityForm,
    ReplyForm,
    StatusForm,
    TagsForm,
    TicketNumberForm,
    TierMoveForm,
)
from ._common import agent_required

IMAGE_PREVIEW_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def _timeline(ticket: Ticket, *, remote_images: bool) -> tuple[list, int]:
    """The conversation and the audit trail in one list, each message ready to show."""
    timeline, blocked = [], 0
    for kind, item in selectors.ticket_timeline(ticket=ticket):
        if kind == "message":
            html, held_back = message_html(item, remote_images=remote_images)
            blocked += held_back
            item.display_html = html
            item.reply_text = item.metadata.get("reply_text") or item.body_text
            item.quoted_text = item.metadata.get("quoted_text", "")
            item.reason_text = threading_reason_text(item.threading_reason)
            item.files = [a for a in item.attachments.all() if not a.is_inline]
            for attachment in item.files:
                attachment.previewable = attachment.content_type in IMAGE_PREVIEW_TYPES
        elif item.kind in EVENTS_SHOWN_AS_MESSAGES:
            continue
        else:
            item.change_text = registries.event_text(item) or event_change_text(item)
        timeline.append((kind, item))
    return timeline, blocked


def render_ticket_page(
    request: HttpRequest,
    ticket: Ticket,
    *,
    reply_form: ReplyForm | None = None,
    note_form: NoteForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The page, optionally with a refused reply or note kept as typed (and its errors)."""
    agent = request.user
    timeline, blocked = _timeline(ticket, remote_images=request.GET.get("images") == "1")
    panel = selectors.customer_panel(agent=agent, ticket=ticket)
    channels = selectors.reply_channels(ticket=ticket, identities=panel["identities"])
    rank = tier_rank(ticket.tier)
    tags = [tag.name for tag in ticket.tags.all()]
    context = {
        "ticket": ticket,
        "timeline": timeline,
        "blocked_images": blocked,
        "reply_form": reply_form or ReplyForm(channels=channels),
        "note_form": note_form or NoteForm(),
        "assign_form": AssignForm(
            agents=selectors.agents_who_can_hold(tier=ticket.tier),
            ticket=ticket,
            initial={"assignee": ticket.assignee_id},
        ),
        "status_form": StatusForm(ticket=ticket),
        "priority_form": PriorityForm(initial={"priority": ticket.priority}),
        "escalate_form": TierMoveForm(tiers=TIER_ORDER[rank + 1 :], prefix="up"),
        "deescalate_form": TierMoveForm(tiers=TIER_ORDER[:rank][::-1], prefix="down"),
        "tags_form": TagsForm(initial={"tags": ", ".join(tags)}),
        "merge_form": TicketNumberForm(prefix="merge"),
        "link_form": TicketNumberForm(prefix="link"),
        "tags": tags,
        "links": selectors.ticket_links(agent=agent, ticket=ticket),
        "panel": panel,
        "is_open": ticket.is_open,
        "can_escalate": rank < len(TIER_ORDER) - 1,
        "can_deescalate": rank > 0,
        "side_panels": registries.panels_for(ticket=ticket, agent=agent),
        "message_extras": list(registries.message_extras),
    }
    return render(request, "workspace/ticket_detail.html", context, status=status)


@require_GET
@login_required
def ticket_detail(request, number: int):
    """The ticket as agents read it: one timeline across channels, newest text of each email
    first with the quoted history folded away, and why each message landed here."""
    agent_required(request)
    ticket = selectors.ticket_get_for_agent(agent=request.user, number=number)
    return render_ticket_page(request, ticket)


@require_GET
@login_required
def next_ticket(request):
    """Go to the next ticket to work (shortcut j); back to the inbox when there is none."""
    agent_required(request)
    after = request.GET.get("after", "")
    found = selectors.next_ticket_for_agent(
        agent=request.user, after_number=int(after) if after.isdigit() else None
    )
    if found is None:
        messages.info(request, _("No other ticket is waiting for you."))
        return redirect("inbox")
    return redirect("ticket-detail", number=found)
