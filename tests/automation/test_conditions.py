"""Each condition a trigger can check, through a real run of a rule."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from sla.models import BusinessCalendar
from tests.automation.conftest import created, rule, ticket_in
from tests.tickets.factories import CustomerFactory, OrganizationFactory, make_inbound
from tickets import services
from tickets.models import Channel, Customer, Ticket

TAG = [{"type": "add_tags", "tags": ["matched"]}]


def matched(ticket) -> bool:
    return ticket.tags.filter(name="matched").exists()


@pytest.mark.parametrize(
    ("field", "value", "fields", "expected"),
    [
        ("channel", ["whatsapp"], {"channel": Channel.WHATSAPP}, True),
        ("channel", ["whatsapp"], {"channel": Channel.EMAIL}, False),
        ("priority", ["urgent"], {"priority": "urgent"}, True),
        ("priority", ["urgent"], {"priority": "low"}, False),
        ("tier", ["N2"], {"tier": "N2"}, True),
        ("tier", ["N2"], {}, False),
        ("status", ["open"], {"status": "open"}, True),
        ("status", ["open"], {}, False),
        ("language", ["en"], {"language": "en"}, True),
        ("language", ["en"], {}, False),
        ("assigned", False, {}, True),
    ],
)
def test_ticket_field_conditions(team, field, value, fields, expected):
    ticket = ticket_in(team, **fields)
    rule(conditions=[{"field": field, "value": value}], actions=TAG)
    created(ticket)
    assert matched(ticket) is expected


def test_negated_condition(team):
    ticket = ticket_in(team, channel=Channel.EMAIL)
    rule(conditions=[{"field": "channel", "value": "whatsapp", "negate": True}], actions=TAG)
    created(ticket)
    assert matched(ticket)


@pytest.mark.parametrize(("segment", "expected"), [("vip", True), ("new", False)])
def test_segment_condition(team, segment, expected):
    ticket = ticket_in(team, customer=CustomerFactory(segment=segment))
    rule(conditions=[{"field": "segment", "value": ["vip"]}], actions=TAG)
    created(ticket)
    assert matched(ticket) is expected


def test_organization_condition(team):
    org = OrganizationFactory(name="Padaria Pão Quente")
    ticket = ticket_in(team, customer=CustomerFactory(organization=org))
    other = ticket_in(team)
    rule(conditions=[{"field": "organization", "value": ["padaria pão quente"]}], actions=TAG)
    created(ticket)
    created(other)
    assert matched(ticket)
    assert not matched(other)


def test_tag_condition(team):
    ticket = ticket_in(team)
    services.ticket_tag(ticket=ticket, by=None, add=["fiscal"])
    rule(conditions=[{"field": "tag", "value": ["fiscal"]}], actions=TAG)
    created(ticket)
    assert matched(ticket)


def test_team_condition(team):
    ticket = ticket_in(team)
    rule(conditions=[{"field": "team", "value": [team.name]}], actions=TAG)
    created(ticket)
    assert matched(ticket)


def test_phrase_in_subject_matches_without_accents_or_case(team):
    ticket = ticket_in(team, subject="Problema com a NOTA FISCAL eletrônica")
    rule(conditions=[{"field": "contains", "value": ["nota fiscal eletronica"]}], actions=TAG)
    created(ticket)
    assert matched(ticket)


def test_phrase_in_the_customers_message_body(team):
    result = services.message_receive(
        incoming=make_inbound(subject="Ajuda", body_text="Minha fatura veio com cobrança dupla")
    )
    rule(conditions=[{"field": "contains", "value": "COBRANCA DUPLA"}], actions=TAG)
    created(result.ticket)
    assert matched(result.ticket)


def test_phrase_absent_does_not_match(team):
    ticket = ticket_in(team, subject="Senha")
    rule(conditions=[{"field": "contains", "value": "boleto"}], actions=TAG)
    created(ticket)
    assert not matched(ticket)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [("2026-12-07 12:00", True), ("2026-12-06 12:00", False), ("2026-12-07 20:00", False)],
)
def test_business_hours_condition(team, moment, expected):
    # Monday to Friday, 09:00 to 18:00 UTC; 2026-12-06 is a Sunday.
    weekly = [[["09:00", "18:00"]]] * 5 + [[], []]
    BusinessCalendar.objects.create(name="Comercial", time_zone="UTC", weekly_hours=weekly)
    ticket = ticket_in(team)
    rule(conditions=[{"field": "business_hours", "value": True}], actions=TAG)
    with time_machine.travel(datetime.fromisoformat(moment).replace(tzinfo=UTC), tick=False):
        created(ticket)
    assert matched(ticket) is expected


@pytest.mark.parametrize(
    ("due", "warn", "state"),
    [(None, None, "none"), (1, None, "ok"), (2, -1, "warning"), (-1, -2, "breached")],
)
def test_sla_state_condition(team, due, warn, state):
    now = timezone.now()
    ticket = ticket_in(
        team,
        sla_due_at=None if due is None else now + timedelta(hours=due),
        sla_warn_at=None if warn is None else now + timedelta(hours=warn),
    )
    rule(conditions=[{"field": "sla", "value": [state]}], actions=TAG)
    created(ticket)
    assert matched(ticket)


def test_customer_language_condition(team):
    ticket = ticket_in(team, customer=CustomerFactory(language="en"))
    rule(conditions=[{"field": "language", "value": "en"}], actions=TAG)
    created(ticket)
    assert matched(ticket)


def test_all_conditions_must_hold(team):
    ticket = ticket_in(team, priority="urgent", customer=CustomerFactory(segment="new"))
    rule(
        conditions=[
            {"field": "priority", "value": "urgent"},
            {"field": "segment", "value": Customer.Segment.VIP},
        ],
        actions=TAG,
    )
    created(ticket)
    assert not matched(ticket)


def test_an_unknown_field_never_matches(team):
    ticket = ticket_in(team)
    rule(conditions=[{"field": "colour", "value": "blue"}], actions=TAG)
    created(ticket)
    assert not matched(ticket)


def test_a_rule_listens_only_to_its_events(team):
    ticket = ticket_in(team)
    rule(events=["message"], actions=TAG)
    created(ticket)
    assert not matched(ticket)
    created(ticket, "message")
    assert matched(Ticket.objects.get(pk=ticket.pk))


def test_a_phrase_condition_without_a_value_matches_no_text_about_none():
    """A stored None is no value (it used to be the phrase "None")."""
    from automation import conditions

    assert conditions.as_list(None) == []
    assert conditions.as_list(["boleto", None, ""]) == ["boleto"]
    facts = conditions.Facts(ticket=Ticket(), tags=set(), text="none of this", now=timezone.now())
    assert not conditions.holds({"field": "contains", "value": None}, facts)
