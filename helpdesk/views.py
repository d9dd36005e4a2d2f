"""Project-level pages: the landing page after login and the error pages."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from tickets import selectors
from tickets.models import Ticket


@login_required
def home(request):
    context = {"is_agent": selectors.is_agent(request.user)}
    if context["is_agent"]:
        counts = selectors.ticket_status_counts_for_agent(agent=request.user)
        context["status_counts"] = [
            (Ticket.Status(value).label, counts[value]) for value in Ticket.Status.values
        ]
        context["recent_tickets"] = selectors.ticket_list_for_agent(agent=request.user)[:15]
    else:
        context["my_tickets"] = selectors.ticket_list_for_customer(user=request.user)[:50]
    return render(request, "home.html", context)


def page_not_found(request, exception):
    return render(request, "404.html", status=404)


def server_error(request):
    return render(request, "500.html", status=500)


def permission_denied(request, exception):
    return render(request, "403.html", status=403)
