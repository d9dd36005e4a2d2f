"""The end of a chat, whoever ends it (the visitor, an agent on the ticket page, the bot's
"Isso resolveu"), as the domain event `chat.ended`; and read receipts that arrive in any order
with the "sent" status of the agent's reply."""

import uuid

import pytest
from django.db import OperationalError
from django.urls import reverse

from channels_app import services
from channels_app import tasks as channel_tasks
from channels_app.adapters.chat.adapter import ChatAdapter
from channels_app.models import ChatSession
from channels_app.services import chat as chat_services
from tickets import events
from tickets import services as ticket_services
from tickets.models import Message, Ticket

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("chat_stack")]
S = ChatSession.State
R = Message.DeliveryStatus


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def ended():
    """The chat.ended events delivered during the test."""
    delivered = []
    events.subscribe(events.ChatEnded)(delivered.append)
    yield delivered
    events.unsubscribe(delivered.append)


def chat(channel) -> ChatSession:
    message = services.chat_message_receive(
        channel=channel, visitor=str(uuid.uuid4()), client_id=uuid.uuid4().hex, text="Olá",
        language="pt-br",
    )  # fmt: skip
    return ChatSession.objects.select_related("ticket").get(ticket_id=message.ticket_id)


def test_the_event_is_public_and_versioned():
    event = events.ChatEnded(ticket_id=7, session_id=3, outcome="agent", by_id=2)
    assert event.payload() == {
        "event": "chat.ended", "version": 1, "ticket_id": 7, "by_id": 2, "session_id": 3,
        "outcome": "agent",
    }  # fmt: skip


def test_the_visitor_ending_the_chat_publishes_chat_ended(chat_channel, ended, committed):
    session = chat(chat_channel)
    with committed():
        services.chat_end(session=session)

    assert [(e.ticket_id, e.session_id, e.outcome, e.by_id) for e in ended] == [
        (session.ticket_id, session.pk, "visitor", None)
    ]


def test_that_solved_it_publishes_chat_ended_as_a_deflection(chat_channel, ended, committed):
    session = chat(chat_channel)
    with committed():
        services.chat_resolve(session=session)

    assert [(e.outcome, e.by_id) for e in ended] == [("deflected", None)]


def test_an_agent_ending_it_is_named_and_a_second_end_publishes_nothing(
    chat_channel, n1_agent, ended, committed
):
    session = chat(chat_channel)
    with committed():
        services.chat_end(session=session, outcome=ChatSession.Outcome.ENDED_BY_AGENT, by=n1_agent)
    with committed():
        services.chat_end(session=session, outcome=ChatSession.Outcome.ENDED_BY_AGENT, by=n1_agent)

    assert [(e.outcome, e.by_id) for e in ended] == [("agent", n1_agent.pk)]


def test_solving_a_chats_ticket_ends_the_chat_with_the_event(chat_channel, n1_agent, ended):
    session = chat(chat_channel)
    ticket_services.ticket_change_status(ticket=session.ticket, to_status="solved", by=n1_agent)

    session.refresh_from_db()
    assert session.state == S.ENDED
    assert [e.outcome for e in ended] == ["agent"]


# --- the agent's button --------------------------------------------------------------------------


def test_the_ticket_page_offers_end_chat_on_a_live_chat(chat_channel, n1_agent, client):
    session = chat(chat_channel)
    client.force_login(n1_agent)

    page = client.get(reverse("ticket-detail", args=[session.ticket.number]))

    html = page.content.decode()
    assert reverse("ticket-chat-end", args=[session.ticket.number]) in html
    assert 'aria-describedby="chat-end-help"' in html


def test_an_agent_ends_the_chat_from_the_ticket_page(chat_channel, n1_agent, client, ended):
    session = chat(chat_channel)
    client.force_login(n1_agent)

    response = client.post(reverse("ticket-chat-end", args=[session.ticket.number]), follow=True)

    session.refresh_from_db()
    assert (session.state, session.outcome) == (S.ENDED, ChatSession.Outcome.ENDED_BY_AGENT)
    assert session.ticket.status == Ticket.Status.NEW  # the agent decides on the request apart
    assert [e.by_id for e in ended] == [n1_agent.pk]
    assert "The chat has ended" in response.content.decode()
    assert reverse("ticket-chat-end", args=[session.ticket.number]) not in response.content.decode()


