"""The chat's services without a socket: a visitor's message through the pipeline, the session's
states and their trail, transfers and the end of a chat following the ticket, read receipts,
agents' availability, the answer suggestions the bot asks for."""

import uuid
from datetime import UTC, datetime

import pytest

from channels_app import selectors, services
from channels_app.models import ChatChannel, ChatSession, InboundEvent
from knowledge_base.models import Article
from tests.knowledge_base.factories import ArticleFactory
from tests.tickets.factories import AgentFactory
from tickets import registries
from tickets import services as ticket_services
from tickets.errors import InvalidChoice
from tickets.inbound import InboundAttachment
from tickets.models import AgentProfile, Message, Ticket, TicketEvent, Tier

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("chat_stack")]
S = ChatSession.State


def receive(channel, text="Olá", visitor=None, client_id=None):
    return services.chat_message_receive(
        channel=channel,
        visitor=str(visitor or uuid.uuid4()),
        client_id=client_id or uuid.uuid4().hex,
        text=text,
        language="pt-br",
    )


def session_of(message) -> ChatSession:
    return ChatSession.objects.select_related("ticket", "chat_channel").get(
        ticket_id=message.ticket_id
    )


def trail(ticket):
    return list(
        TicketEvent.objects.filter(ticket=ticket, kind="chat_state_changed")
        .order_by("pk")
        .values_list("before", "after")
    )


# --- a visitor's message -------------------------------------------------------------------------


def test_a_visitors_first_message_opens_a_chat_ticket_for_the_channels_team(chat_channel, teams):
    message = receive(chat_channel, "Quero trocar um produto")

    session = session_of(message)
    assert session.state == S.BOT
    assert session.ticket.channel == "chat"
    assert session.ticket.subject == "Quero trocar um produto"
    assert session.ticket.team_id == teams[Tier.N1].pk
    assert InboundEvent.objects.get().status == InboundEvent.Status.PROCESSED
    assert trail(session.ticket) == [(None, "bot")]


def test_the_same_client_id_is_one_message(chat_channel):
    visitor = uuid.uuid4()

    first = receive(chat_channel, "Oi", visitor=visitor, client_id="abc")
    again = receive(chat_channel, "Oi", visitor=visitor, client_id="abc")

    assert first.pk == again.pk
    assert Message.objects.count() == 1


def test_without_the_bot_a_chat_waits_for_a_person_at_once(chat_channel):
    ChatChannel.objects.filter(pk=chat_channel.pk).update(bot_enabled=False)
    chat_channel.refresh_from_db()

    session = session_of(receive(chat_channel))

    assert session.state == S.WAITING
    assert session.waiting_since is not None


def test_a_message_that_cannot_be_processed_is_not_acknowledged_and_waits(teams):
    gone = ChatChannel.objects.create(name="Canal apagado")
    gone_pk = gone.pk
    ChatChannel.objects.filter(pk=gone_pk).delete()
    gone.pk = gone_pk  # the consumer still holds it: its sessions cannot be opened

    with pytest.raises(services.ChatMessageNotStored):
        receive(gone, "Alguém?")

    event = InboundEvent.objects.get()
    assert event.status == InboundEvent.Status.RECEIVED  # the sweeper tries again
    assert not Message.objects.exists()


def test_a_message_after_the_end_reopens_the_conversation(chat_channel):
    visitor = uuid.uuid4()
    session = session_of(receive(chat_channel, visitor=visitor))
    services.chat_end(session=session)

    again = receive(chat_channel, "Mais uma coisa", visitor=visitor)

    session.refresh_from_db()
    assert again.ticket_id == session.ticket_id
    assert session.state == S.BOT
    assert session.outcome == ""
    assert trail(session.ticket) == [(None, "bot"), ("bot", "ended"), ("ended", "bot")]


# --- the visitor's choices -----------------------------------------------------------------------


