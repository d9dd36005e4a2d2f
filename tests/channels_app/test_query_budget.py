"""What one inbound message costs in SQL, from storing it to the last after-commit subscriber:
pinned, so that work growing per message (or per ticket's history) shows up here first.

The inbound path is the store (one INSERT, its own transaction), then the drain that processes
it (one transaction). Work queued as its own task (acknowledgement, SLA clock sync, delivery)
is counted apart and pinned too, so the path stays constant whatever those tasks cost."""

import pytest
from django.db import connection
from django.test import Client

from automation import birth
from channels_app import services, tasks
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
# one statement (not for phones), their open conversation is locked as it is found. The live push
# of a ticket whose events all brought the same row (a new ticket and its first message) is made
# from that row, not read again.
# Each message's drain writes the row of the triggers to run (automation/queue.py), one INSERT:
# one more than when the rules were a task queued after the commit (14, 12, 12, 11).
ON_POSTGRES = connection.vendor == "postgresql"
NEW_TICKET_STATEMENTS = 15
REPLY_STATEMENTS = 13 + ON_POSTGRES
WHATSAPP_NEW_STATEMENTS = 13
WHATSAPP_NEXT_STATEMENTS = 12 + ON_POSTGRES
# Acknowledging any number of new tickets at once (one mailbox): the messages with their tickets
# and customers, the mailbox, the customers' recent acknowledgements, the tickets locked, one
# INSERT, and after commit the live push's read of the tickets.
ACKNOWLEDGE_STATEMENTS = 6
QUEUED_AFTER_NEW_EMAIL = {
    "channels_app.acknowledge_tickets": ACKNOWLEDGE_STATEMENTS,
    "sla.sync_ticket_clocks": 6,
    # The message read under its lock (with its author), its attachments, the ticket's last
    # email, the mailbox, its Message-ID stored before the attempt, the row locked and written
    # as sent, the push: the batch's path, for one (9 when it had a path of its own).
    "channels_app.deliver_message": 8,
    # The triggers and routing of the new ticket (no rule active, a team without a policy),
    # by the rules' drain: its row taken, the active rules, the ticket locked, its tags (read
    # with it on PostgreSQL), its team's routing policy, the row deleted, a last look finding
    # none (3 more than the rules' task, which had its work in the message); and since the
    # drain claims its rows before running them, the claim's read and update and the tickets
    # locked in id order: 3 more.
    "automation.drain_rules": 10 - ON_POSTGRES,
}


@pytest.fixture
def help_desk(teams, db):
    sla_policies_seed_defaults()
    # Its new calendar told the routing hook to read the rules again: a read once per process
    # after a change (tests/automation/test_birth.py pins it), done here, not per email.
    birth.forget_rules()
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


def test_acknowledging_a_batch_costs_the_same_for_two_or_twenty_new_tickets(
    help_desk, django_capture_on_commit_callbacks
):
    # The openings first, their acknowledgements not sent (the mailbox did not ask for them).
    Mailbox.objects.update(auto_ack_enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(22):
            store(SIMPLE.replace(b"<abc-123@", f"<new-{n}@".encode()).replace(
                b"joao@", f"joao{n}@".encode()
            ))  # fmt: skip
    Mailbox.objects.update(auto_ack_enabled=True)
    openings = list(
        Message.objects.filter(direction=Message.Direction.INBOUND)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    costs = []
    for batch in (openings[:2], openings[2:]):
        with sql_budget() as budget:
            tasks.acknowledge_tickets.delay(batch)
        costs.append(budget.tasks["channels_app.acknowledge_tickets"])

    assert Message.objects.filter(metadata__automatic="acknowledgement").count() == 22
    assert costs == [ACKNOWLEDGE_STATEMENTS, ACKNOWLEDGE_STATEMENTS], costs


# A drain processes the waiting events in one transaction per chunk (PROCESS_CHUNK): the lock,
# the status UPDATE, the look for waiting events, our mailboxes, which of the senders are new and
# the organizations of their domains (the ten share one) are read or written once for the whole
# chunk; the triggers' rows of the ten in one INSERT (6 + ON_POSTGRES before them). Ten new
# senders each opening a ticket are received together (tickets.services.openings): one INSERT each
# for their customers, identities, tickets, messages and audit rows, and their numbers read with
# the N1 teams (on SQLite the highest number and the teams apart): 6 + (not ON_POSTGRES). Before
# that, 10 * (7 - ON_POSTGRES) + 7 + ON_POSTGRES (77 on PostgreSQL).
BATCH_OF_TEN_STATEMENTS = 14
SHARED_CACHE = services.cache_is_shared()
QUEUED_AFTER_TEN_NEW_EMAILS = {
    "channels_app.acknowledge_tickets": ACKNOWLEDGE_STATEMENTS,  # as for one
    # The ten read under their locks with their attachments, their tickets' last emails, the
    # mailbox, their Message-IDs stored in one statement; then, each send marked in the cache as
    # it comes back (a worker lost mid-batch sends none twice), their rows locked and written as
    # sent together; one push (before this batch path: 72; with a write per send: 26). With a
    # per-process cache (embedded) the marks would die with a lost worker: a write per send, 26.
    "channels_app.deliver_messages": 5 + 2 + 1 if SHARED_CACHE else 26,
    "sla.sync_ticket_clocks": 6,
    # One rules drain for the ten: their rows taken, the active rules and the routed teams read
    # once, the ten tickets checked together (their tags with them on PostgreSQL); none is locked
    # (no rule matches, their team has no policy); the rows deleted, a last look finding none;
    # the claim's read and update, and the ten tickets locked in one statement (3 more, since the
    # drain claims its rows before running them).
    "automation.drain_rules": 10 - ON_POSTGRES,
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


# Ten known customers each answering their ticket: received together (tickets.services.replies):
# their customers and tickets locked in one statement each, the messages they answer and the
# tickets' last channels read in one each, one INSERT for the messages and one for the audit
# rows, one UPDATE for the tickets; the batch's own work as for new tickets (the lock, the status
# UPDATE, the look, our mailboxes, the read-ahead of the senders, the triggers' rows).
# Before: 10 * 7 + 6 + ON_POSTGRES (77 on PostgreSQL).
BATCH_OF_TEN_REPLIES_STATEMENTS = 13 + ON_POSTGRES


def test_a_burst_of_replies_costs_less_per_email_in_one_transaction(
    help_desk, django_capture_on_commit_callbacks
):
    def opening(n: int) -> bytes:
        return SIMPLE.replace(b"<abc-123@", f"<opening-{n}@".encode()).replace(
            b"joao@", f"joao{n}@".encode()
        )

    with django_capture_on_commit_callbacks(execute=True):
        for n in range(10):
            store(opening(n))
    with django_capture_on_commit_callbacks(execute=False):
        for n in range(10):
            store(opening(n).replace(b"Message-ID: <opening-", b"Message-ID: <reply-").replace(
                b"Date:", f"In-Reply-To: <opening-{n}@cliente.com.br>\r\nDate:".encode()
            ))  # fmt: skip

    with sql_budget(inline_tasks=DRAIN) as budget:
        tasks.process_inbound_events.delay()

    replies = Message.objects.filter(external_id__startswith="<reply-")
    assert replies.count() == 10
    assert {m.threading_reason for m in replies} == {
        f"reply to <opening-{n}@cliente.com.br>" for n in range(10)
    }
    assert all(m.ticket.messages.filter(direction="inbound").count() == 2 for m in replies)
    assert len(budget.statements) == BATCH_OF_TEN_REPLIES_STATEMENTS, budget
    assert budget.transactions == 1, budget