def test_end_chat_is_a_post_and_only_for_a_chat(chat_channel, n1_agent, client, ticket):
    session = chat(chat_channel)
    client.force_login(n1_agent)

    assert client.get(reverse("ticket-chat-end", args=[session.ticket.number])).status_code == 405
    assert client.post(reverse("ticket-chat-end", args=[ticket.number])).status_code == 404


def test_an_outsider_cannot_end_a_chat(chat_channel, n3_agent, client):
    session = chat(chat_channel)
    client.force_login(n3_agent)  # an N3 agent: the chat's N1 ticket is out of their reach

    response = client.post(reverse("ticket-chat-end", args=[session.ticket.number]))

    session.refresh_from_db()
    assert response.status_code == 404
    assert session.state != S.ENDED


# --- read receipts in any order ------------------------------------------------------------------


def queued_reply(session, agent) -> Message:
    """An agent's reply whose delivery task has not run yet."""
    with events.suppressed():
        return ticket_services.message_reply(ticket=session.ticket, by=agent, body_text="Oi!")


def test_a_read_receipt_before_the_sent_status_still_counts(chat_channel, n1_agent):
    session = chat(chat_channel)
    reply = queued_reply(session, n1_agent)
    assert reply.delivery_status == R.QUEUED

    services.chat_visitor_read(session_id=session.pk, ticket_id=session.ticket_id, up_to=reply.pk)
    reply.refresh_from_db()
    assert reply.delivery_status == R.QUEUED  # its delivery still runs: the chat joins the agent

    assert channel_tasks.deliver_message.delay(reply.pk).get() == R.SENT
    reply.refresh_from_db()
    session.refresh_from_db()
    assert reply.delivery_status == R.READ
    assert [h["status"] for h in reply.metadata["delivery_history"]] == ["sent", "read"]
    assert (session.state, session.agent_id) == (S.ACTIVE, n1_agent.pk)


def test_a_late_sent_status_never_brings_a_read_message_back(chat_channel, n1_agent):
    session = chat(chat_channel)
    reply = ticket_services.message_reply(ticket=session.ticket, by=n1_agent, body_text="Oi!")
    services.chat_visitor_read(session_id=session.pk, ticket_id=session.ticket_id, up_to=reply.pk)
    reply.refresh_from_db()
    assert reply.delivery_status == R.READ

    for late in (R.SENT, R.DELIVERED):
        assert not ticket_services.message_update_delivery(message=reply, status=late)
    assert channel_tasks.deliver_message.delay(reply.pk).get() is None  # sends nothing again

    reply.refresh_from_db()
    assert reply.delivery_status == R.READ


def test_an_older_receipt_after_a_newer_one_changes_nothing(chat_channel, n1_agent):
    session = chat(chat_channel)
    first = ticket_services.message_reply(ticket=session.ticket, by=n1_agent, body_text="Um")
    second = ticket_services.message_reply(ticket=session.ticket, by=n1_agent, body_text="Dois")

    args = {"session_id": session.pk, "ticket_id": session.ticket_id}
    assert services.chat_visitor_read(**args, up_to=second.pk) == 2
    assert services.chat_visitor_read(**args, up_to=first.pk) == 0

    session.refresh_from_db()
    assert session.visitor_read_up_to == second.pk
    assert set(Message.objects.filter(pk__in=[first.pk, second.pk]).values_list(
        "delivery_status", flat=True)) == {R.READ}  # fmt: skip


# --- a reply that meets a busy database ----------------------------------------------------------


def test_a_reply_that_met_a_busy_database_is_tried_again_within_seconds(
    chat_channel, n1_agent, monkeypatch
):
    session = chat(chat_channel)
    reply = queued_reply(session, n1_agent)

    def busy(**_):
        raise OperationalError("database table is locked: tickets_message")

    monkeypatch.setattr(chat_services, "chat_message_sent", busy)

    with pytest.raises(channel_tasks._RetryDelivery) as first:
        channel_tasks._deliver(reply.pk, owner="test", retries=0)
    with pytest.raises(channel_tasks._RetryDelivery) as later:
        channel_tasks._deliver(reply.pk, owner="test", retries=1)

    # The visitor is waiting: seconds, not the 30 s an email or a WhatsApp message waits first;
    # a failure that lasts is then tried as seldom as on the other channels.
    assert first.value.countdown == ChatAdapter.RETRY_AFTER == 2
    assert later.value.countdown == 60
    reply.refresh_from_db()
    assert reply.delivery_status == R.QUEUED

    monkeypatch.undo()
    assert channel_tasks._deliver(reply.pk, owner="test", retries=2) == R.SENT
