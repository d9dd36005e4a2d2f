"""Project-level pages: the login, the landing page after it, and the error pages."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from portal.views.auth import landing_url
from tickets import selectors
from tickets.models import Ticket


class LoginView(auth_views.LoginView):
    """Django's login page; a customer lands on the portal, never on an agent page it asked
    for (where it would only get a 403)."""

    def get_success_url(self):
        return landing_url(self.request, self.request.user)


@login_required
def home(request):
    """The agents' overview; customers (anyone who is not an agent) go to the portal."""
    if not selectors.is_agent(request.user):
        return redirect("portal:home")
    counts = selectors.ticket_status_counts_for_agent(agent=request.user)
    context = {
        "status_counts": [
            (Ticket.Status(value).label, counts[value]) for value in Ticket.Status.values
        ],
        "recent_tickets": selectors.ticket_list_for_agent(agent=request.user)[:15],
    }
    return render(request, "home.html", context)


def page_not_found(request, exception):
    return render(request, "404.html", status=404)


def server_error(request):
    return render(request, "500.html", status=500)


def permission_denied(request, exception):
    return render(request, "403.html", status=403)
