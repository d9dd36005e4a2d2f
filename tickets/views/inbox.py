"""The agent inbox: every channel in one list."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..inbox import FILTER_FIELDS, inbox_page
from ..models import Channel, Ticket, Tier
from ._common import agent_required


@require_GET
@login_required
def inbox(request):
    """Every channel in one list: named views with counts, filters, keyset pages."""
    agent_required(request)
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
