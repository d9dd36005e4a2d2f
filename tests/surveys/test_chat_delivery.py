"""The chat widget as a survey channel: a chat that ends offers its survey inside the widget
(the tab open hears it, a tab opened later reads it from the database), the widget's form
answers with the invitation's own token and the one-response rule, the fatigue rule and the
verified-identity rule hold, and a survey no tab showed goes to a verified email.

Transactional: the consumer's database work runs in other threads, the rings after commit."""

import json
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from channels_app import services as channel_services
from channels_app.models import ChatSession
from surveys import tasks as survey_tasks
from surveys.models import Survey, SurveyInvitation, SurveyKind, SurveyResponse, SurveyRule
from surveys.tokens import invitation_id_from, invitation_token
from tests.channels_app.chat_support import (
    db_call,
    drain,
    next_of,
    run,
    say,
    visitor,
)
from tests.tickets.factories import CustomerIdentityFactory
from tickets.models import Message, Ticket, TicketEvent

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("chat_stack")]
I = SurveyInvitation.Status  # noqa: E741


@pytest.fixture
def chat_csat(transactional_db):
    survey = Survey.objects.create(
        name="CSAT do chat",
        kind=SurveyKind.CSAT,
        question_en="How satisfied were you with our chat?",
        question_pt_br="Quão satisfeito você ficou com o chat?",
        comment_prompt_pt_br="Quer contar mais?",
    )
    SurveyRule.objects.create(survey=survey, channel="chat", delay_minutes=60)
    return survey


def _session(message_id: int) -> ChatSession:
    return ChatSession.objects.select_related("ticket").get(ticket__messages__pk=message_id)


def _end(session: ChatSession) -> None:
    channel_services.chat_end(session=session)


def _invitation(ticket_id: int) -> SurveyInvitation:
    return SurveyInvitation.objects.get(ticket_id=ticket_id)


def _answer(client, url, **data):
    return client.post(url, json.dumps(data), content_type="application/json")


def test_an_ended_chat_offers_its_survey_in_the_open_tab(chat_channel, chat_csat, client):
    async def scenario():
        socket_, _ = await visitor(chat_channel)
        asked = await say(socket_, "Meu pedido chegou, obrigado")
        session = await db_call(_session)(asked["id"])
        await socket_.send_json_to({"type": "end"})

        survey = await next_of(socket_, "survey", timeout=5)
        await socket_.disconnect()
        return session, survey

    session, survey = run_and_return(scenario)

    invitation = _invitation(session.ticket_id)
    assert (invitation.status, invitation.channel, invitation.trigger) == (
        I.SENT,
        "chat",
        "chat_ended",
    )
    assert invitation.identity.kind == "chat_visitor"
    assert invitation.identity.value == str(session.visitor)
    assert invitation.shown_at is not None
    answer_url = survey.pop("answer_url")
    assert survey == {
        "type": "survey", "id": invitation.pk, "kind": "csat",
        "question": "Quão satisfeito você ficou com o chat?", "comment_prompt": "Quer contar mais?",
        "scores": [1, 2, 3, 4, 5], "low": "Muito insatisfeito", "high": "Muito satisfeito",
    }  # fmt: skip
    token = answer_url.removeprefix("/survey/").removesuffix("/answer/")
    assert invitation_id_from(token) == invitation.pk  # the invitation's own signed link
    assert TicketEvent.objects.filter(ticket_id=session.ticket_id, kind="survey_sent").exists()
    # The ticket stays the agents' to solve; the survey does not wait for it.
    assert Ticket.objects.get(pk=session.ticket_id).status != Ticket.Status.SOLVED

    answered = _answer(client, answer_url, score=5, comment="Rápido e gentil")

    assert answered.status_code == 200
    assert answered.json() == {"ok": True, "score": 5}
    response = SurveyResponse.objects.get(invitation=invitation)
    assert (response.score, response.comment, response.channel) == (5, "Rápido e gentil", "chat")


def run_and_return(scenario):
    box = []

    async def wrapper():
        box.append(await scenario())

    run(wrapper)
    return box[0]


def test_a_visitor_who_closed_the_tab_sees_the_survey_when_they_come_back(chat_channel, chat_csat):
    async def scenario():
        socket_, welcome = await visitor(chat_channel)
        asked = await say(socket_, "Tudo certo")
        await socket_.disconnect()  # the tab is closed
        session = await db_call(_session)(asked["id"])
        await db_call(_end)(session)
        invitation = await db_call(_invitation)(session.ticket_id)
        assert invitation.status == I.SENT
        assert invitation.shown_at is None

        again, back = await visitor(chat_channel, token=welcome["token"], after=asked["id"])
        survey = await next_of(again, "survey")
        await again.disconnect()
        return back, survey, invitation

    back, survey, invitation = run_and_return(scenario)

    assert back["session"]["state"] == "ended"
    assert survey["id"] == invitation.pk
    invitation.refresh_from_db()
    assert invitation.shown_at is not None  # so no fallback email


