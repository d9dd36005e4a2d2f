"""The page an invitation link opens: signed, expiring, tamper-proof; GET never records; the
last answer before the deadline counts; where the answer shows; the follow-up of a bad one."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from surveys.models import SurveyFollowUp, SurveyInvitation, SurveyResponse
from surveys.tokens import invitation_token
from tickets import events
from tickets.models import AgentNotification, Ticket

pytestmark = pytest.mark.django_db


def link(invitation, **query):
    url = reverse("survey-answer", args=[invitation_token(invitation.pk)])
    return url + (f"?score={query['score']}" if query else "")


def test_the_clicked_score_is_chosen_and_nothing_is_recorded_by_a_get(
    client, csat, sent_invitation
):
    invitation = sent_invitation(csat)

    page = client.get(link(invitation, score=4)).content.decode()

    assert 'value="4" checked' in page
    assert invitation.ticket.subject in page
    assert "maria@example.com" not in page  # nothing about the ticket but its subject
    assert not SurveyResponse.objects.exists()
    assert SurveyInvitation.objects.get().status == "sent"


def test_a_post_records_the_answer_on_the_timeline_panel_and_as_an_event(
    client, csat, sent_invitation, committed, n1_agent
):
    invitation = sent_invitation(csat)
    published = []
    events.subscribe(events.SurveyResponded)(published.append)
    try:
        with committed():
            response = client.post(link(invitation), {"score": "5", "comment": "Foi rápido"})
    finally:
        events._each[events.SurveyResponded].remove(published.append)

    assert response.status_code == 302
    answer = SurveyResponse.objects.get()
    assert (answer.score, answer.comment, answer.kind) == (5, "Foi rápido", "csat")
    assert (answer.ticket, answer.agent, answer.team_id) == (
        invitation.ticket,
        n1_agent,
        invitation.ticket.team_id,
    )
    assert (answer.tier, answer.channel, answer.segment) == ("N1", "email", "new")
    event = invitation.ticket.events.get(kind="survey_answered")
    assert (event.after, event.data["comment"]) == (5, "Foi rápido")
    [payload] = [e.payload() for e in published]
    assert payload["event"] == "survey.responded"
    assert (payload["score"], payload["survey_kind"], payload["changed"]) == (5, "csat", False)
    assert "Obrigado pela sua resposta" in client.get(response["Location"]).content.decode()


def test_the_last_answer_before_the_deadline_counts_and_stays_one(client, csat, sent_invitation):
    invitation = sent_invitation(csat)
    client.post(link(invitation), {"score": "2"})
    client.post(link(invitation), {"score": "4", "comment": "Pensando bem, bom"})
    client.post(link(invitation), {"score": "4", "comment": "Pensando bem, bom"})

    answer = SurveyResponse.objects.get()
    assert (answer.score, answer.comment) == (4, "Pensando bem, bom")


def test_an_altered_or_forged_token_is_not_found(client, csat, sent_invitation):
    invitation = sent_invitation(csat)
    token = invitation_token(invitation.pk)
    other = invitation_token(invitation.pk + 1)

    assert client.get(reverse("survey-answer", args=[token[:-2] + "xx"])).status_code == 404
    assert client.get(reverse("survey-answer", args=["forged"])).status_code == 404
    assert client.get(reverse("survey-answer", args=[other])).status_code == 404  # none such
    assert (
        client.post(reverse("survey-answer", args=[token + "a"]), {"score": 1}).status_code == 404
    )
    assert not SurveyResponse.objects.exists()


def test_an_expired_invitation_refuses_answers(client, csat, sent_invitation):
    invitation = sent_invitation(csat)
    SurveyInvitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

    page = client.post(link(invitation), {"score": "5"})

    assert page.status_code == 400
    assert not SurveyResponse.objects.exists()
    assert "Esta pesquisa está encerrada" in client.get(link(invitation)).content.decode()


def test_a_score_off_the_scale_is_refused(client, csat, sent_invitation):
    invitation = sent_invitation(csat)

    assert client.post(link(invitation), {"score": "9"}).status_code == 400
    assert not SurveyResponse.objects.exists()


def test_a_low_csat_notes_the_ticket_and_notifies_the_team_leads(
    client, csat, sent_invitation, n2_agent, teams
):
    invitation = sent_invitation(csat)
    lead = invitation.ticket.team.leads.create(
        user=n2_agent.__class__.objects.create(username="lider")
    )
    client.post(link(invitation), {"score": "1", "comment": "Demorou demais"})
    client.post(link(invitation), {"score": "2"})  # a second bad answer: still one follow-up

    follow_up = SurveyFollowUp.objects.get()
    assert (follow_up.kind, follow_up.status, follow_up.follow_up_ticket) == ("note", "open", None)
    note = invitation.ticket.messages.get(kind="internal_note")
    assert "Demorou demais" in note.body_text
    notification = AgentNotification.objects.get()
    assert (notification.recipient, notification.kind) == (lead.user, "survey_followup")


def test_a_detractor_opens_a_follow_up_ticket_when_the_survey_says_so(
    client, nps, sent_invitation, committed
):
    invitation = sent_invitation(nps)
    with committed():
        client.post(link(invitation, score=3), {"score": "3", "comment": "Não resolveram"})

    follow_up = SurveyFollowUp.objects.get()
    assert follow_up.kind == "ticket"
    new = follow_up.follow_up_ticket
    assert new.customer == invitation.ticket.customer
    assert new != invitation.ticket
    assert "Não resolveram" in new.messages.get(kind="internal_note").body_text
    assert Ticket.objects.count() == 2


def test_a_promoter_raises_no_follow_up(client, nps, sent_invitation):
    invitation = sent_invitation(nps)
    client.post(link(invitation), {"score": "9"})

    assert not SurveyFollowUp.objects.exists()


def test_the_agent_sees_the_answer_on_the_timeline_and_in_the_customer_panel(
    client, csat, sent_invitation, n1_agent
):
    invitation = sent_invitation(csat)
    client.post(link(invitation), {"score": "4", "comment": "Atendente muito educada"})

    client.force_login(n1_agent)
    page = client.get(reverse("ticket-detail", args=[invitation.ticket.number]))
    html = " ".join(page.content.decode().split())

    assert "Atendente muito educada" in html
    assert "/survey/" not in html  # the customer's link, which would let an agent answer
    assert "answer: 4" in html or "Resposta CSAT (1-5): 4" in html
    panel = html.split('class="ratings"', 1)[1].split("</ul>", 1)[0]
    assert f"#{invitation.ticket.number}: 4 · “Atendente muito educada”" in panel


def test_a_changed_answer_shows_once_in_the_customer_panel(client, csat, sent_invitation, n1_agent):
    invitation = sent_invitation(csat)
    client.post(link(invitation), {"score": "2", "comment": "Primeira impressão"})
    client.post(link(invitation), {"score": "5", "comment": "Resolveram depois"})

    client.force_login(n1_agent)
    html = client.get(reverse("ticket-detail", args=[invitation.ticket.number])).content.decode()
    panel = " ".join(html.split()).split('class="ratings"', 1)[1].split("</ul>", 1)[0]

    assert f"#{invitation.ticket.number}: 5 · “Resolveram depois”" in panel
    assert "Primeira impressão" not in panel
