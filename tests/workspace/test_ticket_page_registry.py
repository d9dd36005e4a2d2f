"""The ticket page shows what other apps register (tickets.registries) and nothing else: side
panels, extras under messages, event texts and reply-box tools; its own templates load no other
app's template tags or templates."""

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.template.backends.django import get_installed_libraries
from django.test.utils import CaptureQueriesContext

from tests.tickets.factories import make_inbound
from tickets import registries, services
from tickets.models import TicketEvent
from tickets.registries import EventText, MessageExtra, ReplyTool, TicketPanel

HERE = Path(__file__).parent
WORKSPACE_TEMPLATES = Path(django_settings.BASE_DIR) / "workspace" / "templates"


def page(ticket) -> str:
    return f"/agent/tickets/{ticket.number}/"


@pytest.fixture(autouse=True)
def registered(monkeypatch, settings):
    """Registrations made by a test are undone after it; its templates are found in ./templates."""
    for registry in (
        registries.ticket_panels,
        registries.message_extras,
        registries.event_texts,
        registries.reply_tools,
    ):
        monkeypatch.setattr(registry, "_entries", dict(registry._entries))
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [*engine["DIRS"], HERE / "templates"]}]


@pytest.fixture
def conversation(teams):
    first = services.message_receive(incoming=make_inbound(body_text="Primeira mensagem"))
    services.message_receive(
        incoming=make_inbound(
            external_id="<second@cliente.example>",
            reply_to_ids=(first.message.external_id,),
            body_text="Segunda mensagem",
        )
    )
    return first.ticket


@pytest.fixture
def agent_client(client, n1_agent):
    client.force_login(n1_agent)
    return client


def answers_panel(name: str = "survey-answers", order: int = 50) -> TicketPanel:
    return TicketPanel(
        name=name,
        order=order,
        template_name="registry_test/_panel.html",
        context=lambda ticket, agent: {"viewer": agent.get_username()},
    )


def test_a_registered_panel_shows_with_the_ticket_and_the_acting_agent(agent_client, conversation):
    registries.ticket_panels.register(answers_panel())

    body = agent_client.get(page(conversation)).content.decode()

    assert f"Answers of {conversation.number} for n1" in body


def test_a_panel_nobody_registered_is_not_shown(agent_client, conversation):
    registries.ticket_panels.unregister("sla-clocks")  # its template is still installed

    body = agent_client.get(page(conversation), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'id="sla-clocks"' not in body
    assert "No SLA policy applies" not in body
    assert 'id="test-panel"' not in body


def test_installed_apps_fill_in_their_panels(agent_client, conversation):
    body = agent_client.get(page(conversation), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'id="sla-clocks"' in body
    assert [panel.name for panel in registries.ticket_panels] == [
        "live-chat",
        "whatsapp-window",
        "sla-clocks",
        "note-by-email",
    ]


def test_panels_are_shown_in_their_order(agent_client, conversation):
    registries.ticket_panels.register(answers_panel(order=1))

    body = agent_client.get(page(conversation)).content.decode()

    assert body.index('id="test-panel"') < body.index('id="sla-clocks"')


def test_a_panel_without_context_shows_nothing(agent_client, conversation):
    registries.ticket_panels.register(
        TicketPanel(
            name="nothing-here",
            order=1,
            template_name="registry_test/_panel.html",
            context=lambda ticket, agent: None,
        )
    )

    body = agent_client.get(page(conversation)).content.decode()

    assert 'id="test-panel"' not in body


def test_registered_extras_show_under_every_message(agent_client, conversation):
    registries.message_extras.register(
        MessageExtra(name="test", order=1, template_name="registry_test/_message_extra.html")
    )

    body = agent_client.get(page(conversation)).content.decode()

    for message in conversation.messages.all():
        assert f"Extra of message {message.pk}" in body


def test_a_registered_event_text_is_what_the_timeline_says(agent_client, conversation, n1_agent):
    services.ticket_change_priority(ticket=conversation, priority="urgent", by=n1_agent)
    registries.event_texts.register(
        EventText(
            kind=TicketEvent.Kind.PRIORITY_CHANGED,
            text=lambda event: f"agora {event.after}, antes {event.before}",
        )
    )

    body = agent_client.get(page(conversation), HTTP_ACCEPT_LANGUAGE="pt-BR").content.decode()

    assert "agora urgent, antes normal" in body
    assert "Normal → Urgente" not in body


def test_sla_owns_the_text_of_its_timeline_entries():
    assert registries.event_texts.get(TicketEvent.Kind.SLA_WARNING) is not None
    assert registries.event_texts.get(TicketEvent.Kind.SLA_BREACHED) is not None


def test_the_reply_box_offers_the_registered_tools(agent_client, conversation):
    registries.reply_tools.register(
        ReplyTool(
            name="demo",
            order=99,
            label="Demo tool",
            search_label="Search the demo",
            url_name="canned-picker",
        )
    )

    body = agent_client.get(page(conversation)).content.decode()

    assert f'hx-get="/agent/tickets/{conversation.number}/kb/"' in body  # the knowledge base's
    assert 'id="reply-demo-search"' in body
    assert "Search the demo" in body
    assert body.index('id="reply-kb-search"') < body.index('id="reply-demo-search"')


def test_an_unregistered_reply_tool_is_not_offered(agent_client, conversation):
    registries.reply_tools.unregister("kb")

    body = agent_client.get(page(conversation)).content.decode()

    assert f"/agent/tickets/{conversation.number}/kb/" not in body
    assert 'id="reply-kb-search"' not in body
    assert 'id="reply-canned-search"' in body  # the workspace's own picker stays


def test_panels_and_extras_cost_no_query_of_their_own(
    agent_client, conversation, django_assert_num_queries
):
    agent_client.get(page(conversation))  # warm up session and caches
    with CaptureQueriesContext(connection) as before:
        agent_client.get(page(conversation))
    registries.ticket_panels.register(answers_panel())
    registries.message_extras.register(
        MessageExtra(name="test", order=1, template_name="registry_test/_message_extra.html")
    )

    with django_assert_num_queries(len(before.captured_queries)):
        agent_client.get(page(conversation))


LOAD = re.compile(r"{%\s*load\s+([^%]+?)\s*%}")
INCLUDE = re.compile(r"{%\s*(?:include|extends)\s+[\"']([^\"']+)[\"']")


def test_the_workspace_templates_use_no_other_apps_tags_or_templates():
    libraries = get_installed_libraries()
    project_templates = Path(django_settings.BASE_DIR) / "templates"
    for path in WORKSPACE_TEMPLATES.rglob("*.html"):
        source = path.read_text()
        for names in LOAD.findall(source):
            for name in names.split():
                module = libraries.get(name, "")
                assert module.startswith(("django.", "workspace.")), (path.name, name, module)
        for name in INCLUDE.findall(source):
            assert name.startswith("workspace/") or (project_templates / name).exists(), (
                path.name,
                name,
            )
