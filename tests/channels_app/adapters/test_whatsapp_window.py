"""What the agent sees of WhatsApp's 24-hour window on the ticket page (its registered panel
and its selector), and sending a template from there (POST /channels/whatsapp/tickets/<n>/
template/): agents only, scoped to the tickets they may see."""

from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import timezone, translation

from channels_app import selectors
from channels_app.models import WhatsAppTemplate
from channels_app.panels import WHATSAPP_PANEL
from tests.channels_app import whatsapp_support as wa
from tests.tickets.factories import AgentFactory, UserFactory, make_ticket
from tickets.models import Message, Ticket, Tier


@pytest.fixture
def conversation(n1_agent, whatsapp, deliver) -> Ticket:
    deliver(wa.text("Oi", timestamp=timezone.now().timestamp() - 60))
    return Ticket.objects.get()


@pytest.fixture
def template(db) -> WhatsAppTemplate:
    return WhatsAppTemplate.objects.create(
        name="retomar_atendimento", language="pt_BR", body="Olá {{1}}, podemos continuar?"
    )


def last_written(ticket: Ticket, *, ago: timedelta) -> None:
    ticket.messages.filter(direction="inbound").update(created_at=timezone.now() - ago)


def render_box(ticket: Ticket, user) -> str:
    """The WhatsApp panel as the ticket page shows it (nothing when the panel has no context)."""
    with translation.override("en"):
        context = WHATSAPP_PANEL.context(ticket, user)
        if context is None:
            return ""
        html = render_to_string(WHATSAPP_PANEL.template_name, {**context, "csrf_token": "tok"})
    return " ".join(html.split())


def test_the_window_of_a_fresh_conversation_is_open_for_nearly_a_day(conversation):
    last_written(conversation, ago=timedelta(hours=20, minutes=47, seconds=30))

    window = selectors.whatsapp_window_for_ticket(conversation)

    assert window.open
    assert (window.hours, window.minutes) == (3, 12)


def test_the_window_is_closed_a_day_after_the_customer_wrote(conversation):
    last_written(conversation, ago=timedelta(hours=25))

    window = selectors.whatsapp_window_for_ticket(conversation)

    assert not window.open
    assert window.remaining == timedelta(0)
    assert window.closes_at < timezone.now()


def test_a_ticket_that_never_saw_whatsapp_has_no_window(ticket):
    assert selectors.whatsapp_window_for_ticket(ticket) is None


def test_the_box_says_how_long_the_window_stays_open(conversation, n1_agent):
    last_written(conversation, ago=timedelta(hours=20, minutes=47, seconds=30))

    html = render_box(conversation, n1_agent)

    assert "WhatsApp window open for 3 h 12 min" in html


def test_the_box_says_when_only_templates_can_be_sent_and_offers_them(
    conversation, n1_agent, template
):
    last_written(conversation, ago=timedelta(days=2))

    html = render_box(conversation, n1_agent)

    assert "WhatsApp window closed: only templates can be sent." in html
    assert f'action="/channels/whatsapp/tickets/{conversation.number}/template/"' in html
    assert f'name="template" value="{template.pk}"' in html
    assert html.count('name="params"') == 1
    assert 'value="tok"' in html


def test_the_box_tells_when_no_template_is_configured(conversation, n1_agent):
    last_written(conversation, ago=timedelta(days=2))

    assert "No approved template is configured" in render_box(conversation, n1_agent)


def test_the_box_is_empty_on_a_ticket_without_whatsapp(ticket, n1_agent):
    assert render_box(ticket, n1_agent) == ""


def test_the_box_costs_a_bounded_number_of_queries(
    conversation, n1_agent, template, django_assert_max_num_queries
):
    with django_assert_max_num_queries(3):
        render_box(conversation, n1_agent)


def template_url(ticket: Ticket) -> str:
    return f"/channels/whatsapp/tickets/{ticket.number}/template/"


def send_template(client, ticket, template, params, capture):
    with capture(execute=True):
        return client.post(
            template_url(ticket), {"template": template.pk, "params": params}, follow=True
        )


def test_an_agent_sends_a_template_from_the_ticket_page(
    conversation, n1_agent, template, client, whatsapp, django_capture_on_commit_callbacks
):
    last_written(conversation, ago=timedelta(days=2))
    client.force_login(n1_agent)

    response = send_template(
        client, conversation, template, ["Maria"], django_capture_on_commit_callbacks
    )

    assert response.redirect_chain[-1][0] == f"/agent/tickets/{conversation.number}/"
    message = Message.objects.get(direction="outbound")
    assert message.body_text == "Olá Maria, podemos continuar?"
    assert message.author_user == n1_agent
    assert message.delivery_status == Message.DeliveryStatus.SENT
    assert whatsapp.messages_sent()[0]["template"]["name"] == "retomar_atendimento"
    assert "queued for WhatsApp" in response.content.decode()


def test_wrong_parameters_are_explained_and_nothing_is_sent(
    conversation, n1_agent, template, client, whatsapp, django_capture_on_commit_callbacks
):
    client.force_login(n1_agent)

    response = send_template(
        client, conversation, template, ["Maria", "sobra"], django_capture_on_commit_callbacks
    )

    assert "needs 1 parameter(s)" in response.content.decode()
    assert not Message.objects.filter(direction="outbound").exists()
    assert not whatsapp.requests


def test_an_agent_who_cannot_see_the_ticket_gets_404(conversation, template, client, teams):
    outsider = AgentFactory(user__username="n2x", tier=Tier.N2, teams=[teams[Tier.N2]]).user
    client.force_login(outsider)

    response = client.post(template_url(conversation), {"template": template.pk, "params": "x"})

    assert response.status_code == 404
    assert not Message.objects.filter(direction="outbound").exists()


def test_someone_who_is_not_an_agent_is_forbidden(conversation, template, client):
    client.force_login(UserFactory(username="cliente"))

    response = client.post(template_url(conversation), {"template": template.pk, "params": "x"})

    assert response.status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(conversation, template, client):
    response = client.post(template_url(conversation), {"template": template.pk, "params": "x"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_unknown_or_inactive_template_is_not_found(conversation, n1_agent, template, client):
    client.force_login(n1_agent)
    template.is_active = False
    template.save()

    for value in (template.pk, "999", "x"):
        response = client.post(template_url(conversation), {"template": value, "params": "x"})
        assert response.status_code == 404


def test_the_template_view_answers_only_post(conversation, n1_agent, client):
    client.force_login(n1_agent)

    assert client.get(template_url(conversation)).status_code == 405


def test_templates_offered_are_the_active_ones(db):
    WhatsAppTemplate.objects.create(name="b_ativo", body="x")
    WhatsAppTemplate.objects.create(name="a_inativo", body="x", is_active=False)

    assert [t.name for t in selectors.whatsapp_templates()] == ["b_ativo"]


def test_a_ticket_page_of_another_channel_is_unaffected(db, n1_agent):
    assert selectors.whatsapp_window_for_ticket(make_ticket(channel="email")) is None


def test_the_ticket_page_shows_the_window_and_the_templates(
    conversation, n1_agent, template, client
):
    last_written(conversation, ago=timedelta(days=2))
    client.force_login(n1_agent)

    with translation.override("en"):
        page = client.get(f"/agent/tickets/{conversation.number}/", HTTP_ACCEPT_LANGUAGE="en")

    body = page.content.decode()
    assert "WhatsApp window closed: only templates can be sent." in body
    assert f'action="{template_url(conversation)}"' in body
    assert "retomar_atendimento" in body
