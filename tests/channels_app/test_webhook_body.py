"""Webhook bodies sent without a Content-Length (Transfer-Encoding: chunked) are read with a cap
on every inbound endpoint (WhatsApp, SMS, ESP email): at most the limit plus one byte is taken
from the stream, and a larger body is refused with 413. Through the WSGI stream (as gunicorn
hands it over, `wsgi.input_terminated`), and over real HTTP with gunicorn itself."""

import http.client
import io
import json
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.client import ClientHandler, RequestFactory

from channels_app.models import InboundEvent
from tests import servers
from tests.channels_app import whatsapp_support as wa
from tests.channels_app.test_sms import URL as SMS_URL
from tests.channels_app.test_sms import inbound as sms_inbound
from tests.channels_app.test_sms import signature as sms_signature
from tests.channels_app.test_webhooks import MAILGUN_URL, SIGNING_KEY, mailgun_form
from tests.real_stack import _database_url_of_test_db

LIMIT = 4096


class Stream(io.BytesIO):
    """wsgi.input that counts the bytes the application took from it."""

    taken = 0

    def read(self, size=-1):
        data = super().read(size)
        self.taken += len(data)
        return data

    def readline(self, size=-1):
        data = super().readline(size)
        self.taken += len(data)
        return data


def post_chunked(path: str, body: bytes, content_type: str, **headers) -> tuple[int, int]:
    """POST through Django's WSGI request as gunicorn passes a chunked body: no CONTENT_LENGTH,
    the stream ends where the body does. Returns (status, bytes read from the stream)."""
    stream = Stream(body)
    environ = RequestFactory()._base_environ(
        PATH_INFO=path,
        REQUEST_METHOD="POST",
        CONTENT_TYPE=content_type,
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": stream, "wsgi.input_terminated": True},
        **headers,
    )
    environ.pop("CONTENT_LENGTH", None)
    response = ClientHandler(enforce_csrf_checks=False)(environ)
    return response.status_code, stream.taken


@pytest.fixture
def small_limit(settings):
    settings.JORNADA = {**settings.JORNADA, "WEBHOOK_MAX_BYTES": LIMIT}
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT  # the ESP endpoint's limit


def whatsapp_post(payload: dict) -> tuple[int, int]:
    body = json.dumps(payload).encode()
    return post_chunked(
        wa.WEBHOOK, body, "application/json", HTTP_X_HUB_SIGNATURE_256=wa.sign(body)
    )


def sms_post(form: dict) -> tuple[int, int]:
    header = sms_signature(f"http://testserver{SMS_URL}", form)
    return post_chunked(
        SMS_URL,
        urlencode(form).encode(),
        "application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=header,
    )


def test_an_oversize_chunked_whatsapp_body_is_refused_after_reading_the_limit(
    db, whatsapp_secret, small_limit
):
    status, taken = whatsapp_post(wa.text("x" * (LIMIT * 50)))

    assert status == 413
    assert taken <= LIMIT + 1
    assert not InboundEvent.objects.exists()


def test_a_chunked_whatsapp_body_within_the_limit_is_stored(db, whatsapp_secret, small_limit):
    status, _ = whatsapp_post(wa.text("Olá", id="wamid.CHUNKED=="))

    assert status == 200
    assert InboundEvent.objects.get().provider_id == "wamid:wamid.CHUNKED=="


def test_an_oversize_chunked_sms_body_is_refused_after_reading_the_limit(
    db, twilio_secret, small_limit
):
    status, taken = sms_post(sms_inbound("x" * (LIMIT * 50)))

    assert status == 413
    assert taken <= LIMIT + 1
    assert not InboundEvent.objects.exists()


def test_a_chunked_sms_body_within_the_limit_is_stored(db, twilio_secret, small_limit):
    status, _ = sms_post(sms_inbound("Oi"))

    assert status == 200
    assert InboundEvent.objects.get().channel == "sms"


def test_an_oversize_chunked_esp_email_is_refused_after_reading_the_limit(
    db, settings, small_limit
):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}
    body = urlencode(mailgun_form("Subject: x\r\n\r\n" + "x" * (LIMIT * 50))).encode()

    status, taken = post_chunked(MAILGUN_URL, body, "application/x-www-form-urlencoded")

    assert status == 413
    assert taken <= LIMIT + 1
    assert not InboundEvent.objects.exists()


def test_a_chunked_esp_email_within_the_limit_is_stored(db, settings):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}
    body = urlencode(mailgun_form()).encode()

    status, _ = post_chunked(MAILGUN_URL, body, "application/x-www-form-urlencoded")

    assert status == 200
    assert InboundEvent.objects.get().channel == "email"


def test_a_declared_length_over_the_limit_is_refused_unread(
    db, whatsapp_secret, small_limit, client
):
    response = client.generic(
        "POST", wa.WEBHOOK, b"{}", content_type="application/json", CONTENT_LENGTH=str(LIMIT + 1)
    )

    assert response.status_code == 413


def test_a_length_that_is_not_a_number_is_a_bad_request(db, whatsapp_secret, client):
    response = client.generic(
        "POST", wa.WEBHOOK, b"{}", content_type="application/json", CONTENT_LENGTH="12abc"
    )

    assert response.status_code == 400


# --- Over real HTTP: gunicorn, as production serves the webhooks ------------------------------


def _chunked_request(
    port: int, payload: bytes, *, finish: bool, **headers
) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    conn.putrequest("POST", wa.WEBHOOK)
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Transfer-Encoding", "chunked")
    for name, value in headers.items():
        conn.putheader(name, value)
    conn.endheaders()
    for start in range(0, len(payload), 1000):
        piece = payload[start : start + 1000]
        conn.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
    if finish:
        conn.send(b"0\r\n\r\n")
    return conn.getresponse()


@pytest.fixture
def gunicorn(transactional_db):
    redis = servers.RedisServer().start()
    env = servers.app_env(
        database_url=_database_url_of_test_db(),
        redis_url=redis.url,
        WHATSAPP_APP_SECRET=wa.APP_SECRET,
        JORNADA_WEBHOOK_MAX_BYTES=str(LIMIT),
    )
    server = servers.AppServer(env, threads=2).start()
    try:
        yield server
    finally:
        server.stop()
        redis.stop()
        connection.close()


@pytest.mark.services
def test_gunicorn_refuses_an_endless_chunked_body_without_waiting_for_its_end(gunicorn):
    body = b'{"entry": [' + b" " * (LIMIT * 3)

    # The last chunk is never sent: a server reading the body whole would wait for it.
    response = _chunked_request(
        gunicorn.port, body, finish=False, **{"X-Hub-Signature-256": wa.sign(body)}
    )

    assert response.status == 413
    assert not InboundEvent.objects.exists()


@pytest.mark.services
def test_gunicorn_stores_a_signed_chunked_webhook_within_the_limit(gunicorn):
    body = json.dumps(wa.text("Olá", id="wamid.GUNICORN==")).encode()

    response = _chunked_request(
        gunicorn.port, body, finish=True, **{"X-Hub-Signature-256": wa.sign(body)}
    )

    assert response.status == 200, gunicorn.log()
    assert InboundEvent.objects.get().provider_id == "wamid:wamid.GUNICORN=="
