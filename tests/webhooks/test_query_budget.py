"""What the outbox adds to the inbound email path (pinned in tests/channels_app/
test_query_budget.py): nothing while no subscription wants the events; otherwise one INSERT per
drain transaction, whatever the number of messages and events in it (the drain processes its
batch inside events.outbox_deferred()). The fan-out and the sending are tasks of their own,
counted apart."""

import pytest

from automation import birth
from channels_app.models import Mailbox
from sla.defaults import sla_policies_seed_defaults
from tests.channels_app.test_pipeline import SIMPLE, store
from tests.channels_app.test_query_budget import (
    BATCH_OF_TEN_STATEMENTS,
    DRAIN,
    NEW_TICKET_STATEMENTS,
    REPLY_STATEMENTS,
    reply_to,
)
from tests.sql_budget import sql_budget
from tickets.models import Ticket
from webhooks.models import OutboxEvent, WebhookDelivery


@pytest.fixture
def help_desk(teams, db):
    sla_policies_seed_defaults()
    # Its new calendar told the routing hook to read the rules again: a read once per process
    # after a change (tests/automation/test_birth.py pins it), done here, not per email.
    birth.forget_rules()
    return Mailbox.objects.create(
        name="Suporte", address="suporte@jornada.example", auto_ack_enabled=True
    )


def test_without_subscriptions_the_inbound_path_costs_what_it_did(help_desk):
    with sql_budget(inline_tasks=DRAIN) as budget:
        store()
    assert len(budget.statements) == NEW_TICKET_STATEMENTS, budget
    assert "webhooks.fan_out" not in budget.tasks
    assert not OutboxEvent.objects.exists()


def test_with_subscriptions_a_drain_transaction_costs_one_insert(help_desk, subscribe, receiver):
    subscribe()  # every event
    with sql_budget(inline_tasks=DRAIN) as new:
        store()
    ticket = Ticket.objects.get()
    with sql_budget(inline_tasks=DRAIN) as reply:
        store(reply_to(ticket, 1))

    outbox_inserts = [sql for sql in new.statements if "webhooks_outboxevent" in sql]
    assert len(outbox_inserts) == 1, new  # ticket.created and message.created
    assert len(new.statements) == NEW_TICKET_STATEMENTS + 1, new
    assert len(reply.statements) == REPLY_STATEMENTS + 1, reply
    assert new.transactions == reply.transactions == 2
    assert new.tasks["webhooks.fan_out"] > 0  # one task per transaction, counted apart
    types = sorted(request.json()["type"] for request in receiver.requests)
    assert "ticket.created" in types
    assert types.count("message.created") == 3  # the customer's two and the acknowledgement
    assert not WebhookDelivery.objects.exclude(status="succeeded").exists()


def test_a_drain_of_several_messages_queues_one_fan_out(
    help_desk, subscribe, receiver, django_capture_on_commit_callbacks
):
    from celery import signals

    from channels_app import tasks as channel_tasks

    subscribe("ticket.created")
    for n in range(3):
        other = SIMPLE.replace(b"<abc-123@", f"<other-{n}@".encode())
        store(other.replace(b"joao", f"cliente{n}".encode()))  # callbacks not run: no drain yet
    ran = []

    def count(sender=None, **kwargs):
        ran.append(sender.name)

    signals.task_prerun.connect(count, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            channel_tasks.process_inbound_events()
    finally:
        signals.task_prerun.disconnect(count)

    assert Ticket.objects.count() == 3
    assert ran.count("webhooks.fan_out") == 1
    assert len(receiver.requests) == 3


def test_ten_new_ticket_emails_in_one_drain_cost_one_insert_more(
    help_desk, subscribe, receiver, django_capture_on_commit_callbacks
):
    subscribe()  # every event: 20 of them (ticket.created and message.created per email)
    with django_capture_on_commit_callbacks(execute=False):
        for n in range(10):
            store(SIMPLE.replace(b"<abc-123@", f"<burst-{n}@".encode()).replace(
                b"joao@", f"joao{n}@".encode()
            ))  # fmt: skip

    from channels_app import tasks as channel_tasks

    with sql_budget(inline_tasks=DRAIN) as budget:
        channel_tasks.process_inbound_events.delay()

    assert Ticket.objects.count() == 10
    assert len(budget.statements) == BATCH_OF_TEN_STATEMENTS + 1, budget
    assert budget.transactions == 1, budget
    assert budget.tasks["webhooks.fan_out"] > 0
    created = [r for r in receiver.requests if r.json()["type"] == "ticket.created"]
    assert len(created) == 10


def test_the_sla_timers_batch_of_breaches_costs_one_outbox_insert(subscribe, customer, teams):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from tests.tickets.factories import make_ticket
    from tickets import services as tickets
    from tickets.models import TicketEvent

    made = [make_ticket(customer=customer) for _ in range(5)]
    subscribe("sla.breached")
    now = timezone.now()
    records = [
        tickets.SLARecord(ticket_id=t.pk, target="resolution", due_at=now, at=now) for t in made
    ]
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        tickets.tickets_record_sla_events(kind=TicketEvent.Kind.SLA_BREACHED, records=records)

    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "webhooks_outboxevent"')]
    assert len(inserts) == 1
    assert sorted(OutboxEvent.objects.values_list("ticket_id", flat=True)) == [t.pk for t in made]
