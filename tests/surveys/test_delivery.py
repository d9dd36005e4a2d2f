"""Invitations on the ticket's own channel: email to the loopback SMTP server, WhatsApp to the
fake Graph API inside the 24-hour window (a list whose taps come back as answers) and outside it
(the approved template, else email), SMS as a short link."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from channels_app.models import Mailbox, WhatsAppTemplate
from surveys import services as survey_services
from surveys.models import SurveyInvitation, SurveyResponse, SurveyRule
from tests.channels_app import whatsapp_support as wa
from tests.channels_app.fake_providers import TWILIO_SID, TWILIO_TOKEN, FakeTwilio
from tests.surveys.conftest import solve
from tests.tickets.factories import CustomerIdentityFactory, make_ticket
from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db
I = SurveyInvitation.Status  # noqa: E741


def send_due(ticket, committed):
    invitation = SurveyInvitation.objects.get(ticket=ticket)
    with committed():
        return survey_services.invitation_send(invitation_id=invitation.pk)


def test_email_invitation_has_one_link_per_score_that_opens_the_form(
    smtp_settings, smtp_server, client, ticket, csat, verified_email, n1_agent, committed
):
    Mailbox.objects.create(name="Suporte", address="suporte@jornada.example")
    SurveyRule.objects.update(delay_minutes=0)
    solve(ticket, n1_agent, committed)
    invitation = send_due(ticket, committed)

    assert invitation.status == I.SENT
    [mail] = smtp_server.messages
    assert mail["To"] == "maria@example.com"
    html = next(p for p in mail.walk() if p.get_content_type() == "text/html").get_content()
    links = re.findall(r'href="(http://[^"]+/survey/[^"]+)"', html)
    assert [link.rsplit("=", 1)[1] for link in links] == ["1", "2", "3", "4", "5"]
    path = links[3].split("localhost:8000", 1)[1].replace("&amp;", "&")
    page = client.get(path).content.decode()
    assert 'value="4" checked' in page
    assert not SurveyResponse.objects.exists()  # a scanner's GET records nothing


@pytest.fixture
def conversation(whatsapp, deliver, csat, n1_agent, committed):
    """A WhatsApp ticket the customer opened a minute ago, solved; its survey due now."""
    deliver(wa.text("Meu pedido não chegou", timestamp=timezone.now().timestamp() - 60))
    ticket = Ticket.objects.get()
    SurveyRule.objects.update(delay_minutes=0)
    solve(ticket, n1_agent, committed)
    return ticket


def close_window():
    two_days_ago = timezone.now() - timedelta(days=2)
    Message.objects.filter(direction="inbound").update(created_at=two_days_ago)


def test_inside_the_window_whatsapp_gets_a_list_and_a_tap_answers(
    conversation, whatsapp, deliver, committed
):
    assert not conversation.customer.identities.get(kind="whatsapp").verified  # proven by use
    send_due(conversation, committed)

    [sent] = whatsapp.messages_sent()
    assert sent["type"] == "interactive"
    rows = sent["interactive"]["action"]["sections"][0]["rows"]
    assert [row["title"] for row in rows] == ["1", "2", "3", "4", "5"]

    tap = wa.message(
        "interactive",
        {"type": "list_reply", "list_reply": {"id": rows[4]["id"], "title": "5"}},
    )
    deliver(wa.inbound(tap))

    answer = SurveyResponse.objects.get()
    assert (answer.score, answer.ticket, answer.channel) == (5, conversation, "whatsapp")


def test_a_tap_with_an_altered_row_id_records_nothing(conversation, whatsapp, deliver, committed):
    send_due(conversation, committed)
    row_id = whatsapp.messages_sent()[0]["interactive"]["action"]["sections"][0]["rows"][0]["id"]

    forged = row_id.replace(":1", ":5") if row_id.endswith(":1") else row_id
    forged = forged[: len("survey:") + 3] + "x" + forged[len("survey:") + 4 :]
    deliver(
        wa.inbound(
            wa.message(
                "interactive",
                {"type": "button_reply", "button_reply": {"id": forged, "title": "5"}},
            )
        )
    )

    assert not SurveyResponse.objects.exists()


def test_outside_the_window_whatsapp_gets_the_approved_template(conversation, whatsapp, committed):
    WhatsAppTemplate.objects.create(
        name="pesquisa", language="pt_BR", body="Como foi o atendimento? Responda: {{1}}"
    )
    Message.objects.filter(direction="inbound").update(
        created_at=timezone.now() - timedelta(days=2)
    )
    send_due(conversation, committed)

    [sent] = whatsapp.messages_sent()
    assert sent["type"] == "template"
    assert sent["template"]["name"] == "pesquisa"
    [parameter] = sent["template"]["components"][0]["parameters"]
    assert "/survey/" in parameter["text"]
    assert "/survey/" not in conversation.messages.get(kind="system").body_text


def test_outside_the_window_without_template_it_falls_back_to_verified_email(
    smtp_settings, smtp_server, conversation, whatsapp, committed
):
    CustomerIdentityFactory(
        customer=conversation.customer, value="maria@example.com", verified=True
    )
    Message.objects.filter(direction="inbound").update(
        created_at=timezone.now() - timedelta(days=2)
    )
    invitation = send_due(conversation, committed)

    assert whatsapp.messages_sent() == []
    assert invitation.channel == "email"
    assert [m["To"] for m in smtp_server.messages] == ["maria@example.com"]


def test_outside_the_window_without_template_nor_email_nothing_is_sent(
    conversation, whatsapp, committed
):
    Message.objects.filter(direction="inbound").update(
        created_at=timezone.now() - timedelta(days=2)
    )

    assert send_due(conversation, committed) is None
    assert whatsapp.messages_sent() == []
    assert SurveyInvitation.objects.get().status == I.SKIPPED


def test_sms_gets_a_short_link_that_agents_do_not_see(
    settings, customer, csat, n1_agent, committed, teams
):
    with FakeTwilio() as twilio:
        settings.TWILIO_ACCOUNT_SID = TWILIO_SID
        settings.TWILIO_AUTH_TOKEN = TWILIO_TOKEN
        settings.TWILIO_API_BASE = twilio.base_url
        settings.TWILIO_FROM_NUMBER = "+5511400000000"
        settings.TWILIO_MESSAGING_SERVICE_SID = ""
        CustomerIdentityFactory(
            customer=customer, kind="phone", value="+5511912345678", verified=True
        )
        ticket = make_ticket(customer=customer, team=teams["N1"], channel="sms")
        solve(ticket, n1_agent, committed)
        invitation = send_due(ticket, committed)

        [sent] = [request.form() for request in twilio.sent("/Messages.json")]
    assert invitation.channel == "sms"
    assert "/survey/" in sent["Body"]
    assert len(sent["Body"]) <= 160
    assert sent["To"] == "+5511912345678"
    message = ticket.messages.get(kind="system")
    assert "/survey/" not in message.body_text
    assert "[link]" in message.body_text


def test_an_nps_inside_the_window_gets_a_button_to_the_form(conversation, nps, whatsapp, committed):
    SurveyInvitation.objects.update(survey=nps)
    send_due(conversation, committed)

    [sent] = whatsapp.messages_sent()
    assert sent["interactive"]["type"] == "cta_url"
    assert "/survey/" in sent["interactive"]["action"]["parameters"]["url"]
    assert "/survey/" not in conversation.messages.get(kind="system").body_text


def test_a_tap_forwarded_by_someone_else_records_nothing(
    conversation, whatsapp, deliver, committed
):
    send_due(conversation, committed)
    row = whatsapp.messages_sent()[0]["interactive"]["action"]["sections"][0]["rows"][0]
    reply = {"type": "list_reply", "list_reply": {"id": row["id"], "title": "1"}}

    deliver(wa.inbound(wa.message("interactive", reply, wa_id="5521999998888"), name="Outro"))

    assert not SurveyResponse.objects.exists()


def test_a_ticket_reopened_while_the_cancel_was_lost_is_not_surveyed(
    ticket, csat, verified_email, n1_agent, committed
):
    solve(ticket, n1_agent, committed)
    Ticket.objects.filter(pk=ticket.pk).update(status="open")  # the reopen's task never ran

    assert send_due(ticket, committed) is None
    invitation = SurveyInvitation.objects.get()
    assert (invitation.status, invitation.reason) == (I.CANCELLED, "reopened")
