"""The N1 dispatchers' queue: new tickets not yet routed, with the team the rules suggest and
why; one key (or click) routes a ticket to a team."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from automation import dispatch as routing
from tickets.errors import TicketError
from tickets.models import Team, Ticket

from ._common import agent_required


@require_GET
@login_required
def dispatch_queue(request):
    agent_required(request)
    if not routing.may_dispatch(request.user):
        raise PermissionDenied
    tickets = routing.dispatch_queue(agent=request.user)
    suggestions = routing.suggestions_for(tickets) if tickets else {}
    teams = list(Team.objects.order_by("tier", "name")[:9])
    rows = [(ticket, suggestions.get(ticket.pk)) for ticket in tickets]
    return render(request, "workspace/dispatch.html", {"rows": rows, "teams": teams})


@require_POST
@login_required
def dispatch_route(request, number: int):
    agent_required(request)
    if not routing.may_dispatch(request.user):
        raise PermissionDenied
    ticket = get_object_or_404(Ticket, number=number)
    team = get_object_or_404(Team, pk=request.POST.get("team"))
    try:
        routing.ticket_dispatch(ticket=ticket, team=team, by=request.user)
    except TicketError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("#%(number)s routed to %(team)s.") % {"number": number, "team": team.name},
        )
    return redirect("dispatch")
