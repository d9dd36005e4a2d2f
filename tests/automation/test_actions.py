"""Each action a rule can take, and what the timeline says of it."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from automation.engine import Work, process
from automation.models import TeamRouting
from tests.automation.conftest import created, online_agent, rule, ticket_in
from tests.tickets.factories import AgentFactory, CustomerFactory, TeamFactory, make_inbound
from tickets import events, registries, services
from tickets.models import (
    AgentNotification,
    AgentProfile,
    CannedResponse,
    Channel,
    Message,
    Ticket,
    TicketEvent,
    Tier,
)


def run_events(ticket):
    return list(ticket.events.filter(kind=TicketEvent.Kind.RULE_RAN))


def test_set_priority_is_on_the_timeline_with_the_rule_name(team):
    ticket = ticket_in(team)
    rule("Urgent VIP", actions=[{"type": "set_priority", "priority": "urgent"}])

    created(ticket)

    ticket.refresh_from_db()
    assert ticket.priority == "urgent"
    [event] = run_events(ticket)
    assert registries.event_text(event) == "Rule 'Urgent VIP' set priority to urgent"


def test_set_status(team):
    ticket = ticket_in(team, status="open")
    rule(actions=[{"type": "set_status", "status": "pending"}])
    created(ticket)
    ticket.refresh_from_db()
    assert ticket.status == "pending"


def test_set_team_of_the_same_tier(team):
    other = TeamFactory(name="Financeiro", tier=Tier.N1)
    ticket = ticket_in(team)
    rule(actions=[{"type": "set_team", "team": "Financeiro"}])
    created(ticket)
    ticket.refresh_from_db()
    assert ticket.team == other
    assert ticket.events.filter(kind=TicketEvent.Kind.TEAM_CHANGED).exists()


def test_escalate_carries_its_reason(team, n2_team):
    ticket = ticket_in(team)
    rule(actions=[{"type": "escalate", "tier": "N2", "reason": "VIP urgente"}])
    created(ticket)
    ticket.refresh_from_db()
    assert (ticket.tier, ticket.team) == ("N2", n2_team)
    assert ticket.events.get(kind=TicketEvent.Kind.ESCALATED).reason == "VIP urgente"


def test_set_team_of_a_higher_tier_escalates_with_the_rule_name_as_reason(team, n2_team):
    ticket = ticket_in(team)
    rule("To N2", actions=[{"type": "set_team", "team": n2_team.name}])
    created(ticket)
    ticket.refresh_from_db()
    assert ticket.team == n2_team
    assert ticket.events.get(kind=TicketEvent.Kind.ESCALATED).reason == "To N2"


def test_assign_to_a_named_agent(team):
    agent = AgentFactory(user__username="ana", teams=[team]).user
    ticket = ticket_in(team)
    rule(actions=[{"type": "assign", "to": "ana"}])
    created(ticket)
    ticket.refresh_from_db()
    assert ticket.assignee == agent


def test_assign_auto_follows_the_team_policy(team):
    agent = online_agent(team, username="ana")
    TeamRouting.objects.filter(team=team).update(policy=TeamRouting.Policy.ROUND_ROBIN)
    ticket = ticket_in(team)
    rule(events=["updated"], actions=[{"type": "assign", "to": "auto"}])
    created(ticket, "updated")
    ticket.refresh_from_db()
    assert ticket.assignee == agent


def test_add_and_remove_tags(team):
    ticket = ticket_in(team)
    services.ticket_tag(ticket=ticket, by=None, add=["old"])
    rule(
        actions=[
            {"type": "add_tags", "tags": ["Nota Fiscal"]},
            {"type": "remove_tags", "tags": "old"},
        ]
    )
    created(ticket)
    assert set(ticket.tags.values_list("name", flat=True)) == {"nota-fiscal"}


def test_internal_note_has_no_author_and_reaches_no_customer(team):
    ticket = ticket_in(team)
    rule("Nota", actions=[{"type": "note", "text": "Cliente VIP: cuidado."}])
    created(ticket)
    note = ticket.messages.get(kind=Message.Kind.INTERNAL_NOTE)
    assert note.body_text == "Cliente VIP: cuidado."
    assert note.author_user is None
    assert note.metadata["rule_name"] == "Nota"


def test_reply_from_a_canned_response_on_the_tickets_channel(team):
    CannedResponse.objects.create(
        title="Ack", body="Olá {customer_first_name}, chamado #{ticket_number}."
    )
    ticket = ticket_in(team, customer=CustomerFactory(name="Maria Souza"), channel=Channel.SMS)
    rule(actions=[{"type": "reply", "canned": "Ack"}])
    created(ticket)
    reply = ticket.messages.get(direction=Message.Direction.OUTBOUND)
    assert reply.body_text == f"Olá Maria, chamado #{ticket.number}."
    assert reply.channel == Channel.SMS
    assert reply.kind == Message.Kind.SYSTEM
    ticket.refresh_from_db()
    assert ticket.first_response_at is None  # not an agent's answer


def test_reply_on_whatsapp_only_within_the_window(team):
    CannedResponse.objects.create(title="Ack", body="Recebemos.")
    rule(actions=[{"type": "reply", "canned": "Ack"}])
    closed = ticket_in(team, channel=Channel.WHATSAPP)  # the customer never wrote: no window
    created(closed)
    assert not closed.messages.filter(direction=Message.Direction.OUTBOUND).exists()

    result = services.message_receive(
        incoming=make_inbound(channel=Channel.WHATSAPP, sender_value="+5511999990000")
    )
    created(result.ticket)
    assert result.ticket.messages.filter(direction=Message.Direction.OUTBOUND).count() == 1


@pytest.mark.parametrize("to", ["team_leads", "dispatchers", "ana"])
def test_notify_agents(team, to):
    ana = AgentFactory(user__username="ana", teams=[team], n1_role=AgentProfile.N1Role.DISPATCHER)
    team.leads.add(ana)
    ticket = ticket_in(team)
    rule(actions=[{"type": "notify", "to": to}])
    created(ticket)
    assert AgentNotification.objects.filter(
        recipient=ana.user, ticket=ticket, kind=AgentNotification.Kind.RULE
    ).exists()


def test_custom_event_is_published_for_webhooks(team, django_capture_on_commit_callbacks):
    seen = []
    events.subscribe(events.CustomEvent)(seen.append)
    try:
        ticket = ticket_in(team)
        rule("Custom", actions=[{"type": "event", "key": "vip.arrived"}])
        with django_capture_on_commit_callbacks(execute=True):
            created(ticket)
    finally:
        events.unsubscribe(seen.append)
    assert [(e.ticket_id, e.key, e.rule_name) for e in seen] == [
        (ticket.pk, "vip.arrived", "Custom")
    ]
    assert seen[0].payload()["event"] == "automation.custom"


class _Hook(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_webhook_posts_the_ticket_to_a_chat_incoming_webhook(
    team, settings, django_capture_on_commit_callbacks
):
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/hooks/abc"
    settings.JORNADA = {
        **settings.JORNADA,
        "AUTOMATION_WEBHOOK_TRUSTED_ORIGINS": [f"http://127.0.0.1:{server.server_port}"],
    }
    _Hook.received = []
    try:
        ticket = ticket_in(team, subject="Sistema fora do ar")
        rule("Alerta", actions=[{"type": "webhook", "url": url, "text": "Atenção"}])
        with django_capture_on_commit_callbacks(execute=True):
            created(ticket)
    finally:
        server.shutdown()
    [payload] = _Hook.received
    assert payload["text"].startswith("Atenção\n")
    assert f"#{ticket.number}" in payload["text"]
    assert "Sistema fora do ar" in payload["text"]


def test_webhook_to_a_private_address_is_refused(team, django_capture_on_commit_callbacks):
    from automation.tasks import post_chat_webhook

    assert post_chat_webhook("https://127.0.0.1:9/x", "oi") == 0


def test_an_action_not_possible_now_is_skipped_and_the_next_ones_run(team):
    ticket = ticket_in(team)
    rule(
        actions=[
            {"type": "escalate", "tier": "N3", "reason": "x"},
            {"type": "add_tags", "tags": ["ok"]},
        ]
    )
    created(ticket)  # no N3 team: the escalation cannot happen
    ticket.refresh_from_db()
    assert ticket.tier == "N1"
    assert ticket.tags.filter(name="ok").exists()


def test_a_rule_that_changes_nothing_leaves_no_timeline_entry(team):
    ticket = ticket_in(team, priority="high")
    rule(actions=[{"type": "set_priority", "priority": "high"}])
    created(ticket)
    assert run_events(ticket) == []


def test_closed_tickets_are_left_alone(team):
    ticket = ticket_in(team, status=Ticket.Status.CLOSED)
    rule(actions=[{"type": "add_tags", "tags": ["x"]}])
    assert process([Work(ticket.pk, {"updated"})]) == 0
