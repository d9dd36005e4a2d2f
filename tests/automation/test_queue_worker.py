"""The rules queue on the real stack (PostgreSQL, Redis as cache and broker): tickets created
through the API have their rules run by a real worker's drain; a burst of requests queues one
drain, not one each; a process that dies right after its commit loses no rule (the sweeper runs
its row)."""

import uuid
from datetime import timedelta

import pytest
from celery import signals
from django.core.cache import cache
from django.utils import timezone

from automation import queue, tasks
from automation.models import RuleWork
from helpdesk.celery import app as celery_app
from tests.automation.conftest import rule
from tests.automation.test_queue import NEW, TAG, api
from tests.celery_settings import celery_settings
from tests.real_stack import create_ticket_and_die_after_commit
from tests.servers import wait_for
from tickets.models import Ticket

pytestmark = pytest.mark.services


def route_all_to(queue_name, monkeypatch, request):
    """Everything this process queues goes to that queue, through Redis, not eagerly (nothing
    is left in a queue another test's worker may consume)."""
    routes = celery_settings(task_always_eager=False, task_routes={"*": {"queue": queue_name}})
    routes.__enter__()
    request.addfinalizer(lambda: routes.__exit__(None, None, None))
    # Celery keeps the routing table and router it built for the first task this process sent:
    # build them again from the routes above.
    monkeypatch.setattr(celery_app.amqp, "_rtable", None)
    monkeypatch.setattr(celery_app.amqp, "router", celery_app.amqp.Router())
    assert celery_app.amqp.router.route({}, "automation.drain_rules")["queue"].name == queue_name


def test_api_created_tickets_have_their_rules_run_by_a_real_worker(
    n1_agent, teams, celery_worker_queue, monkeypatch, request
):
    route_all_to(celery_worker_queue, monkeypatch, request)
    cache.delete(queue.DRAIN_SCHEDULED)  # an earlier test's flag: its drain went elsewhere
    rule("tag", actions=TAG)
    client = api(n1_agent)

    numbers = []
    for n in range(10):
        response = client.post("/api/v1/tickets", {**NEW, "subject": f"Pedido {n}"}, format="json")
        assert response.status_code == 201, response.content
        numbers.append(response.json()["number"])

    tagged = Ticket.objects.filter(number__in=numbers, tags__name="visto")
    wait_for(
        lambda: tagged.count() == 10 and not RuleWork.objects.exists(),
        timeout=60,
        what="the rules of the ten tickets, run by the worker",
    )


def test_a_burst_of_api_creates_queues_one_drain(
    n1_agent, teams, monkeypatch, request, django_capture_on_commit_callbacks
):
    assert queue.cache_is_shared()
    # Published to Redis for real, to a queue nobody consumes (emptied afterwards).
    name = f"test-{uuid.uuid4().hex[:10]}"
    route_all_to(name, monkeypatch, request)
    published = []

    def count(sender=None, **kwargs):
        published.append(sender)

    signals.before_task_publish.connect(count, weak=False)
    cache.delete(queue.DRAIN_SCHEDULED)
    client = api(n1_agent)
    try:
        for n in range(5):
            with django_capture_on_commit_callbacks(execute=True):
                response = client.post(
                    "/api/v1/tickets", {**NEW, "subject": f"Pedido {n}"}, format="json"
                )
            assert response.status_code == 201
    finally:
        signals.before_task_publish.disconnect(count)
        cache.delete(queue.DRAIN_SCHEDULED)
        with celery_app.connection_for_write() as connection:
            connection.default_channel.queue_purge(name)

    assert published.count("automation.drain_rules") == 1
    assert RuleWork.objects.count() == 5


def test_a_process_dying_right_after_its_commit_loses_no_rule(transactional_db, teams, customer):
    rule("tag", actions=TAG)
    create_ticket_and_die_after_commit(customer_id=customer.pk, subject="Pedido 4471")

    ticket = Ticket.objects.get(subject="Pedido 4471")
    assert list(RuleWork.objects.values_list("ticket_id", "kinds")) == [(ticket.pk, ["created"])]
    assert not ticket.tags.exists()

    RuleWork.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    assert tasks.sweep_rules() == 1  # its drain, eager here

    assert list(ticket.tags.values_list("name", flat=True)) == ["visto"]
    assert not RuleWork.objects.exists()
