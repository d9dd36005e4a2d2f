"""What a visitor's chat message costs in SQL: the work the websocket consumer does for one
`message` frame (handler.handle, then the catch-up of the tab that sent it) down to the last
after-commit push, pinned, so that a statement added to the chat's round trip shows up here
first. Work queued as its own task (the SLA clock sync) is counted apart.

Transaction control is not counted (tests/sql_budget.py): a message is one transaction, the
event's INSERT and its processing (in a savepoint) committed together; the catch-up reads after
it. A pin may go down, or up with a reason written beside it."""

import uuid

import pytest
from django.core.cache import cache
from django.db import connection

from automation import birth
from channels_app.adapters.chat import consumer, handler, tokens
from channels_app.models import ChatChannel, ChatSession, InboundEvent
from tests.sql_budget import sql_budget
from tickets.models import Message, Tier
from webhooks import outbox

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("chat_stack")]

ON_POSTGRES = connection.vendor == "postgresql"
# The event's INSERT; the customer and identity, the ticket (its number and the N1 teams: one
# query on PostgreSQL, two on SQLite), the message and its two audit rows; the session (looked
# for, the chat channel read, created, its audit row); the event's processed status; after the
# commit, the catch-up (the agents' push uses the new ticket's row in hand: no read). (Before this
# pin: 18, in two transactions, a durable one to store the event and one to process it, and a
# SELECT 1 health check of the kept connection before them.)
# The row of the triggers to run (automation/queue.py), written with the ticket: one INSERT.
NEW_CHAT_STATEMENTS = 15 + (not ON_POSTGRES)
# The event's INSERT; the customer read and locked with their identity; the open chat ticket
# read and locked; the channel the customer last wrote on; the message, the ticket's update and
# its audit row; the session locked; the event's status; the catch-up. No read after the commit:
# the agents' push is made from the ticket row in hand. (Before: 16 on PostgreSQL, 15 on SQLite,
# in two transactions, and the SELECT 1.) And the triggers' row: 11 (10 when the rules were a
# task queued after the commit, with no trace in the database).
FOLLOW_UP_STATEMENTS = 11
# Queued apart: the clock sync, and the drain of the automation rules (none active here: the
# waiting rows taken, the rules read, the ticket locked with its tags on PostgreSQL, its team's
# policy; for a follow-up only the rules, the ticket being routed already; then the rows deleted
# and a last look finding none: 3 more than the task of the rules had, which took its work from
# the message instead of a table). Since the drain claims its rows before running them: the
# claim's read and update, and the ticket locked first: 3 more each.
QUEUED_NEW = {"sla.sync_ticket_clocks": 5, "automation.drain_rules": 10 - ON_POSTGRES}
QUEUED = {"sla.sync_ticket_clocks": 5, "automation.drain_rules": 7}


@pytest.fixture
def conversation(teams):
    channel = ChatChannel.objects.create(name="Loja", bot_enabled=False, team=teams[Tier.N1])
    token, visitor = tokens.visitor_token_new(channel_id=channel.pk)
    return handler.Conversation(channel=channel, visitor=visitor, token=token, language="pt-br")


def send(conversation, text):
    """What ChatConsumer.receive_json does with a `message` frame, in its database thread."""
    frame = {"type": "message", "client_id": uuid.uuid4().hex, "text": text}
    cache.clear()  # the visitor's rate limit (not SQL): a dozen messages in a row here
    outbox.forget_subscriptions()  # what clear() took: no webhook wants the events (no SQL)
    birth.forget_rules()  # what clear() took: no routing rule to read (no SQL)
    with sql_budget() as budget:
        frames, news = consumer._handle_and_catch_up(conversation, frame, True)
    assert frames[0]["type"] == "ack", frames
    assert [item["text"] for item in news] == [text]
    return budget


def test_a_visitors_first_message_costs_a_fixed_number_of_statements(conversation):
    budget = send(conversation, "Meu pedido não chegou")

    assert len(budget.statements) == NEW_CHAT_STATEMENTS, budget
    assert budget.transactions == 1, budget
    assert dict(budget.tasks) == QUEUED_NEW, budget
    assert ChatSession.objects.get().state == ChatSession.State.WAITING
    assert InboundEvent.objects.get().status == InboundEvent.Status.PROCESSED


def test_a_follow_up_costs_the_same_on_a_short_or_a_long_chat(conversation):
    send(conversation, "Olá")
    costs = []
    for n in range(12):
        budget = send(conversation, f"Mais um detalhe, número {n}")
        costs.append((len(budget.statements), budget.transactions, dict(budget.tasks)))

    assert Message.objects.count() == 13
    assert costs[0] == costs[-1] == (FOLLOW_UP_STATEMENTS, 1, QUEUED), budget