def test_the_widgets_answer_follows_the_links_rules(chat_channel, chat_csat, client):
    async def scenario():
        socket_, _ = await visitor(chat_channel)
        asked = await say(socket_, "Resolvido")
        await socket_.disconnect()
        return await db_call(_session)(asked["id"])

    session = run_and_return(scenario)
    _end(session)
    invitation = _invitation(session.ticket_id)
    url = reverse("survey-answer-json", args=[invitation_token(invitation.pk)])

    assert _answer(client, url, score=9).status_code == 400  # off the CSAT scale
    assert _answer(client, url, score=2).status_code == 200
    assert _answer(client, url, score=4, comment="Pensando melhor").status_code == 200
    forged = reverse("survey-answer-json", args=[invitation_token(invitation.pk) + "x"])
    assert _answer(client, forged, score=1).status_code == 404
    assert client.get(url).status_code == 405

    response = SurveyResponse.objects.get(invitation=invitation)  # one response: the last counts
    assert (response.score, response.comment) == (4, "Pensando melhor")
    SurveyInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    closed = _answer(client, url, score=5)
    assert closed.status_code == 410
    assert closed.json()["error"]["code"] == "survey_closed"
    assert SurveyResponse.objects.get(invitation=invitation).score == 4


def test_a_customer_surveyed_lately_gets_no_survey_in_the_chat(chat_channel, chat_csat):
    async def scenario():
        socket_, welcome = await visitor(chat_channel)
        first = await say(socket_, "Primeira conversa")
        session = await db_call(_session)(first["id"])
        await db_call(_end)(session)
        await next_of(socket_, "survey", timeout=5)
        await socket_.disconnect()
        # A second chat of the same visitor, past the time a message reopens the first one.
        await db_call(lambda: Ticket.objects.filter(pk=session.ticket_id).update(status="closed"))()
        again, _ = await visitor(chat_channel, token=welcome["token"], after=first["id"])
        second = await say(again, "Outra dúvida")
        other = await db_call(_session)(second["id"])
        await again.send_json_to({"type": "end"})
        await next_of(again, "state", state="ended")
        frames = await drain(again, quiet=0.5)
        await again.disconnect()
        return session, other, frames

    first, second, frames = run_and_return(scenario)

    assert second.ticket_id != first.ticket_id
    skipped = _invitation(second.ticket_id)
    assert (skipped.status, skipped.reason) == (I.SKIPPED, "fatigue")
    assert [f for f in frames if f["type"] == "survey"] == []


def test_a_chat_ticket_solved_later_gets_no_second_survey(chat_channel, chat_csat, n1_agent):
    async def scenario():
        socket_, _ = await visitor(chat_channel)
        asked = await say(socket_, "Obrigado")
        await socket_.disconnect()
        return await db_call(_session)(asked["id"])

    session = run_and_return(scenario)
    from tickets import services as ticket_services

    ticket_services.ticket_change_status(ticket=session.ticket, to_status="solved", by=n1_agent)

    session.refresh_from_db()
    assert session.state == ChatSession.State.ENDED
    invitation = _invitation(session.ticket_id)  # one, from the chat's end
    assert (invitation.trigger, invitation.status, invitation.channel) == (
        "chat_ended",
        I.SENT,
        "chat",
    )


def test_a_survey_no_tab_showed_goes_to_a_verified_email(chat_channel, chat_csat):
    async def scenario():
        socket_, _ = await visitor(chat_channel)
        asked = await say(socket_, "Valeu")
        await socket_.disconnect()
        return await db_call(_session)(asked["id"])

    session = run_and_return(scenario)
    _end(session)
    invitation = _invitation(session.ticket_id)
    CustomerIdentityFactory(
        customer=session.ticket.customer, value="visitante@example.com", verified=True
    )

    assert survey_tasks.chat_invitations_fallback.delay().get() == 0  # not yet: 30 minutes
    SurveyInvitation.objects.filter(pk=invitation.pk).update(
        sent_at=timezone.now() - timedelta(minutes=31)
    )
    assert survey_tasks.chat_invitations_fallback.delay().get() == 1
    assert survey_tasks.chat_invitations_fallback.delay().get() == 0  # once

    invitation.refresh_from_db()
    assert (invitation.channel, invitation.identity.value) == ("email", "visitante@example.com")
    assert [m.to for m in mail.outbox] == [["visitante@example.com"]]
    # The token is signed with a timestamp, so it is read back from the mail, not recomputed.
    tokens = set(re.findall(r"/survey/([^/?\s]+)/", mail.outbox[0].body))
    assert tokens
    assert {invitation_id_from(token) for token in tokens} == {invitation.pk}


def test_an_unverified_email_typed_in_the_chat_never_gets_the_fallback(chat_channel, chat_csat):
    async def scenario():
        socket_, _ = await visitor(chat_channel)
        asked = await say(socket_, "Valeu")
        await socket_.send_json_to({"type": "contact", "name": "Ana", "email": "ana@example.com"})
        await next_of(socket_, "contact")
        await socket_.disconnect()
        return await db_call(_session)(asked["id"])

    session = run_and_return(scenario)
    _end(session)
    mail.outbox.clear()  # the verification link
    SurveyInvitation.objects.filter(ticket_id=session.ticket_id).update(
        sent_at=timezone.now() - timedelta(hours=2)
    )

    assert survey_tasks.chat_invitations_fallback.delay().get() == 0

    invitation = _invitation(session.ticket_id)
    assert (invitation.channel, invitation.status) == ("chat", I.SENT)  # still in the widget
    assert mail.outbox == []
    assert not Message.objects.filter(ticket_id=session.ticket_id, metadata__has_key="survey")
