"""SMS through a Twilio-compatible provider: /channels/sms/twilio/ with X-Twilio-Signature,
delivery status callbacks, replies through a fake Twilio REST API on loopback, MMS media, and one
customer across SMS, WhatsApp and phone."""

import itertools
from urllib.parse import urlencode

import pytest

from channels_app.adapters.sms.twilio import compute_signature
from channels_app.models import InboundEvent
from tests.channels_app import whatsapp_support as wa
from tests.channels_app.fake_providers import TWILIO_SID, TWILIO_TOKEN, FakeTwilio
from tests.tickets.factories import CustomerFactory, CustomerIdentityFactory
from tickets import services as ticket_services
from tickets.inbound import InboundAttachment
from tickets.models import Message, Ticket

S = InboundEvent.Status
D = Message.DeliveryStatus
URL = "/channels/sms/twilio/"
STATUS_URL = "/channels/sms/twilio/status/"
OUR_NUMBER = "+5511955550000"
CUSTOMER = "+5511987654321"
# Inbound sids far from the fake Twilio's outbound ones (SM...01, SM...02...): never the same.
_sids = itertools.count(0xA0000000)


@pytest.fixture
def fake_twilio():
    with FakeTwilio() as server:
        yield server


@pytest.fixture
def sms(settings, fake_twilio):
    settings.TWILIO_ACCOUNT_SID = TWILIO_SID
    settings.TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    settings.TWILIO_API_BASE = fake_twilio.base_url
    settings.TWILIO_FROM_NUMBER = OUR_NUMBER
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_WEBHOOK_BASE_URL = ""
    return fake_twilio


def inbound(body="Oi, minha fatura veio errada", *, sender=CUSTOMER, **extra) -> dict:
    return {
        "ToCountry": "BR",
        "SmsMessageSid": (sid := extra.pop("MessageSid", f"SM{next(_sids):032x}")),
        "NumMedia": "0",
        "SmsSid": sid,
        "SmsStatus": "received",
        "Body": body,
        "To": OUR_NUMBER,
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": TWILIO_SID,
        "From": sender,
        "ApiVersion": "2010-04-01",
        **extra,
    }


def callback(sid: str, status: str, **extra) -> dict:
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": TWILIO_SID,
        "From": OUR_NUMBER,
        "To": CUSTOMER,
        "ApiVersion": "2010-04-01",
        **extra,
    }


def signature(url: str, form: dict, token: str = TWILIO_TOKEN) -> str:
    return compute_signature(url, {k: [v] for k, v in form.items()}, token)


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """POST like Twilio (signed for the URL called), then run what the commit sets off."""

    def post(form, *, url=URL, signed_url=None, token=TWILIO_TOKEN, signature_header=None):
        if signature_header is None:
            signature_header = signature(signed_url or f"http://testserver{url}", form, token)
        headers = {"HTTP_X_TWILIO_SIGNATURE": signature_header} if signature_header else {}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                url, urlencode(form), content_type="application/x-www-form-urlencoded", **headers
            )

    return post


def test_the_signature_matches_twilios_published_example():
    params = {
        "CallSid": ["CA1234567890ABCDE"],
        "Caller": ["+12349013030"],
        "Digits": ["1234"],
        "From": ["+12349013030"],
        "To": ["+18005551212"],
    }

    expected = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert compute_signature("https://mycompany.com/myapp.php?foo=1&bar=2", params, "12345") == (
        expected
    )


def test_an_inbound_sms_opens_a_ticket_for_the_phone_number(db, sms, post):
    form = inbound()

    response = post(form)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml"
    assert b"<Response></Response>" in response.content
    event = InboundEvent.objects.get()
    assert (event.channel, event.provider_id) == ("sms", f"sms:{form['MessageSid']}")
    assert event.status == S.PROCESSED, event.error
    message = Message.objects.get()
    assert message.channel == "sms"
    assert message.body_text == "Oi, minha fatura veio errada"
    assert message.external_id == form["MessageSid"]
    assert message.ticket.channel == "sms"
    identity = message.author_customer.identities.get()
    assert (identity.kind, identity.value) == ("phone", CUSTOMER)


def test_the_same_sms_delivered_twice_is_one_message(db, sms, post):
    form = inbound()

    post(form)
    post(form)

    assert InboundEvent.objects.count() == 1
    assert Message.objects.count() == 1


def test_a_second_sms_joins_the_conversation(db, sms, post):
    post(inbound("primeira"))
    post(inbound("segunda"))

    assert Ticket.objects.count() == 1


