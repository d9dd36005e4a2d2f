"""/channels/sms/twilio/ (inbound messages, and statuses when pointed there) and
/channels/sms/twilio/status/ (delivery status callbacks of our replies).

X-Twilio-Signature is checked against the URL Twilio called (TWILIO_WEBHOOK_BASE_URL when a
proxy hides it from us) before anything is stored; then the form body is kept as received, as
one InboundEvent per message or status, and processed after commit."""

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from channels_app import services

from . import twilio
from .adapter import CHANNEL, form_fields, provider_id_for

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _called_url(request: HttpRequest) -> str:
    base = settings.TWILIO_WEBHOOK_BASE_URL
    return f"{base}{request.get_full_path()}" if base else request.build_absolute_uri()


@csrf_exempt
@require_POST
def twilio_webhook(request: HttpRequest) -> HttpResponse:
    token = settings.TWILIO_AUTH_TOKEN
    if not token:
        return HttpResponse(status=404)  # the channel is not configured
    limit = settings.JORNADA["WEBHOOK_MAX_BYTES"]
    try:
        if int(request.META.get("CONTENT_LENGTH") or 0) > limit:
            return HttpResponse(status=413)
    except ValueError:
        return HttpResponse(status=400)
    raw = request.body
    if len(raw) > limit:
        return HttpResponse(status=413)
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