def test_handover_queues_the_chat_once(chat_channel):
    session = session_of(receive(chat_channel))

    services.chat_handover(session=session)
    services.chat_handover(session=session)

    session.refresh_from_db()
    assert session.state == S.WAITING
    notices = Message.objects.filter(metadata__chat="notice")
    assert notices.count() == 1
    assert notices.get().kind == Message.Kind.SYSTEM


def test_that_solved_it_is_a_deflection_and_solves_the_ticket(chat_channel):
    session = session_of(receive(chat_channel))

    services.chat_resolve(session=session)

    session.refresh_from_db()
    assert (session.state, session.outcome) == (S.ENDED, ChatSession.Outcome.DEFLECTED)
    assert session.ticket.status == Ticket.Status.SOLVED
    assert session.ticket.events.filter(kind="chat_state_changed", data__outcome="deflected")


def test_a_visitor_ending_the_chat_leaves_the_ticket_to_the_agents(chat_channel):
    session = session_of(receive(chat_channel))

    services.chat_end(session=session)

    session.refresh_from_db()
    assert (session.state, session.outcome) == (S.ENDED, ChatSession.Outcome.ENDED_BY_VISITOR)
    assert session.ticket.status == Ticket.Status.NEW


# --- agents --------------------------------------------------------------------------------------


def test_a_transfer_hands_the_chat_to_the_new_assignee(chat_channel, n1_agent, teams):
    colleague = AgentFactory(user__username="colega", tier=Tier.N1, teams=[teams[Tier.N1]]).user
    session = session_of(receive(chat_channel))
    ticket_services.message_reply(ticket=session.ticket, by=n1_agent, body_text="Olá!")
    session.refresh_from_db()
    assert (session.state, session.agent_id) == (S.ACTIVE, n1_agent.pk)

    ticket_services.ticket_assign(ticket=session.ticket, assignee=colleague, by=n1_agent)

    session.refresh_from_db()
    assert (session.state, session.agent_id) == (S.ACTIVE, colleague.pk)


def test_claiming_a_waiting_chat_takes_it(chat_channel, n1_agent):
    session = session_of(receive(chat_channel))
    services.chat_handover(session=session)

    ticket_services.ticket_claim(ticket=session.ticket, by=n1_agent)

    session.refresh_from_db()
    assert (session.state, session.agent_id, session.waiting_since) == (S.ACTIVE, n1_agent.pk, None)


def test_a_visitors_read_receipt_marks_only_what_they_were_sent(chat_channel, n1_agent):
    session = session_of(receive(chat_channel))
    first = ticket_services.message_reply(ticket=session.ticket, by=n1_agent, body_text="Um")
    second = ticket_services.message_reply(ticket=session.ticket, by=n1_agent, body_text="Dois")

    marked = services.chat_visitor_read(
        session_id=session.pk, ticket_id=session.ticket_id, up_to=first.pk
    )

    first.refresh_from_db()
    second.refresh_from_db()
    assert marked == 1
    assert first.delivery_status == Message.DeliveryStatus.READ
    assert second.delivery_status == Message.DeliveryStatus.SENT
    again = services.chat_visitor_read(
        session_id=session.pk, ticket_id=session.ticket_id, up_to=first.pk
    )
    assert again == 0


def test_an_agent_reading_moves_the_receipt_once(chat_channel):
    message = receive(chat_channel)
    session = session_of(message)

    assert (
        services.chat_agent_read(session_id=session.pk, ticket_id=message.ticket_id) == message.pk
    )
    assert services.chat_agent_read(session_id=session.pk, ticket_id=message.ticket_id) == 0


# --- availability --------------------------------------------------------------------------------


def test_the_live_connection_makes_an_agent_online_unless_they_chose_away(n1_agent):
    profile = AgentProfile.objects.get(user=n1_agent)
    assert profile.availability == AgentProfile.Availability.OFFLINE

    assert ticket_services.agent_seen(agent_id=n1_agent.pk)
    profile.refresh_from_db()
    assert profile.availability == AgentProfile.Availability.ONLINE
    assert not ticket_services.agent_seen(agent_id=n1_agent.pk)  # fresh: no write

    ticket_services.agent_set_availability(agent=n1_agent, availability="away")
    AgentProfile.objects.filter(pk=profile.pk).update(last_seen_at=None)
    ticket_services.agent_seen(agent_id=n1_agent.pk)
    profile.refresh_from_db()
    assert profile.availability == AgentProfile.Availability.AWAY
    assert profile.last_seen_at is not None