def test_without_signature_the_request_is_unauthorized(db, sms, post):
    response = post(inbound(), signature_header="")

    assert response.status_code == 401
    assert not InboundEvent.objects.exists()


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param({"signed_url": "http://testserver/other/"}, id="other-url"),
        pytest.param({"token": "someone-elses-token"}, id="other-token"),
        pytest.param({"signature_header": "0/KCTR6DLpKmkAf8muzZqo1nDgQ="}, id="forged"),
        pytest.param({"signature_header": "ñ/KCTR6DLpKmkAf8muzZqo1nDgQ="}, id="non-ascii"),
    ],
)
def test_a_wrong_signature_is_forbidden_and_stores_nothing(db, sms, post, tamper):
    response = post(inbound(), **tamper)

    assert response.status_code == 403
    assert not InboundEvent.objects.exists()
    assert not Ticket.objects.exists()


def test_a_changed_parameter_breaks_the_signature(db, sms, client):
    form = inbound()
    header = signature(f"http://testserver{URL}", form)

    response = client.post(
        URL,
        urlencode({**form, "Body": "outra coisa"}),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=header,
    )

    assert response.status_code == 403


def test_behind_a_proxy_the_public_url_is_what_was_signed(db, sms, post, settings):
    settings.TWILIO_WEBHOOK_BASE_URL = "https://suporte.example.com.br"

    good = post(inbound(), signed_url=f"https://suporte.example.com.br{URL}")
    with_port = post(inbound(), signed_url=f"https://suporte.example.com.br:443{URL}")
    internal = post(inbound())  # signed for the address we see, not the one Twilio called

    assert (good.status_code, with_port.status_code, internal.status_code) == (200, 200, 403)


def test_a_signed_request_for_another_account_is_refused(db, sms, post):
    response = post(inbound(AccountSid="AC" + "f" * 32))

    assert response.status_code == 403


def test_without_an_auth_token_the_webhook_does_not_exist(db, sms, post, settings):
    settings.TWILIO_AUTH_TOKEN = ""

    assert post(inbound(), token="").status_code == 404


def test_an_oversize_body_is_refused(db, sms, post, settings):
    settings.JORNADA = {**settings.JORNADA, "WEBHOOK_MAX_BYTES": 1000}

    assert post(inbound("x" * 2000)).status_code == 413
    assert not InboundEvent.objects.exists()


def test_a_request_without_a_message_sid_is_a_bad_request(db, sms, post):
    form = {k: v for k, v in inbound().items() if k not in ("MessageSid", "SmsSid")}

    assert post(form).status_code == 400


def test_the_webhook_answers_only_post(db, sms, client):
    assert client.get(URL).status_code == 405


# --- One person on every phone channel --------------------------------------------------------


def test_sms_whatsapp_and_phone_of_one_number_are_one_customer(
    db, sms, post, client, settings, django_capture_on_commit_callbacks
):
    known = CustomerFactory(name="Ana")
    CustomerIdentityFactory(customer=known, kind="phone", value=CUSTOMER)
    settings.WHATSAPP_APP_SECRET = wa.APP_SECRET

    post(inbound())
    with django_capture_on_commit_callbacks(execute=True):
        # Her WhatsApp account is older than the ninth digit: its wa_id lacks it.
        wa.post_webhook(client, wa.text("oi pelo zap", wa_id="551187654321"))

    assert {m.author_customer_id for m in Message.objects.all()} == {known.pk}
    assert sorted(known.identities.values_list("kind", "value")) == [
        ("phone", CUSTOMER),
        ("whatsapp", "+551187654321"),
    ]
    assert set(Ticket.objects.values_list("channel", flat=True)) == {"sms", "whatsapp"}


def test_a_provider_posting_multipart_is_understood_too(
    db, sms, client, django_capture_on_commit_callbacks
):
    form = inbound("via multipart")
    header = signature(f"http://testserver{URL}", form)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, form, HTTP_X_TWILIO_SIGNATURE=header)

    assert response.status_code == 200
    assert Message.objects.get().body_text == "via multipart"


def test_a_number_written_the_national_way_is_stored_in_e164(db, sms, post):
    post(inbound(sender="(11) 98765-4321"))

    assert Message.objects.get().author_customer.identities.get().value == CUSTOMER


def test_a_sender_that_is_not_a_number_fails_clearly(db, sms, post):
    post(inbound(sender="TIM"))

    event = InboundEvent.objects.get()
    assert event.status == S.FAILED
    assert "not a phone number" in event.error


# --- Replies and their statuses ---------------------------------------------------------------


@pytest.fixture
def conversation(n1_agent, sms, post) -> Ticket:
    post(inbound())
    return Ticket.objects.get()


