"""Browser-facing views of the channels: the public contact form."""

from django.core.cache import cache
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import services
from .adapters.webform.adapter import encode_submission
from .forms import ContactForm, new_form_token

RATE_LIMIT = 5  # submissions per address...
RATE_WINDOW = 600  # ...per ten minutes


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _over_rate_limit(request) -> bool:
    key = f"webform-rate:{_client_ip(request)}"
    cache.add(key, 0, RATE_WINDOW)
    try:
        return cache.incr(key) > RATE_LIMIT
    except ValueError:  # expired between add and incr
        cache.set(key, 1, RATE_WINDOW)
        return False


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
