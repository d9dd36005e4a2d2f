"""/channels/sms/twilio/ (inbound messages, and statuses when pointed there) and
/channels/sms/twilio/status/ (delivery status callbacks of our replies).

X-Twilio-Signature is checked against the URL Twilio called (TWILIO_WEBHOOK_BASE_URL when a
proxy hides it from us) before anything is stored; then the form body is kept as received, as
one InboundEvent per message or status, and processed after commit.

Replays: Twilio's signature covers the URL and the form, with no timestamp, so a captured request
stays valid for ever; there is no window after which it is refused. What makes a replay harmless
is the dedupe: a message is stored under its MessageSid and a status under its MessageSid and
status (InboundEvent is unique on (channel, provider id)), so the same request a second time
stores nothing and changes nothing, for as long as the first event is kept (Jornada deletes none;
an operator who purges old events opens that window again for messages, though Message's own
unique (channel, external_id) still keeps a second copy of a message out). Statuses only move
forward, so even an unseen status replayed cannot undo a later one."""

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from channels_app import services

from ..request_body import body_capped, webhook_limit
from . import twilio
from .adapter import CHANNEL, form_fields, provider_id_for

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _called_url(request: HttpRequest) -> str:
    base = settings.TWILIO_WEBHOOK_BASE_URL
    return f"{base}{request.get_full_path()}" if base else request.build_absolute_uri()


@csrf_exempt
@require_POST
@body_capped(webhook_limit)
def twilio_webhook(request: HttpRequest) -> HttpResponse:
    token = settings.TWILIO_AUTH_TOKEN
    if not token:
        return HttpResponse(status=404)  # the channel is not configured
    raw = request.body  # at most WEBHOOK_MAX_BYTES (body_capped)
    signature = request.headers.get(twilio.SIGNATURE_HEADER, "")
    if not signature:
        return HttpResponse(status=401)
    params = {name: request.POST.getlist(name) for name in request.POST}
    if not twilio.signature_valid(_called_url(request), params, signature, token):
        return HttpResponse(status=403)
    if request.content_type != "application/x-www-form-urlencoded":
        raw = urlencode(list(request.POST.lists()), doseq=True).encode()  # kept in one format
    fields = form_fields(raw)
    account = settings.TWILIO_ACCOUNT_SID
    if account and fields.get("AccountSid") not in ("", None, account):
        return HttpResponse(status=403)  # signed, but for another account of ours
    if not (fields.get("MessageSid") or fields.get("SmsSid")):
        return HttpResponse(status=400)
    services.inbound_events_store(
        channel=CHANNEL,
        source="sms:twilio",
        items=[(provider_id_for(fields), raw)],
        headers={twilio.SIGNATURE_HEADER: signature},
    )
    if twilio.is_status_callback(fields):
        return HttpResponse(status=200)
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")
