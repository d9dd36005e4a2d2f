"""The agent inbox: every channel in one list, the agent's saved views and bulk actions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from channels_app.models import ChatSession
from channels_app.selectors import chat_sessions_by_ticket
from tickets import selectors, services
from tickets.errors import TicketError
from tickets.models import (
    AgentProfile,
    Channel,
    SavedView,
    Team,
    Ticket,
    Tier,
)
from tickets.selectors.inbox import (
    FILTER_FIELDS,
    SORTS,
    forget_view_counts,
    inbox_page,
)
from tickets.services.views import clean_query

from ._common import agent_required

MAX_SEARCH_LENGTH = 200
MORE_FILTERS = ("customer", "organization", "created_from", "created_to", "updated_from")


def _inbox_url(query: str) -> str:
    query = clean_query(query)
    return f"{reverse('inbox')}?{query}" if query else reverse("inbox")


@require_GET
@login_required
def inbox(request):
    """Named views with counts, filters, search, sorts and keyset pages. An htmx request aimed at
    the list gets the list alone; a ticket number in the search box opens that ticket."""
    agent_required(request)
    filters = {name: request.GET.get(name, "").strip() for name in FILTER_FIELDS}
    q = request.GET.get("q", "").strip()[:MAX_SEARCH_LENGTH]
    page = inbox_page(
        agent=request.user,
        view=request.GET.get("view", "open"),
        filters=filters,
        sort=request.GET.get("sort", ""),
        q=q,
        cursor=request.GET.get("after", ""),
    )
    if page.jump_to is not None:
        url = reverse("ticket-detail", args=[page.jump_to])
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)

    query = request.GET.copy()
    query.pop("after", None)
    now = timezone.now()
    _label_rows(page.tickets, now)
    context = {
        "page": page,
        "filters": filters,
        "q": q,
        "query": query.urlencode(),
        "saved_query": clean_query(query.urlencode()),
        "first_page": bool(request.GET.get("after")),
    }
    if (
        request.htmx
        and request.htmx.target == "ticket-list"
        and not request.htmx.history_restore_request
    ):
        return render(request, "workspace/_inbox_list.html", context)
    context.update(_form_choices(request, filters))
    return render(request, "workspace/inbox.html", context)


def _label_rows(tickets: list[Ticket], now) -> None:
    """Choice labels and SLA wording set once per page: done per cell in the template, they
    cost more than the queries of the whole page."""
    labels = {
        field: {value: str(label) for value, label in choices}
        for field, choices in (
            ("status", Ticket.Status.choices),
            ("priority", Ticket.Priority.choices),
            ("channel", Channel.choices),
        )
    }
    _label_chats(tickets, now)
    for ticket in tickets:
        ticket.status_label = labels["status"].get(ticket.status, ticket.status)
        ticket.priority_label = labels["priority"].get(ticket.priority, ticket.priority)
        ticket.channel_label = labels["channel"].get(ticket.channel, ticket.channel)
        due = ticket.sla_due_at if ticket.is_open else None
        ticket.sla_state = ticket.sla_text = ""
        if due is None:
            continue
        if due <= now:
            ticket.sla_state = "overdue"
            ticket.sla_text = _("overdue by %(time)s") % {"time": timesince(due, now, depth=1)}
        else:
            at_risk = ticket.sla_warn_at is not None and ticket.sla_warn_at <= now
            ticket.sla_state = "at-risk" if at_risk else "running"
            ticket.sla_text = _("in %(time)s") % {"time": timeuntil(due, now, depth=1)}


def _label_chats(tickets: list[Ticket], now) -> None:
    """Where each live chat of the page stands, and how long its visitor has waited: one query,
    none on a page without a chat."""
    chats = chat_sessions_by_ticket([t.pk for t in tickets if t.channel == Channel.CHAT])
    states = dict(ChatSession.State.choices)
    for ticket in tickets:
        chat = chats.get(ticket.pk)
        ticket.chat_state = chat.state if chat else ""
        ticket.chat_label = states.get(ticket.chat_state, "")
        ticket.chat_waiting = ticket.chat_waiting_since = ""
        if chat and chat.state == ChatSession.State.WAITING and chat.waiting_since:
            ticket.chat_waiting_since = chat.waiting_since.isoformat()
            ticket.chat_waiting = _("waiting %(time)s") % {
                "time": timesince(chat.waiting_since, now, depth=1)
            }


def _form_choices(request, filters: dict[str, str]) -> dict:
    """What the filter, bulk and saved-view forms offer: a fixed number of queries."""
    agents = list(
        AgentProfile.objects.select_related("user")
        .filter(user__is_active=True)
        .order_by("user__first_name", "user__username")
    )
    # Named only when the agent may see one of their tickets: the id alone stays in the field.
    customer = organization = None
    if filters["customer"].isdigit() and len(filters["customer"]) <= 18:
        customer = selectors.customer_get_for_agent(
            agent=request.user, customer_id=int(filters["customer"])
        )
    if filters["organization"].isdigit() and len(filters["organization"]) <= 18:
        organization = selectors.organization_get_for_agent(
            agent=request.user, organization_id=int(filters["organization"])
        )
    return {
        "statuses": Ticket.Status.choices,
        "priorities": Ticket.Priority.choices,
        "tiers": Tier.choices,
        "channels": Channel.choices,
        "sorts": [(key, sort.label) for key, sort in SORTS.items()],
        "teams": list(Team.objects.order_by("tier", "name")),
        "agents": [profile.user for profile in agents],
        "saved_views": list(SavedView.objects.filter(owner=request.user)),
        "filter_customer": customer,
        "filter_organization": organization,
        "more_filters_open": any(filters[name] for name in MORE_FILTERS) or filters["updated_to"],
    }


# --- Saved views ---------------------------------------------------------------------------------


@require_POST
@login_required
def saved_view_create(request):
    agent_required(request)
    query = request.POST.get("query", "")
    try:
        saved = services.saved_view_create(
            owner=request.user, name=request.POST.get("name", ""), query=query
        )
    except TicketError as exc:
        messages.error(request, exc.message)
        return redirect(_inbox_url(query))
    messages.success(request, _("View “%(name)s” saved.") % {"name": saved.name})
    return redirect(_inbox_url(saved.query))


@require_POST
@login_required
def saved_view_rename(request, pk: int):
    agent_required(request)
    try:
        saved = services.saved_view_rename(
            owner=request.user, saved_view_id=pk, name=request.POST.get("name", "")
        )
    except SavedView.DoesNotExist as exc:
        raise Http404 from exc
    except TicketError as exc:
        messages.error(request, exc.message)
        return redirect("inbox")
    messages.success(request, _("View renamed to “%(name)s”.") % {"name": saved.name})
    return redirect(_inbox_url(saved.query))


@require_POST
@login_required
def saved_view_delete(request, pk: int):
    agent_required(request)
    try:
        services.saved_view_delete(owner=request.user, saved_view_id=pk)
    except SavedView.DoesNotExist as exc:
        raise Http404 from exc
    messages.success(request, _("View deleted."))
    return redirect("inbox")


# --- Bulk actions --------------------------------------------------------------------------------


def _bulk_assignee(request):
    """The agent chosen in the bulk form: "me", "" (nobody) or an agent's user id."""
    value = request.POST.get("assignee", "")
    if value == "me":
        return request.user
    if not value:
        return None
    if not value.isdigit():
        raise TicketError(_("Choose an agent to assign to."))
    profile = AgentProfile.objects.select_related("user").filter(user_id=int(value)).first()
    if profile is None:
        raise TicketError(_("Choose an agent to assign to."))
    return profile.user


