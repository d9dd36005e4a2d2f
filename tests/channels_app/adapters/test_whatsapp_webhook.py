"""/channels/whatsapp/webhook/ over HTTP: Meta's subscription handshake, signature checks that
store nothing when they fail, bodies too large or not JSON, and Meta's retries (the same wamid
never makes a second message)."""

import json

import pytest

from channels_app.models import InboundEvent
from tests.channels_app import whatsapp_support as wa
from tickets.models import Message, Ticket

S = InboundEvent.Status


def handshake(client, **params):
    query = {
        "hub.mode": "subscribe",
        "hub.verify_token": wa.VERIFY_TOKEN,
        "hub.challenge": "1158201444",
    }
    query.update(params)
    return client.get(wa.WEBHOOK, {k: v for k, v in query.items() if v is not None})


def test_the_handshake_answers_the_challenge_as_text(db, whatsapp, client):
    response = handshake(client)

    assert response.status_code == 200
    assert response.content == b"1158201444"
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"hub.verify_token": "someone-elses-token"}, id="wrong-token"),
        pytest.param({"hub.verify_token": None}, id="no-token"),
        pytest.param({"hub.mode": "unsubscribe"}, id="wrong-mode"),
        pytest.param({"hub.challenge": "<script>" * 40}, id="oversize-challenge"),
    ],
)
def test_a_handshake_with_the_wrong_token_or_mode_is_forbidden(db, whatsapp, client, params):
    response = handshake(client, **params)

    assert response.status_code == 403
    assert b"1158201444" not in response.content


def test_without_a_verify_token_configured_no_handshake_succeeds(db, whatsapp, client, settings):
    settings.WHATSAPP_VERIFY_TOKEN = ""

    assert handshake(client, **{"hub.verify_token": ""}).status_code == 403


def test_a_signed_message_is_stored_answered_200_and_becomes_a_ticket(db, whatsapp, deliver):
    payload = wa.text("Olá, meu pedido 4471 não chegou", id="wamid.FIRST==")

    response = deliver(payload)

    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert event.channel == "whatsapp"
    assert event.provider_id == "wamid:wamid.FIRST=="
    assert event.status == S.PROCESSED, event.error
    assert event.headers["X-Hub-Signature-256"].startswith("sha256=")
    message = Message.objects.get()
    assert message.external_id == "wamid.FIRST=="
    assert message.body_text == "Olá, meu pedido 4471 não chegou"
    assert message.ticket.channel == "whatsapp"
    assert message.ticket.subject == "Olá, meu pedido 4471 não chegou"
    assert event.message == message


def test_a_nul_a_sender_slips_into_a_text_is_dropped_not_a_failure(db, whatsapp, deliver):
    payload = wa.text("Pedido\x00 4471", id="wamid.NUL==")

    response = deliver(payload)

    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert event.status == S.PROCESSED, event.error
    assert b"\\u0000" not in bytes(event.raw)
    assert Message.objects.get().body_text == "Pedido 4471"


def test_a_post_without_signature_is_unauthorized_and_stores_nothing(db, whatsapp, deliver):
    response = deliver(wa.text(), signature="")

    assert response.status_code == 401
    assert not InboundEvent.objects.exists()
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    "signature",
    [
        pytest.param("sha256=" + "0" * 64, id="wrong-digest"),
        pytest.param("sha1=abcdef", id="wrong-algorithm"),
        pytest.param("garbage", id="garbage"),
        pytest.param("sha256=" + "é" * 64, id="non-ascii"),
    ],
)
def test_a_post_with_a_wrong_signature_is_forbidden_and_stores_nothing(
    db, whatsapp, deliver, signature
):
    response = deliver(wa.text(), signature=signature)

    assert response.status_code == 403
    assert not InboundEvent.objects.exists()


def test_a_post_signed_with_another_secret_is_forbidden(db, whatsapp, deliver):
    response = deliver(wa.text(), secret="another-apps-secret")

    assert response.status_code == 403
    assert not InboundEvent.objects.exists()


def test_a_body_changed_after_signing_is_forbidden(db, whatsapp, client):
    body = json.dumps(wa.text("original")).encode()
    signature = wa.sign(body)

    response = wa.post_webhook(client, body.replace(b"original", b"tampered"), signature=signature)

    assert response.status_code == 403
    assert not InboundEvent.objects.exists()


def test_malformed_json_with_a_valid_signature_is_a_bad_request(db, whatsapp, deliver):
    response = deliver(b'{"object": "whatsapp_business_account", "entry": [')

    assert response.status_code == 400
    assert not InboundEvent.objects.exists()


def test_json_that_is_not_an_object_is_a_bad_request(db, whatsapp, deliver):
    assert deliver(b"[1, 2, 3]").status_code == 400


def test_an_oversize_body_is_refused_before_it_is_read(db, whatsapp, deliver, settings):
    settings.JORNADA = {**settings.JORNADA, "WEBHOOK_MAX_BYTES": 2048}
    payload = wa.text("x" * 5000)

    response = deliver(payload)

    assert response.status_code == 413
    assert not InboundEvent.objects.exists()


def test_without_an_app_secret_the_webhook_does_not_exist(db, whatsapp, deliver, settings):
    settings.WHATSAPP_APP_SECRET = ""

    response = deliver(wa.text(), secret="")

    assert response.status_code == 404
    assert not InboundEvent.objects.exists()