@pytest.mark.parametrize("value", ["offline", "busy", ""])
def test_an_agent_chooses_only_online_or_away(n1_agent, value):
    with pytest.raises(InvalidChoice):
        ticket_services.agent_set_availability(agent=n1_agent, availability=value)


# --- answer suggestions --------------------------------------------------------------------------


def test_the_bot_suggests_public_articles_only(db):
    ArticleFactory(title="Reembolso de compras", body="Como pedir o reembolso.")
    ArticleFactory(
        title="Reembolso: procedimento interno",
        body="Aprovação do reembolso pelo financeiro.",
        visibility=Article.Visibility.INTERNAL,
    )

    found = registries.suggest_answers(query="reembolso", language="pt-br", limit=5)

    assert [s.title for s in found] == ["Reembolso de compras"]
    assert found[0].url.startswith("/")
    assert "<" not in found[0].snippet


def test_a_failing_answer_source_is_skipped(db):
    def broken(**kwargs):
        raise RuntimeError("search down")

    registries.answer_suggestions.register(
        registries.AnswerSource(name="broken", order=1, suggest=broken)
    )
    try:
        ArticleFactory(title="Reembolso de compras", body="Como pedir o reembolso.")
        found = registries.suggest_answers(query="reembolso", language="pt-br")
    finally:
        registries.answer_suggestions.unregister("broken")

    assert [s.title for s in found] == ["Reembolso de compras"]


def test_business_hours_are_read_in_the_channels_time_zone(chat_channel):
    chat_channel.business_hours = {"mon": [["09:00", "18:00"]]}
    chat_channel.time_zone = "America/Sao_Paulo"
    monday_10_in_sao_paulo = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)
    monday_20_in_sao_paulo = datetime(2026, 12, 7, 23, 0, tzinfo=UTC)

    assert chat_channel.is_open_at(monday_10_in_sao_paulo)
    assert not chat_channel.is_open_at(monday_20_in_sao_paulo)


# --- what a visitor's tab reads ------------------------------------------------------------------


def test_the_catch_up_read_brings_the_chat_with_its_authors_and_files_but_no_internal_note(
    chat_channel, n1_agent
):
    visitor = uuid.uuid4()
    first = receive(chat_channel, "Olá", visitor=visitor)
    ticket = first.ticket
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
    reply = ticket_services.message_reply(
        ticket=ticket, by=n1_agent, body_text="Segue o comprovante",
        attachments=[InboundAttachment(filename="recibo.png", content_type="image/png",
                                       content=png)],
    )  # fmt: skip
    ticket_services.note_add(ticket=ticket, by=n1_agent, body_text="Só para a equipe")
    last = receive(chat_channel, "Obrigado", visitor=visitor)

    messages = selectors.chat_messages_after(ticket_id=ticket.pk, after=0)

    assert [m.pk for m in messages] == [first.pk, reply.pk, last.pk]
    assert [m.body_text for m in messages] == ["Olá", "Segue o comprovante", "Obrigado"]
    assert messages[0].metadata["chat"]["client_id"] == first.metadata["chat"]["client_id"]
    assert messages[0].author_user is None
    assert messages[1].author_user.pk == n1_agent.pk
    assert selectors.agent_display_name(messages[1].author_user) == selectors.agent_display_name(
        n1_agent
    )
    assert [(f.filename, f.size) for f in messages[1].files] == [("recibo.png", len(png))]
    assert messages[0].files == []
    assert messages[2].files == []
    assert messages[1].created_at == reply.created_at
    page = selectors.chat_messages_after(ticket_id=ticket.pk, after=first.pk, limit=1)
    assert [m.pk for m in page] == [reply.pk]
    assert selectors.chat_messages_after(ticket_id=ticket.pk, after=last.pk) == []
