"""The production WSGI application serves the providers' webhooks with the machines' handler
(helpdesk/machine.py) and every page with the full one: called here as gunicorn calls it."""

import io
import json
import sys
from contextlib import contextmanager

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from channels_app.models import InboundEvent
from helpdesk import machine
from helpdesk.machine import for_machines
from helpdesk.wsgi import application
from tests.channels_app import whatsapp_support as wa

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("whatsapp_secret")]


@contextmanager
def inside_the_test_transaction():
    """As Django's test client does: a request must not close the test's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def call(path: str, *, method: str = "GET", body: bytes = b"", host="localhost", **headers):
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": host,
        "SERVER_PORT": "443", "HTTP_HOST": host, "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "https", "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
        "CONTENT_LENGTH": str(len(body)), "REMOTE_ADDR": "127.0.0.1", **headers,
    }  # fmt: skip
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"] = int(status.split()[0])
        answer["headers"] = dict(response_headers)

    with inside_the_test_transaction():
        chunks = application(environ, start_response)
        try:
            answer["body"] = b"".join(chunks)
        finally:
            chunks.close()
    return answer


def signed_webhook(**headers) -> dict:
    body = json.dumps(wa.text("Meu pedido não chegou", id=wa.new_wamid())).encode()
    return call(
        wa.WEBHOOK, method="POST", body=body, CONTENT_TYPE="application/json",
        HTTP_X_HUB_SIGNATURE_256=wa.sign(body), **headers,
    )  # fmt: skip


def test_the_providers_webhooks_are_the_machines_and_pages_are_not():
    assert for_machines("/channels/whatsapp/webhook/")
    assert for_machines("/channels/sms/twilio/")
    assert for_machines("/channels/sms/twilio/status/")
    assert for_machines("/channels/email/inbound/postmark/")
    assert not for_machines("/channels/web/form/")  # a page, with its CSRF token
    assert not for_machines("/channels/nothing-here/")
    assert not for_machines("/accounts/login/")
    assert not for_machines("/healthz")


def test_a_webhook_is_stored_without_the_pages_middleware_and_keeps_the_security_headers():
    answer = signed_webhook()

    assert answer["status"] == 200
    assert InboundEvent.objects.filter(channel="whatsapp").count() == 1
    headers = answer["headers"]
    assert headers["X-Content-Type-Options"] == "nosniff"  # SecurityMiddleware
    assert "Content-Language" not in headers  # no LocaleMiddleware
    assert "X-Frame-Options" not in headers  # nor the pages' clickjacking header
    assert "Set-Cookie" not in headers


def test_a_page_still_gets_the_whole_middleware():
    answer = call("/accounts/login/")

    assert answer["status"] == 200
    assert answer["headers"]["Content-Language"]
    assert answer["headers"]["X-Frame-Options"] == "DENY"
    assert "csrftoken" in answer["headers"].get("Set-Cookie", "")


def test_a_webhook_for_a_host_we_do_not_serve_is_refused():
    answer = signed_webhook(HTTP_HOST="evil.example")

    assert answer["status"] == 400
    assert not InboundEvent.objects.exists()


def test_a_forged_webhook_is_still_refused_by_its_view():
    body = json.dumps(wa.text("Oi", id=wa.new_wamid())).encode()
    answer = call(
        wa.WEBHOOK, method="POST", body=body, CONTENT_TYPE="application/json",
        HTTP_X_HUB_SIGNATURE_256=wa.sign(body, secret="not-the-app-secret"),
    )  # fmt: skip

    assert answer["status"] == 403
    assert not InboundEvent.objects.exists()


def test_which_views_are_the_machines_follows_the_settings(settings):
    assert for_machines("/channels/sms/twilio/")  # read once, and kept

    settings.MACHINE_VIEW_NAMES = frozenset({"channels_app:whatsapp-webhook"})

    assert not for_machines("/channels/sms/twilio/")
    assert for_machines("/channels/whatsapp/webhook/")


def test_a_machines_path_is_looked_up_once_for_all_its_requests(monkeypatch):
    from django.urls import resolvers

    real_resolve, looked_up = resolvers.URLResolver.resolve, []

    def counting(resolver, path):
        if resolver.pattern.regex.pattern == "^/":  # the URLconf's root: one per lookup
            looked_up.append(path)
        return real_resolve(resolver, path)

    monkeypatch.setattr(resolvers.URLResolver, "resolve", counting)
    machine._machines_match.cache_clear()

    answers = [signed_webhook() for _ in range(3)]

    assert [answer["status"] for answer in answers] == [200, 200, 200]
    assert InboundEvent.objects.filter(channel="whatsapp").count() == 3
    assert looked_up == [wa.WEBHOOK]