def _target_number(request) -> int | None:
    value = request.POST.get("target", "").strip().lstrip("#")
    if not value:
        return None
    if not value.isdigit() or len(value) > 18:
        raise TicketError(_("“%(value)s” is not a ticket number.") % {"value": value})
    return int(value)


@require_POST
@login_required
def inbox_bulk(request):
    """One action on the selected tickets; the summary says what changed and what was refused."""
    agent_required(request)
    back = _inbox_url(request.POST.get("return_query", ""))
    ids = [int(v) for v in request.POST.getlist("ticket") if v.isdigit() and len(v) <= 18]
    if not ids:
        messages.error(request, _("Select at least one ticket."))
        return redirect(back)
    action = request.POST.get("action", "")
    try:
        result = services.tickets_bulk_apply(
            agent=request.user,
            ticket_ids=ids,
            action=action,
            assignee=_bulk_assignee(request) if action == "assign" else None,
            status=request.POST.get("status", ""),
            priority=request.POST.get("priority", ""),
            tags=request.POST.get("tags", "").split(","),
            target_number=_target_number(request) if action == "merge" else None,
        )
    except TicketError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    forget_view_counts(agent=request.user)
    level, text = bulk_summary(result)
    messages.add_message(request, level, text)
    return redirect(back)


def bulk_summary(result) -> tuple[int, str]:
    """ "12 updated, 1 failed: #123 A ticket cannot go from “Closed” to “Open”." """
    n = len(result.updated)
    if result.merged_into is not None:
        parts = [
            ngettext(
                "%(n)s ticket merged into #%(target)s",
                "%(n)s tickets merged into #%(target)s",
                n,
            )
            % {"n": n, "target": result.merged_into}
        ]
    else:
        parts = [ngettext("%(n)s ticket updated", "%(n)s tickets updated", n) % {"n": n}]
    if result.out_of_reach:
        parts.append(
            ngettext(
                "%(n)s is no longer within your reach",
                "%(n)s are no longer within your reach",
                result.out_of_reach,
            )
            % {"n": result.out_of_reach}
        )
    text = ", ".join(parts)
    if result.failed:
        failures = "; ".join(f"#{number} {why}" for number, why in result.failed)
        text += ", " + ngettext(
            "%(n)s failed: %(failures)s", "%(n)s failed: %(failures)s", len(result.failed)
        ) % {"n": len(result.failed), "failures": failures}
    failed = result.failed or result.out_of_reach
    return (messages.WARNING if failed else messages.SUCCESS), text + "."
