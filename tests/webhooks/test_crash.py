"""A real crash between the commit and the after-commit work: a process commits a new ticket and
dies (os._exit) before any after-commit callback runs. The outbox row committed with the ticket,
and the sweeper delivers it (PostgreSQL, so that the other process shares the database)."""

import os
import subprocess
import sys

import pytest

from tests.real_stack import ROOT, _database_url_of_test_db
from tickets.models import Ticket
from webhooks import tasks
from webhooks.models import OutboxEvent, WebhookDelivery

pytestmark = pytest.mark.services

DIE_AFTER_COMMIT = """
import os
import django

django.setup()
from django.db import transaction

from tickets import services
from tickets.models import Customer

with transaction.atomic():
    transaction.on_commit(lambda: os._exit(9))  # registered first: runs first, right after COMMIT
    services.ticket_create(
        customer=Customer.objects.get(pk={customer_id}), subject="Pedido 4471", channel="email"
    )
"""


def test_a_process_dying_right_after_its_commit_loses_no_event(
    transactional_db, teams, customer, subscribe, receiver
):
    subscribe("ticket.created")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings.test",
        "DATABASE_URL": _database_url_of_test_db(),
    }
    done = subprocess.run(
        [sys.executable, "-c", DIE_AFTER_COMMIT.format(customer_id=customer.pk)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
    )

    assert done.returncode == 9, done.stderr.decode()[-2000:]
    ticket = Ticket.objects.get(subject="Pedido 4471")
    assert OutboxEvent.objects.filter(ticket_id=ticket.pk).count() == 1
    assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []

    tasks.sweep()

    [request] = receiver.requests
    assert request.json()["data"]["ticket_id"] == ticket.pk
    assert not OutboxEvent.objects.exists()
