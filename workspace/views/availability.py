"""The top bar's switch: an agent online for live chats, or away."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tickets import services
from tickets.errors import TicketError

from ._common import agent_required


@require_POST
@login_required
def set_availability(request):
    agent_required(request)
    try:
        profile = services.agent_set_availability(
            agent=request.user, availability=request.POST.get("availability", "")
        )
    except TicketError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("You are now %(state)s.") % {"state": profile.get_availability_display()}
        )
    back = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure())
    return redirect(back if safe else "inbox")