def test_the_webhook_answers_only_get_and_post(db, whatsapp, client):
    assert client.put(wa.WEBHOOK, b"{}").status_code == 405


def test_a_retried_delivery_makes_no_second_message(db, whatsapp, deliver):
    payload = wa.text("Meu boleto venceu", id="wamid.RETRY==")

    responses = [deliver(payload).status_code for _ in range(3)]

    assert responses == [200, 200, 200]
    assert InboundEvent.objects.count() == 1
    assert Message.objects.count() == 1


def test_the_same_message_batched_differently_on_retry_is_still_one_message(db, whatsapp, deliver):
    first = wa.message("text", {"body": "primeira"}, id="wamid.A==")
    second = wa.message("text", {"body": "segunda"}, id="wamid.B==")

    deliver(wa.inbound(first))
    deliver(wa.inbound(first, second))  # Meta retries the first inside a later batch

    assert sorted(Message.objects.values_list("body_text", flat=True)) == ["primeira", "segunda"]
    assert InboundEvent.objects.count() == 2


def test_several_entries_changes_and_messages_in_one_post_all_land(db, whatsapp, deliver):
    payload = wa.inbound(
        wa.message("text", {"body": "um"}),
        wa.message("text", {"body": "dois"}),
        wa.message("text", {"body": "de outra pessoa"}, wa_id="5521998887777"),
    )
    second_entry = wa.inbound(wa.message("text", {"body": "três"}))["entry"][0]
    payload["entry"].append(second_entry)
    payload["entry"][0]["changes"].append(wa.text("quatro")["entry"][0]["changes"][0])

    response = deliver(payload)

    assert response.status_code == 200
    assert InboundEvent.objects.filter(status=S.PROCESSED).count() == 5
    bodies = set(Message.objects.values_list("body_text", flat=True))
    assert bodies == {"um", "dois", "três", "quatro", "de outra pessoa"}
    assert Ticket.objects.count() == 2  # one conversation per customer


def test_each_stored_piece_keeps_only_its_own_sender_contact(db, whatsapp, deliver):
    deliver(
        wa.inbound(
            wa.message("text", {"body": "a"}, wa_id="5511911112222"),
            wa.message("text", {"body": "b"}, wa_id="5511933334444"),
        )
    )

    for event in InboundEvent.objects.all():
        value = json.loads(bytes(event.raw))["entry"][0]["changes"][0]["value"]
        assert [c["wa_id"] for c in value["contacts"]] == [value["messages"][0]["from"]]


def test_a_delivery_of_one_message_or_one_status_is_kept_byte_for_byte(db, whatsapp, deliver):
    one_message = json.dumps(wa.text("Oi, tudo bem?"), indent=1).encode()  # Meta's own spacing
    deliver(one_message)
    ours = Message.objects.get(channel="whatsapp")
    one_status = json.dumps(wa.status(wa.new_wamid(), "delivered"), indent=1).encode()
    deliver(one_status)

    raws = [bytes(event.raw) for event in InboundEvent.objects.order_by("pk")]
    assert raws == [one_message, one_status]
    assert ours.body_text == "Oi, tudo bem?"


def test_a_notification_we_do_not_act_on_is_kept_and_ignored(db, whatsapp, deliver):
    response = deliver(wa.fixture("user_marketing_preferences__signup.json"))

    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert event.status == S.IGNORED
    assert "user_preferences" in event.notes[0]


def test_accepting_a_message_takes_a_bounded_number_of_queries(
    db, whatsapp, client, django_assert_max_num_queries
):
    # Answering Meta is one INSERT for the whole delivery (and, in a test, its savepoint),
    # not a processing run (tests/channels_app/test_accept.py pins it exactly).
    with django_assert_max_num_queries(3):
        response = wa.post_webhook(client, wa.text())

    assert response.status_code == 200
    assert InboundEvent.objects.get().status == S.RECEIVED


@pytest.mark.parametrize(
    "value",
    [
        pytest.param({"messages": ["not a message"]}, id="message-not-an-object"),
        pytest.param({"statuses": [42]}, id="status-not-an-object"),
        pytest.param(
            {"metadata": "nope", "messages": [wa.message("text", {"body": "Oi"})]},
            id="metadata-string",
        ),
    ],
)
def test_a_signed_but_malformed_webhook_fails_at_once_with_a_clear_error(
    db, whatsapp, deliver, value
):
    response = deliver(
        wa.envelope({}) | {"entry": [{"changes": [{"field": "messages", "value": value}]}]}
    )

    assert response.status_code == 200  # stored, so a person can see what Meta sent
    event = InboundEvent.objects.get()
    assert (event.status, event.attempts) == (InboundEvent.Status.FAILED, 1)
    assert event.error.startswith("Malformed WhatsApp webhook: ")


def test_the_signature_is_checked_on_the_raw_bytes_as_meta_sent_them(db, whatsapp, client):
    payload = wa.text("Não recebi o código — ainda 😕")
    # Compact and unescaped UTF-8: bytes a re-serialisation (json.dumps) would not reproduce.
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    assert json.dumps(json.loads(body)).encode() != body

    response = wa.post_webhook(client, body, signature=wa.sign(body))

    assert response.status_code == 200
    assert InboundEvent.objects.count() == 1
    assert (
        wa.post_webhook(client, body, signature=wa.sign(json.dumps(payload).encode())).status_code
        == 403
    )
