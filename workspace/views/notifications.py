"""The agent's notifications: mentions and assignments, newest first."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tickets import selectors, services
from tickets.models import AgentNotification

from ._common import agent_required


@require_GET
@login_required
def notification_list(request):
    agent_required(request)
    return render(
        request,
        "workspace/notifications.html",
        {"notifications": selectors.notifications_for(agent=request.user)},
    )


@require_POST
@login_required
def notification_open(request, pk: int):
    """Mark it read and go to what it is about."""
    agent_required(request)
    notification = get_object_or_404(AgentNotification, pk=pk, recipient=request.user)
    services.notifications_mark_read(recipient=request.user, ids=[notification.pk])
    if not selectors.ticket_visible_to(agent=request.user, ticket_id=notification.ticket_id):
        messages.info(
            request,
            _("Ticket #%(number)s has left your queues since then.")
            % {"number": notification.ticket.number},
        )
        return HttpResponseRedirect(reverse("notifications"))
    url = reverse("ticket-detail", args=[notification.ticket.number])
    anchor = f"#message-{notification.message_id}" if notification.message_id else ""
    return HttpResponseRedirect(url + anchor)


@require_POST
@login_required
def notifications_read(request):
    agent_required(request)
    services.notifications_mark_read(recipient=request.user)
    return HttpResponseRedirect(reverse("notifications"))
