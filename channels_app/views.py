"""Browser-facing views of the channels: the public contact form, and sending a WhatsApp
template from the ticket page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from tickets import selectors as ticket_selectors
from tickets.errors import TicketError

from . import selectors, services
from .adapters.webform.adapter import encode_submission
from .forms import ContactForm, new_form_token
from .throttle import over_limit

RATE_LIMIT = 5  # submissions per address...
RATE_WINDOW = 600  # ...per ten minutes


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _over_rate_limit(request) -> bool:
    return over_limit(f"webform-rate:{_client_ip(request)}", limit=RATE_LIMIT, window=RATE_WINDOW)


# The signed token replaces the CSRF cookie, so the form also works embedded on other sites.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def contact(request, embed: bool = False):
    response = _contact(request, embed=embed)
    response.xframe_options_exempt = embed  # only the embeddable form may live in a frame
    return response


def _contact(request, *, embed: bool):
    template = "channels_app/contact_embed.html" if embed else "channels_app/contact.html"
    if request.method == "GET":
        form = ContactForm(initial={"token": new_form_token()})
        return render(request, template, {"form": form})
    form = ContactForm(request.POST, request.FILES)
    if _over_rate_limit(request):
        form.add_error(
            None, _("Too many messages from your network. Please try again in a few minutes.")
        )
        return render(request, template, {"form": form}, status=429)
    if not form.is_valid():
        return render(request, template, {"form": form}, status=400)
    if not form.is_spam:
        data = form.cleaned_data
        raw = encode_submission(
            name=data["name"],
            email=data["email"],
            subject=data["subject"],
            body=data["body"],
            attachments=[
                (upload.name, upload.content_type or "application/octet-stream", upload.read())
                for upload in data["attachments"]
            ],
            meta={
                "ip": _client_ip(request),
                "user_agent": request.headers.get("User-Agent", "")[:300],
                "language": request.LANGUAGE_CODE,
            },
        )
        services.inbound_event_store(
            channel="web", source="webform", provider_id=data["token"], raw=raw
        )
    # A bot gets the same thanks as a person, so it learns nothing.
    return render(request, template, {"sent": True})


@require_POST
@login_required
def whatsapp_template_send(request, number: int):
    """An agent sends an approved template to the ticket's customer (the way to write once the
    24-hour window has closed); back to the ticket page with what happened."""
    if not ticket_selectors.is_agent(request.user):
        raise PermissionDenied
    ticket = ticket_selectors.ticket_get_for_agent(agent=request.user, number=number)
    template_id = request.POST.get("template", "")
    template = get_object_or_404(
        selectors.whatsapp_templates(), pk=int(template_id) if template_id.isdigit() else 0
    )
    try:
        services.whatsapp_template_send(
            ticket=ticket, by=request.user, template=template, params=request.POST.getlist("params")
        )
    except TicketError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Template “%(name)s” queued for WhatsApp.") % {"name": template.name}
        )
    return redirect("ticket-detail", number=ticket.number)
