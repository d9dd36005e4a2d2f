"""The outbox: written in the transaction of the change, so an event is never lost between the
commit and the after-commit work, and never sent for a change that rolled back."""

import pytest
from django.db import transaction

from tests.tickets.factories import make_ticket
from tickets import services as tickets
from webhooks import outbox, services, tasks
from webhooks.models import OutboxEvent, WebhookDelivery


def test_an_event_survives_a_crash_between_the_commit_and_the_fan_out(
    subscribe, receiver, customer, teams
):
    subscribe("ticket.created")
    # The after-commit callbacks never run here: the state a process dying right after its
    # commit leaves behind.
    ticket = make_ticket(customer=customer)

    [row] = OutboxEvent.objects.all()
    assert (row.name, row.ticket_id) == ("ticket.created", ticket.pk)
    assert receiver.requests == []

    tasks.sweep()

    [request] = receiver.requests
    assert request.json()["data"]["ticket_id"] == ticket.pk
    assert not OutboxEvent.objects.exists()
    assert WebhookDelivery.objects.get().status == "succeeded"


def test_a_change_rolled_back_leaves_nothing_to_send(subscribe, receiver, customer, teams):
    subscribe("ticket.created")

    def change_that_fails():
        with transaction.atomic():
            make_ticket(customer=customer)
            raise RuntimeError("the change fails after publishing")

    with pytest.raises(RuntimeError):
        change_that_fails()

    assert not OutboxEvent.objects.exists()


def test_an_event_of_a_rolled_back_savepoint_is_dropped_and_the_rest_sent(
    subscribe, receiver, ticket, n1_agent, django_capture_on_commit_callbacks
):
    subscribe("ticket.updated")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        try:
            with transaction.atomic():
                tickets.ticket_change_priority(ticket=ticket, priority="urgent", by=n1_agent)
                raise RuntimeError("undone")
        except RuntimeError:
            pass
        ticket.refresh_from_db()
        tickets.ticket_change_priority(ticket=ticket, priority="high", by=n1_agent)

    [request] = receiver.requests
    assert request.json()["data"]["after"] == "high"


def test_nothing_is_recorded_while_no_subscription_wants_the_event(
    subscribe, customer, teams, n1_agent
):
    ticket = make_ticket(customer=customer)
    subscribe("ticket.escalated")
    tickets.ticket_change_priority(ticket=ticket, priority="high", by=n1_agent)

    assert not OutboxEvent.objects.exists()
    assert outbox.wanted_names() == {"ticket.escalated"}


def test_a_disabled_subscription_stops_the_recording(subscribe, customer, teams):
    subscription = subscribe("ticket.created")
    services.webhook_subscription_disable(subscription=subscription, reason="test")
    outbox.subscriptions_changed()  # what its commit does

    make_ticket(customer=customer)
    assert not OutboxEvent.objects.exists()


def test_the_sweeper_fans_out_once_whatever_runs_twice(subscribe, receiver, customer, teams):
    subscribe("ticket.created")
    make_ticket(customer=customer)
    make_ticket(customer=customer)

    assert services.webhook_outbox_fan_out() == 2
    assert services.webhook_outbox_fan_out() == 0
    tasks.sweep()
    tasks.sweep()

    assert WebhookDelivery.objects.filter(status="succeeded").count() == 2
    assert len(receiver.requests) == 2


def test_the_delivery_log_is_kept_for_its_days_then_pruned(subscribe, receiver, customer, teams):
    from datetime import timedelta

    from django.utils import timezone

    subscribe("ticket.created")
    make_ticket(customer=customer)
    make_ticket(customer=customer)
    tasks.sweep()
    old, recent = WebhookDelivery.objects.order_by("id")
    WebhookDelivery.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))

    tasks.sweep()

    assert list(WebhookDelivery.objects.all()) == [recent]


def test_a_deferred_block_writes_the_events_that_survive_in_one_insert(subscribe, ticket, n1_agent):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tickets import events

    subscribe("ticket.updated")
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        with events.outbox_deferred():
            tickets.ticket_change_priority(ticket=ticket, priority="high", by=n1_agent)
            try:
                with transaction.atomic():
                    tickets.ticket_change_priority(ticket=ticket, priority="urgent", by=n1_agent)
                    raise RuntimeError("this one is undone")
            except RuntimeError:
                ticket.refresh_from_db()
            tickets.ticket_change_priority(ticket=ticket, priority="low", by=n1_agent)
            assert not OutboxEvent.objects.exists()  # written when the block ends
        assert [row.payload["after"] for row in OutboxEvent.objects.order_by("id")] == [
            "high",
            "low",
        ]

    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "webhooks_outboxevent"')]
    assert len(inserts) == 1
