"""The rules Jornada ships, as seed_demo activates them."""

import pytest

from automation.defaults import FINANCE_TEAM, WHATSAPP_TEAM, rules_seed_defaults
from automation.engine import Work, process
from automation.models import Rule, TimeRule
from tests.tickets.factories import CustomerFactory, TeamFactory, make_inbound
from tickets import services
from tickets.models import Channel, Message, Team, TicketEvent, Tier


@pytest.fixture
def shipped(db):
    TeamFactory(name="Atendimento", tier=Tier.N1)
    TeamFactory(name="Suporte Técnico", tier=Tier.N2)
    rules_seed_defaults(activate=True)


def run(ticket, *kinds):
    process([Work(ticket.pk, set(kinds or {"created"}))])
    ticket.refresh_from_db()
    return ticket


def test_seeding_twice_changes_nothing(shipped):
    counts = (Rule.objects.count(), TimeRule.objects.count(), Team.objects.count())
    rules_seed_defaults(activate=True)
    assert (Rule.objects.count(), TimeRule.objects.count(), Team.objects.count()) == counts


def test_whatsapp_goes_to_the_whatsapp_team_and_is_acknowledged(shipped):
    result = services.message_receive(
        incoming=make_inbound(channel=Channel.WHATSAPP, sender_value="+5511988887777")
    )
    ticket = run(result.ticket)
    assert ticket.team.name == WHATSAPP_TEAM
    ack = ticket.messages.get(direction=Message.Direction.OUTBOUND)
    assert f"#{ticket.number}" in ack.body_text


def test_an_email_is_not_acknowledged_twice(shipped):
    # channels_app acknowledges email and web form tickets itself.
    ticket = run(services.message_receive(incoming=make_inbound()).ticket)
    assert not ticket.messages.filter(direction=Message.Direction.OUTBOUND).exists()


def test_urgent_vip_escalates_to_n2_with_its_reason(shipped):
    ticket = services.ticket_create(
        customer=CustomerFactory(segment="vip"), subject="Parou tudo", channel=Channel.EMAIL,
        priority="urgent",
    )  # fmt: skip
    ticket = run(ticket)
    assert ticket.tier == Tier.N2
    assert ticket.events.get(kind=TicketEvent.Kind.ESCALATED).reason == "VIP urgente"
    assert "Urgente VIP" in ticket.events.get(kind=TicketEvent.Kind.RULE_RAN).data["rule_name"]


def test_a_vip_ticket_made_urgent_later_escalates_too(shipped):
    ticket = services.ticket_create(
        customer=CustomerFactory(segment="vip"), subject="Dúvida", channel=Channel.EMAIL
    )
    run(ticket)
    services.ticket_change_priority(ticket=ticket, priority="urgent", by=None)
    assert run(ticket, "updated").tier == Tier.N2


def test_fiscal_tag_goes_to_financeiro(shipped):
    ticket = services.ticket_create(
        customer=CustomerFactory(), subject="NF", channel=Channel.EMAIL, tags=["fiscal"]
    )
    assert run(ticket).team.name == FINANCE_TEAM


def test_shipped_time_rules(shipped):
    names = set(TimeRule.objects.filter(is_active=True).values_list("name", flat=True))
    assert len(names) == 4
