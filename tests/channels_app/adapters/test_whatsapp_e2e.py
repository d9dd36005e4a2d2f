"""WhatsApp end to end, over real HTTP on both sides: a signed webhook comes in -> a ticket
message -> the agent answers on the ticket page -> the request reaches the fake Graph API ->
Meta's status webhooks come back -> the reply shows delivered, then read.

The embedded run (SQLite, eager Celery) and the real stack (PostgreSQL, Redis and a Celery worker
process, `@pytest.mark.services`) go through the same steps."""

import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from channels_app import services as channel_services
from channels_app.models import InboundEvent
from helpdesk.celery import app as celery_app
from tests.celery_settings import celery_settings
from tests.channels_app import whatsapp_support as wa
from tests.channels_app.fake_providers import GRAPH_TOKEN, FakeGraph
from tickets.models import Message, Ticket

D = Message.DeliveryStatus


def answer_on_the_ticket_page(client, agent, ticket, body):
    client.force_login(agent)
    return client.post(
        f"/agent/tickets/{ticket.number}/reply/", {"body": body, "channel": "whatsapp"}
    )


def test_message_in_reply_out_statuses_back(
    n1_agent, whatsapp, client, django_capture_on_commit_callbacks
):
    def run(step):
        with django_capture_on_commit_callbacks(execute=True):
            return step()

    # 1. The customer writes; Meta posts the signed webhook.
    response = run(lambda: wa.post_webhook(client, wa.text("Minha fatura veio em dobro")))
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    inbound = ticket.messages.get()
    assert (inbound.channel, inbound.body_text) == ("whatsapp", "Minha fatura veio em dobro")

    # 2. The agent answers on the ticket page; the reply goes to the Graph API.
    response = run(lambda: answer_on_the_ticket_page(client, n1_agent, ticket, "Vou estornar."))
    assert response.status_code == 302
    reply = ticket.messages.get(direction="outbound")
    [request] = whatsapp.sent("/messages")
    assert request.headers["authorization"] == f"Bearer {GRAPH_TOKEN}"
    assert request.json()["text"]["body"] == "Vou estornar."
    assert request.json()["to"] == wa.CUSTOMER_WA_ID
    reply.refresh_from_db()
    assert (reply.delivery_status, reply.external_id) == (D.SENT, "wamid.FAKE0001")

    # 3. Meta reports delivery and reading; read may come first.
    client.logout()
    run(lambda: wa.post_webhook(client, wa.status("wamid.FAKE0001", "read")))
    run(lambda: wa.post_webhook(client, wa.status("wamid.FAKE0001", "delivered")))
    reply.refresh_from_db()
    assert reply.delivery_status == D.READ

    # 4. The customer answers quoting the reply: same ticket, the quote shown.
    quoted = wa.message(
        "text",
        {"body": "Obrigada!"},
        context={"from": wa.BUSINESS_NUMBER, "id": "wamid.FAKE0001"},
    )
    run(lambda: wa.post_webhook(client, wa.inbound(quoted)))
    thanks = ticket.messages.get(body_text="Obrigada!")
    assert thanks.metadata["quoted_text"] == "Vou estornar."
    assert Ticket.objects.count() == 1


def test_free_text_after_the_window_is_refused_on_the_ticket_page(
    n1_agent, whatsapp, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        wa.post_webhook(client, wa.text("Oi", timestamp=time.time() - 30 * 3600))
    ticket = Ticket.objects.get()

    response = answer_on_the_ticket_page(client, n1_agent, ticket, "Olá, ainda precisa?")

    assert response.status_code == 400
    assert "only within 24 hours" in response.content.decode()
    assert not ticket.messages.filter(direction="outbound").exists()
    assert not whatsapp.requests


# --- The real stack ---------------------------------------------------------------------------


@pytest.fixture
def graph_for_worker(monkeypatch, settings):
    """The fake Graph API, configured for this process and (through the environment) for the
    worker process started after this fixture."""
    with FakeGraph() as graph:
        env = {
            "WHATSAPP_APP_SECRET": wa.APP_SECRET,
            "WHATSAPP_ACCESS_TOKEN": GRAPH_TOKEN,
            "WHATSAPP_PHONE_NUMBER_ID": wa.PHONE_NUMBER_ID,
            "WHATSAPP_API_BASE": graph.api_base,
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
            setattr(settings, name, value)
        yield graph


def wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


@pytest.mark.services
def test_end_to_end_through_redis_and_a_real_worker(
    graph_for_worker, n1_agent, client, celery_worker_queue, monkeypatch, request
):
    # Everything this process queues goes to the worker started for this test.
    routes = celery_settings(task_routes={"channels_app.*": {"queue": celery_worker_queue}})
    routes.__enter__()
    request.addfinalizer(lambda: routes.__exit__(None, None, None))
    # Celery keeps the routing table and router it built for the first task this process sent
    # (another test's, in a whole run): build them again from the routes above.
    monkeypatch.setattr(celery_app.amqp, "_rtable", None)
    monkeypatch.setattr(celery_app.amqp, "router", celery_app.amqp.Router())
    # A drain flag an earlier test left in the shared Redis cache (its drain queued elsewhere)
    # would make this accept count on a drain that never reaches this worker.
    cache.delete(channel_services.DRAIN_SCHEDULED)

    assert wa.post_webhook(client, wa.text("Sem sinal desde ontem")).status_code == 200
    inbound = wait_for(lambda: Message.objects.filter(direction="inbound").first())
    assert inbound.body_text == "Sem sinal desde ontem"

    # Meta retries the same delivery: still one message.
    wa.post_webhook(client, wa.text("Sem sinal desde ontem", id=inbound.external_id))

    response = answer_on_the_ticket_page(client, n1_agent, inbound.ticket, "Reinicie o modem.")
    assert response.status_code == 302
    reply = Message.objects.get(direction="outbound")
    wait_for(lambda: Message.objects.filter(pk=reply.pk, delivery_status=D.SENT).exists())
    assert graph_for_worker.messages_sent()[0]["text"]["body"] == "Reinicie o modem."

    client.logout()
    wa.post_webhook(client, wa.status("wamid.FAKE0001", "read"))
    wa.post_webhook(client, wa.status("wamid.FAKE0001", "delivered"))
    wait_for(lambda: Message.objects.filter(pk=reply.pk, delivery_status=D.READ).exists())
    # Once the late "delivered" is processed too, it has not moved the reply back.
    wait_for(lambda: not InboundEvent.objects.filter(status="received").exists())
    reply.refresh_from_db()
    assert reply.delivery_status == D.READ
    assert Message.objects.filter(direction="inbound").count() == 1
    assert inbound.created_at > timezone.now() - timedelta(minutes=5)
