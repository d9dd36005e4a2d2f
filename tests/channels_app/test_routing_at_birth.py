"""New tickets from the real inbound path are born in the team a rule names (automation's routing
hook in the core's ticket_open), say so on their timeline, and the inbound path costs what its
pins say with the rules in place (tests/channels_app/test_query_budget.py): the hook reads one
cache key, and the rules from the database only once per process after they change."""

import pytest
from django.test import Client

from automation import birth
from automation.defaults import WHATSAPP_TEAM, rules_seed_defaults
from automation.services import rule_save
from channels_app.models import Mailbox
from sla.defaults import sla_policies_seed_defaults
from tests.channels_app import whatsapp_support as wa
from tests.channels_app.test_pipeline import SIMPLE, store
from tests.channels_app.test_query_budget import (
    DRAIN,
    NEW_TICKET_STATEMENTS,
    WHATSAPP_NEW_STATEMENTS,
)
from tests.sql_budget import sql_budget
from tickets.models import Team, Ticket, TicketEvent

pytestmark = pytest.mark.django_db
FISCAL_RULE = "Nota fiscal para o Financeiro"


@pytest.fixture
def rules(teams, manager, settings, django_capture_on_commit_callbacks):
    """The shipped rules (the WhatsApp one among them) and one for email, as a manager saves it."""
    settings.WHATSAPP_APP_SECRET = wa.APP_SECRET
    sla_policies_seed_defaults()
    Mailbox.objects.create(name="Suporte", address="suporte@jornada.example", auto_ack_enabled=True)
    with django_capture_on_commit_callbacks(execute=True):
        rules_seed_defaults(activate=True)
        rule_save(
            rule=None, by=manager, name=FISCAL_RULE, events=["created"],
            conditions=[{"field": "contains", "value": ["nota fiscal"]}],
            actions=[{"type": "set_team", "team": "Financeiro"}],
        )  # fmt: skip
    birth.snapshot()  # what the first new ticket after a change reads (pinned below)


def check_born_in(ticket, team_name, rule_name):
    assert ticket.team.name == team_name
    created = ticket.events.get(kind=TicketEvent.Kind.CREATED)
    assert created.data["routing_rule"] == rule_name
    assert not ticket.events.filter(kind=TicketEvent.Kind.TEAM_CHANGED).exists()


def test_an_email_is_born_in_the_team_its_rule_names(rules, manager):
    with sql_budget(inline_tasks=DRAIN) as budget:  # the rules' task runs too (eager)
        store()

    ticket = Ticket.objects.get()
    check_born_in(ticket, "Financeiro", FISCAL_RULE)
    assert len(budget.statements) == NEW_TICKET_STATEMENTS, budget
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(manager)
    page = client.get(f"/agent/tickets/{ticket.number}/").content.decode()
    assert f"routed to team Financeiro by rule &#x27;{FISCAL_RULE}&#x27;" in page


def test_a_whatsapp_message_is_born_in_the_whatsapp_team(rules, manager):
    with sql_budget(inline_tasks=DRAIN) as budget:
        response = wa.post_webhook(Client(), wa.text())
    assert response.status_code == 200

    ticket = Ticket.objects.get()
    check_born_in(ticket, WHATSAPP_TEAM, "WhatsApp para a equipe WhatsApp N1")
    assert len(budget.statements) == WHATSAPP_NEW_STATEMENTS, budget
    # The rule's task ran after the commit and found the ticket where the rule wants it.
    assert ticket.events.filter(kind=TicketEvent.Kind.RULE_RAN).exists()  # the acknowledgement

    client = Client(HTTP_ACCEPT_LANGUAGE="pt-br")
    client.force_login(manager)
    page = client.get(f"/agent/tickets/{ticket.number}/").content.decode()
    assert f"encaminhado para a equipe {WHATSAPP_TEAM} pela regra" in page


def test_a_message_no_rule_routes_takes_the_n1_teams_in_turn(rules):
    with sql_budget(inline_tasks=DRAIN) as budget:
        store(SIMPLE.replace(b"nota fiscal", b"senha").replace(b"nota_fiscal", b"senha"))

    ticket = Ticket.objects.get()
    assert "routing_rule" not in ticket.events.get(kind=TicketEvent.Kind.CREATED).data
    assert ticket.team in Team.objects.filter(tier="N1")
    assert len(budget.statements) == NEW_TICKET_STATEMENTS, budget


def test_the_first_new_ticket_after_a_rule_change_reads_the_rules_once(rules, manager):
    rule_save(
        rule=None, by=manager, name="Outra", events=["created"],
        conditions=[{"field": "channel", "value": ["sms"]}],
        actions=[{"type": "set_team", "team": "Financeiro"}],
    )  # fmt: skip
    with sql_budget(inline_tasks=DRAIN) as first:
        store()
    with sql_budget(inline_tasks=DRAIN) as second:
        store(SIMPLE.replace(b"<abc-123@", b"<abc-124@").replace(b"joao@", b"ana@"))

    # The active rules and the N1 teams by name, read by this process once for the new version.
    assert len(first.statements) == NEW_TICKET_STATEMENTS + 2, first
    assert len(second.statements) == NEW_TICKET_STATEMENTS, second