@pytest.fixture
def reply(n1_agent, django_capture_on_commit_callbacks):
    def reply(ticket, body="Olá! Vamos corrigir a fatura.", **kwargs) -> Message:
        with django_capture_on_commit_callbacks(execute=True):
            message = ticket_services.message_reply(
                ticket=ticket, by=n1_agent, body_text=body, **kwargs
            )
        message.refresh_from_db()
        return message

    return reply


def test_a_reply_is_sent_from_the_number_the_customer_texted(conversation, reply, sms, settings):
    settings.TWILIO_WEBHOOK_BASE_URL = "https://suporte.example.com.br"

    message = reply(conversation)

    [request] = sms.sent("/Messages.json")
    assert request.path == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    assert request.headers["authorization"].startswith("Basic ")
    assert request.form() == {
        "To": CUSTOMER,
        "From": OUR_NUMBER,
        "Body": "Olá! Vamos corrigir a fatura.",
        "StatusCallback": f"https://suporte.example.com.br{STATUS_URL}",
    }
    assert message.delivery_status == D.SENT
    assert message.external_id == "SM" + f"{1:032x}"


def test_a_reply_to_a_customer_known_only_by_phone_uses_our_messaging_service(
    n1_agent, sms, reply, settings
):
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "a" * 32
    customer = CustomerFactory()
    CustomerIdentityFactory(customer=customer, kind="phone", value="+5521999998888")
    ticket = ticket_services.ticket_create(customer=customer, subject="Ligação", channel="phone")

    reply(ticket, channel="sms")

    form = sms.sent("/Messages.json")[0].form()
    assert (form["To"], form["MessagingServiceSid"]) == ("+5521999998888", "MG" + "a" * 32)
    assert "StatusCallback" not in form


def test_a_long_reply_is_sent_in_parts_within_twilios_limit(conversation, reply, sms):
    message = reply(conversation, "a" * 1600 + "b" * 10)

    bodies = [r.form()["Body"] for r in sms.sent("/Messages.json")]
    assert bodies == ["a" * 1600, "b" * 10]
    assert message.delivery_status == D.SENT


def test_a_failure_of_a_later_part_of_a_long_reply_fails_the_reply(conversation, reply, post):
    message = reply(conversation, "a" * 1600 + "b" * 10)
    second = message.metadata["sms_parts"]["part:1"]

    post(
        callback(second, "undelivered", ErrorCode="30003", ErrorMessage="Unreachable"),
        url=STATUS_URL,
    )

    message.refresh_from_db()
    assert second != message.external_id
    assert message.delivery_status == D.FAILED
    assert message.delivery_error == "Unreachable (code 30003)"


