"""Sweepers running side by side (PostgreSQL): the outbox split between them, every event sent
exactly once, and each ticket's events in the order they happened."""

import threading

import pytest
from django.db import connection

from tests.tickets.factories import make_ticket
from tickets import events
from tickets import services as tickets
from webhooks import services, subscribers, tasks
from webhooks.models import OutboxEvent, WebhookDelivery

pytestmark = pytest.mark.services

PRIORITIES = ["high", "urgent", "low", "normal", "high"]


def test_sweepers_side_by_side_send_each_event_once_and_in_order(
    transactional_db, teams, customer, n1_agent, subscribe, receiver, monkeypatch
):
    subscribe("ticket.created", "ticket.updated")
    events.unsubscribe(subscribers.fan_out_soon)  # a backlog: nothing fanned out after commit
    try:
        made = [make_ticket(customer=customer) for _ in range(3)]
        for priority in PRIORITIES:
            for ticket in made:
                tickets.ticket_change_priority(ticket=ticket, priority=priority, by=n1_agent)
    finally:
        events.subscribe_batch(events.DomainEvent)(subscribers.fan_out_soon)
    assert OutboxEvent.objects.count() == 18
    monkeypatch.setattr(services, "FAN_OUT_BATCH", 4)  # each sweeper takes a few rows
    errors = []

    def sweep():
        try:
            tasks.sweep()
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    tasks.sweep()  # what the next beat would find

    assert errors == []
    assert WebhookDelivery.objects.filter(status="succeeded").count() == 18
    ids = [request.event_id for request in receiver.requests]
    assert len(ids) == len(set(ids)) == 18
    for ticket in made:
        seen = [
            request.json()["data"]
            for request in receiver.requests
            if request.json()["data"]["ticket_id"] == ticket.pk
        ]
        assert [data["event"] for data in seen] == ["ticket.created"] + [
            "ticket.priority_changed"
        ] * 5
        assert [data["after"] for data in seen[1:]] == PRIORITIES
