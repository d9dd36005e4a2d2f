"""What one inbound message costs in SQL, from storing it to the last after-commit subscriber:
pinned, so that work growing per message (or per ticket's history) shows up here first.

The inbound path is the store (one INSERT, its own transaction), then the drain that processes
it (one transaction). Work queued as its own task (acknowledgement, SLA clock sync, delivery)
is counted apart and pinned too, so the path stays constant whatever those tasks cost."""

import pytest
from django.db import connection
from django.test import Client

from channels_app import tasks
from channels_app.models import InboundEvent, Mailbox
from sla.defaults import sla_policies_seed_defaults
from tests.channels_app import whatsapp_support as wa
from tests.channels_app.test_pipeline import SIMPLE, store
from tests.sql_budget import sql_budget
from tickets.models import Message, Ticket

# The path being measured: storing and processing (the drain is a task, eager here).
DRAIN = ("channels_app.process_inbound_events",)
# On PostgreSQL processing adds SET LOCAL synchronous_commit (one statement), and a new ticket's
# number and team ids come in one query instead of two. A known customer is read and locked in
# one statement (not for phones), their open conversation is locked as it is found, and the live
# push of a message alone in its delivery is made from the ticket row in hand (no read).
ON_POSTGRES = connection.vendor == "postgresql"
NEW_TICKET_STATEMENTS = 15
REPLY_STATEMENTS = 12 + ON_POSTGRES
WHATSAPP_NEW_STATEMENTS = 13
WHATSAPP_NEXT_STATEMENTS = 11 + ON_POSTGRES
QUEUED_AFTER_NEW_EMAIL = {
    "channels_app.acknowledge_tickets": 6,
    "sla.sync_ticket_clocks": 6,
    "channels_app.deliver_message": 9,
}


@pytest.fixture
def help_desk(teams, db):
    sla_policies_seed_defaults()
    return Mailbox.objects.create(
        name="Suporte", address="suporte@jornada.example", auto_ack_enabled=True
    )


def reply_to(ticket: Ticket, n: int) -> bytes:
    return SIMPLE.replace(b"<abc-123@", f"<reply-{n}@".encode()).replace(
        b"Subject: ", f"Subject: [#{ticket.number}] Re: ".encode()
    )


def test_a_new_ticket_email_costs_a_fixed_number_of_statements_in_two_transactions(help_desk):
    with sql_budget(inline_tasks=DRAIN) as budget:
        event, _ = store()

    assert Ticket.objects.count() == 1
    assert len(budget.statements) == NEW_TICKET_STATEMENTS, budget
    assert budget.transactions == 2, budget
    assert dict(budget.tasks) == QUEUED_AFTER_NEW_EMAIL, budget
    assert InboundEvent.objects.get(pk=event.pk).status == InboundEvent.Status.PROCESSED


def test_a_reply_costs_the_same_on_a_short_or_a_long_ticket(help_desk):
    with sql_budget(inline_tasks=DRAIN):
        store()
    ticket = Ticket.objects.get()
    costs = []
    for n in range(12):
        with sql_budget(inline_tasks=DRAIN) as budget:
            store(reply_to(ticket, n))
        costs.append((len(budget.statements), budget.transactions))

    assert ticket.messages.filter(direction=Message.Direction.INBOUND).count() == 13
    assert costs[0] == costs[-1] == (REPLY_STATEMENTS, 2), costs


def test_whatsapp_messages_cost_a_fixed_number_of_statements(help_desk, settings):
    settings.WHATSAPP_APP_SECRET = wa.APP_SECRET
    client = Client()
    with sql_budget(inline_tasks=DRAIN) as budget:
        response = wa.post_webhook(client, wa.text())
    assert response.status_code == 200
    with sql_budget(inline_tasks=DRAIN) as again:
        wa.post_webhook(client, wa.text("E o rastreio?"))

    assert Message.objects.filter(channel="whatsapp").count() == 2
    assert len(budget.statements) == WHATSAPP_NEW_STATEMENTS, budget
    assert len(again.statements) == WHATSAPP_NEXT_STATEMENTS, again
    assert budget.transactions == again.transactions == 2


def test_the_acknowledgement_task_run_twice_sends_one_acknowledgement(help_desk):
    with sql_budget(inline_tasks=DRAIN):
        store()
    opening = Message.objects.get(direction=Message.Direction.INBOUND)

    tasks.acknowledge_tickets.delay([opening.pk])  # a redelivered task (acks_late)

    acks = Message.objects.filter(metadata__automatic="acknowledgement")
    assert [ack.ticket_id for ack in acks] == [opening.ticket_id]


# A drain processes the waiting events in one transaction per chunk (PROCESS_CHUNK): the lock,
# the status UPDATE, the look for waiting events, our mailboxes and the organization of a
# domain (the ten senders share one) are read or written once for the whole chunk.
BATCH_OF_TEN_STATEMENTS = 10 * (8 - ON_POSTGRES) + 6 + ON_POSTGRES
QUEUED_AFTER_TEN_NEW_EMAILS = {
    "channels_app.acknowledge_tickets": 42,
    "channels_app.deliver_messages": 72,
    "sla.sync_ticket_clocks": 6,
}


def test_a_burst_of_new_ticket_emails_costs_less_per_email_in_one_transaction(
    help_desk, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        for n in range(10):
            store(SIMPLE.replace(b"<abc-123@", f"<burst-{n}@".encode()).replace(
                b"joao@", f"joao{n}@".encode()
            ))  # fmt: skip

    with sql_budget(inline_tasks=DRAIN) as budget:
        tasks.process_inbound_events.delay()

    assert Ticket.objects.count() == 10
    assert len(budget.statements) == BATCH_OF_TEN_STATEMENTS, budget
    assert budget.transactions == 1, budget
    # The queued work is batched too: one acknowledgement task for the ten (their mailbox read
    # once), one delivery task for the ten acknowledgements, one clock sync.
    assert dict(budget.tasks) == QUEUED_AFTER_TEN_NEW_EMAILS, budget
