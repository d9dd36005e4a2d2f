"""A real crash between the commit and the after-commit work: a process commits a new ticket and
dies (os._exit) before any after-commit callback runs. The outbox row committed with the ticket,
and the sweeper delivers it (PostgreSQL, so that the other process shares the database)."""

import pytest

from tests.real_stack import create_ticket_and_die_after_commit
from tickets.models import Ticket
from webhooks import tasks
from webhooks.models import OutboxEvent, WebhookDelivery

pytestmark = pytest.mark.services


def test_a_process_dying_right_after_its_commit_loses_no_event(
    transactional_db, teams, customer, subscribe, receiver
):
    subscribe("ticket.created")
    create_ticket_and_die_after_commit(customer_id=customer.pk, subject="Pedido 4471")

    ticket = Ticket.objects.get(subject="Pedido 4471")
    assert OutboxEvent.objects.filter(ticket_id=ticket.pk).count() == 1
    assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []

    tasks.sweep()

    [request] = receiver.requests
    assert request.json()["data"]["ticket_id"] == ticket.pk
    assert not OutboxEvent.objects.exists()
