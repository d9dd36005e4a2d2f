"""/channels/whatsapp/webhook/: Meta's subscription handshake (GET) and its events (POST).

A POST is checked (size, X-Hub-Signature-256) before anything is read from it (a body without a
Content-Length is read to the limit at most: request_body), then each message and status is
stored as its own InboundEvent, all in one INSERT, and Meta gets its 200 at once: processing
happens after commit. Meta retries anything but a 200 for days; a retried delivery
finds its events already stored and changes nothing."""

import hashlib
import hmac
import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from channels_app import services

from ..request_body import body_capped, webhook_limit
from .adapter import SIGNATURE_HEADER, signature_valid
from .parse import CHANNEL, split_webhook

CHALLENGE_MAX = 200


@csrf_exempt
@require_http_methods(["GET", "POST"])
@body_capped(webhook_limit)
def whatsapp_webhook(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _subscription_handshake(request)
    return _receive(request)


def _subscription_handshake(request: HttpRequest) -> HttpResponse:
    """Meta asks GET ?hub.mode=subscribe&hub.verify_token=...&hub.challenge=... and expects the
    challenge back as text when the token is ours."""
    token = settings.WHATSAPP_VERIFY_TOKEN
    given = request.GET.get("hub.verify_token", "")
    challenge = request.GET.get("hub.challenge", "")
    if (
        not token
        or request.GET.get("hub.mode") != "subscribe"
        or not hmac.compare_digest(given.encode(), token.encode())
        or not challenge.isprintable()
        or len(challenge) > CHALLENGE_MAX
    ):
        return HttpResponse(status=403)
    return HttpResponse(challenge, content_type="text/plain; charset=utf-8")


def _receive(request: HttpRequest) -> HttpResponse:
    if not settings.WHATSAPP_APP_SECRET:
        return HttpResponse(status=404)  # the channel is not configured: nobody should call
    body = request.body  # at most WEBHOOK_MAX_BYTES (body_capped)
    # META, not request.headers: that builds a dict of every header, a cost on each delivery.
    signature = request.META.get("HTTP_X_HUB_SIGNATURE_256", "")
    if not signature:
        return HttpResponse(status=401)
    if not signature_valid(body, signature, settings.WHATSAPP_APP_SECRET):
        return HttpResponse(status=403)
    try:
        payload = json.loads(body)
    except ValueError:
        return HttpResponse(status=400)
    if not isinstance(payload, dict):
        return HttpResponse(status=400)
    headers = {
        SIGNATURE_HEADER: signature,
        "User-Agent": request.META.get("HTTP_USER_AGENT", "")[:300],
        "Body-SHA256": hashlib.sha256(body).hexdigest(),
    }
    services.inbound_events_store(
        channel=CHANNEL,
        source="whatsapp:cloud-api",
        items=split_webhook(payload, body),
        headers=headers,
    )
    return HttpResponse(status=200)