def test_a_refused_reply_fails_at_once_with_twilios_code(conversation, reply, sms):
    sms.script(
        "/Messages.json",
        400,
        {"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400},
    )

    message = reply(conversation)

    assert len(sms.sent("/Messages.json")) == 1
    assert message.delivery_status == D.FAILED
    assert message.delivery_error == "The 'To' number is not a valid phone number. (code 21211)"


@pytest.mark.parametrize("status", [500, 503, 429])
def test_a_temporary_failure_is_retried(conversation, reply, sms, status):
    from channels_app import tasks

    sms.script("/Messages.json", status, {"code": 20500, "message": "Internal Server Error"})

    message = reply(conversation)
    assert message.delivery_status == D.QUEUED
    tasks.deliver_message.apply(args=[message.pk], retries=1)

    message.refresh_from_db()
    assert message.delivery_status == D.SENT
    assert len(sms.sent("/Messages.json")) == 2


def test_a_reply_with_attachments_is_refused_with_an_explanation(conversation, reply, sms):
    message = reply(
        conversation, attachments=[InboundAttachment("fatura.pdf", "application/pdf", b"%PDF")]
    )

    assert message.delivery_status == D.FAILED
    assert "SMS cannot carry attachments" in message.delivery_error
    assert not sms.requests


@pytest.fixture
def sent_sms(conversation, reply) -> Message:
    return reply(conversation)


@pytest.mark.parametrize("url", [STATUS_URL, URL])
def test_status_callbacks_move_the_reply_forward(sent_sms, post, url):
    post(callback(sent_sms.external_id, "sent"), url=url)
    post(callback(sent_sms.external_id, "delivered"), url=url)

    sent_sms.refresh_from_db()
    assert sent_sms.delivery_status == D.DELIVERED


def test_a_status_callback_is_answered_without_twiml(sent_sms, post):
    response = post(callback(sent_sms.external_id, "delivered"), url=STATUS_URL)

    assert response.status_code == 200
    assert response.content == b""


def test_an_undelivered_sms_fails_with_the_error_code(sent_sms, post):
    post(
        callback(
            sent_sms.external_id, "undelivered", ErrorCode="30003", ErrorMessage="Unreachable"
        ),
        url=STATUS_URL,
    )

    sent_sms.refresh_from_db()
    assert sent_sms.delivery_status == D.FAILED
    assert sent_sms.delivery_error == "Unreachable (code 30003)"


def test_statuses_out_of_order_never_go_back(sent_sms, post):
    post(callback(sent_sms.external_id, "delivered"), url=STATUS_URL)
    post(callback(sent_sms.external_id, "sent"), url=STATUS_URL)

    sent_sms.refresh_from_db()
    assert sent_sms.delivery_status == D.DELIVERED


def test_intermediate_and_unknown_statuses_are_ignored(sent_sms, post):
    post(callback(sent_sms.external_id, "sending"), url=STATUS_URL)
    post(callback("SM" + "9" * 32, "delivered"), url=STATUS_URL)

    sent_sms.refresh_from_db()
    assert sent_sms.delivery_status == D.SENT
    notes = [e.notes[0] for e in InboundEvent.objects.filter(status=S.IGNORED).order_by("pk")]
    assert "still on its way" in notes[0]
    assert "unknown message" in notes[1]


# --- Replays: Twilio signs no timestamp, so a captured request stays valid -----------------------


def test_a_replayed_signed_sms_stores_nothing_new_and_leaves_the_ticket_alone(
    db, sms, post, n1_agent
):
    form = inbound("Minha fatura veio errada")
    post(form)
    ticket = Ticket.objects.get()
    ticket_services.ticket_claim(ticket=ticket, by=n1_agent)
    ticket_services.ticket_change_status(ticket=ticket, to_status="solved", by=n1_agent)

    replay = post(form)  # the very request, signature and all, days later

    assert replay.status_code == 200
    assert InboundEvent.objects.count() == 1
    assert Message.objects.count() == 1
    ticket.refresh_from_db()
    assert ticket.status == "solved"


def test_a_replayed_status_callback_stores_nothing_new(sent_sms, post):
    post(callback(sent_sms.external_id, "undelivered", ErrorCode="30003"), url=STATUS_URL)
    stored = InboundEvent.objects.count()

    post(callback(sent_sms.external_id, "undelivered", ErrorCode="30003"), url=STATUS_URL)

    assert InboundEvent.objects.count() == stored
    sent_sms.refresh_from_db()
    assert len(sent_sms.metadata["delivery_history"]) == 2  # sent, then failed once


# --- MMS ----------------------------------------------------------------------------------------


def mms_url(media_sid: str) -> str:
    return f"/2010-04-01/Accounts/{TWILIO_SID}/Messages/MM{'1' * 32}/Media/{media_sid}"


def test_mms_media_is_downloaded_into_an_attachment(db, sms, post):
    sms.media["ME1"] = (b"\xff\xd8 foto", "image/jpeg")
    form = inbound(
        "Segue a foto", NumMedia="1", MediaUrl0=sms.base_url + mms_url("ME1"),
        MediaContentType0="image/jpeg",
    )  # fmt: skip

    post(form)

    message = Message.objects.get()
    attachment = message.attachments.get()
    assert attachment.content_type == "image/jpeg"
    with attachment.file.open("rb") as handle:
        assert handle.read() == b"\xff\xd8 foto"
    cdn = [r for r in sms.requests if r.path.startswith("/cdn/")]
    assert "authorization" not in cdn[0].headers  # our credentials stay with the API


def test_mms_media_that_would_run_as_a_page_is_refused(db, sms, post):
    sms.media["ME2"] = (b"<script>alert(1)</script>", "text/html")
    form = inbound(
        NumMedia="1", MediaUrl0=sms.base_url + mms_url("ME2"), MediaContentType0="text/html",
    )  # fmt: skip

    post(form)

    message = Message.objects.get()
    assert not message.attachments.exists()
    assert message.metadata["media"]["status"] == "failed"
    assert "text/html is not accepted" in message.metadata["media"]["error"]


def test_mms_media_outside_the_provider_api_is_refused(db, sms, post):
    form = inbound(
        NumMedia="1", MediaUrl0="http://169.254.169.254/latest/meta-data/",
        MediaContentType0="image/jpeg",
    )  # fmt: skip

    post(form)

    message = Message.objects.get()
    assert message.metadata["media"]["status"] == "failed"
    assert "Media outside" in message.metadata["media"]["error"]


def test_a_signed_but_malformed_sms_fails_at_once_with_a_clear_error(db, sms, post):
    response = post(inbound() | {"NumMedia": "two"})

    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert (event.status, event.attempts) == (InboundEvent.Status.FAILED, 1)
    assert event.error.startswith("Malformed SMS webhook: ValueError")
    assert not Ticket.objects.exists()
