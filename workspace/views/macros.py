"""Canned responses and macros: the agent's own list and editor, and the reply box's picker of
canned responses rendered for the ticket."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tickets import selectors, services
from tickets.errors import TicketError
from tickets.selectors.macros import (
    can_manage_shared,
    canned_response_can_change,
    canned_response_get_for_agent,
    canned_responses_for,
)
from tickets.services.macros import placeholder_values, render_placeholders

from ..forms.macros import PLACEHOLDER_HELP, CannedFilterForm, CannedResponseForm
from ._common import agent_required

LIST_PAGE_SIZE = 50
PICKER_LIMIT = 20
MAX_QUERY_LENGTH = 200


def macro_summary(canned) -> str:
    """What a macro does after the reply is sent, in a line ("" for a plain response)."""
    parts = []
    if canned.set_status:
        parts.append(_("status: %(status)s") % {"status": canned.get_set_status_display()})
    if canned.set_priority:
        parts.append(_("priority: %(priority)s") % {"priority": canned.get_set_priority_display()})
    if canned.add_tags:
        parts.append(_("tags: %(tags)s") % {"tags": canned.add_tags})
    if canned.assign_to_me:
        parts.append(_("assign to whoever uses it"))
    if canned.assign_team_id:
        parts.append(_("team: %(team)s") % {"team": canned.assign_team.name})
    return " · ".join(parts)


@require_GET
@login_required
def canned_list(request):
    agent_required(request)
    filters = CannedFilterForm(request.GET)
    query, scope = filters.values()
    responses = canned_responses_for(agent=request.user, query=query, scope=scope)
    page = Paginator(responses, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    for canned in page:
        canned.macro_summary = macro_summary(canned)
        canned.can_change = canned_response_can_change(user=request.user, canned=canned)
    query_string = request.GET.copy()
    query_string.pop("page", None)
    return render(
        request,
        "workspace/canned_list.html",
        {
            "page": page,
            "filters": filters,
            "query_string": query_string.urlencode(),
            "placeholders": PLACEHOLDER_HELP,
        },
    )


def _changeable(request, pk: int):
    """The response, if the agent may change it: 404 when it is not theirs to see at all (another
    agent's personal one), 403 when they see it but may not change it (shared, not a manager)."""
    canned = canned_response_get_for_agent(agent=request.user, pk=pk)
    if not canned_response_can_change(user=request.user, canned=canned):
        raise PermissionDenied
    return canned


@require_http_methods(["GET", "POST"])
@login_required
def canned_create(request):
    agent_required(request)
    form = CannedResponseForm(request.POST or None, may_share=can_manage_shared(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            canned = services.canned_response_create(by=request.user, **form.cleaned_data)
        except TicketError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Canned response “%(title)s” saved.") % {"title": canned})
            return redirect("canned-list")
    return render(
        request, "workspace/canned_form.html", {"form": form, "placeholders": PLACEHOLDER_HELP}
    )


@require_http_methods(["GET", "POST"])
@login_required
def canned_edit(request, pk: int):
    agent_required(request)
    canned = _changeable(request, pk)
    form = CannedResponseForm(
        request.POST or None,
        initial=CannedResponseForm.initial_for(canned),
        may_share=can_manage_shared(request.user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            canned = services.canned_response_update(
                canned=canned, by=request.user, **form.cleaned_data
            )
        except TicketError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Canned response “%(title)s” saved.") % {"title": canned})
            return redirect("canned-list")
    return render(
        request,
        "workspace/canned_form.html",
        {"form": form, "canned": canned, "placeholders": PLACEHOLDER_HELP},
    )


@require_http_methods(["GET", "POST"])
@login_required
def canned_delete(request, pk: int):
    """GET asks for confirmation; only POST deletes."""
    agent_required(request)
    canned = _changeable(request, pk)
    if request.method == "POST":
        try:
            services.canned_response_delete(canned=canned, by=request.user)
        except TicketError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Canned response “%(title)s” deleted.") % {"title": canned})
        return redirect("canned-list")
    return render(request, "workspace/canned_confirm_delete.html", {"canned": canned})


@require_GET
@login_required
def canned_picker(request, number: int):
    """htmx fragment: the responses meant for this ticket, already filled in for it."""
    agent_required(request)
    ticket = selectors.ticket_get_for_agent(agent=request.user, number=number)
    query = request.GET.get("q", "")[:MAX_QUERY_LENGTH]
    responses = canned_responses_for(agent=request.user, ticket=ticket, query=query)
    values = placeholder_values(ticket=ticket, agent=request.user)  # the same for every response
    choices = []
    for canned in responses[:PICKER_LIMIT]:
        canned.macro_summary = macro_summary(canned)
        choices.append((canned, render_placeholders(canned.body, values)))
    return render(
        request,
        "workspace/_canned_picker.html",
        {"ticket": ticket, "choices": choices, "query": query},
    )
