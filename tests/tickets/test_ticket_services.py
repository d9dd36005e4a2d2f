"""Services that change a ticket: create, assign, claim, priority, escalation, tags, merges and the
automatic closing of solved tickets."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from tests.tickets.factories import (
    AgentFactory,
    CustomerFactory,
    TeamFactory,
    UserFactory,
    make_inbound,
    make_ticket,
)
from tickets import services
from tickets.errors import (
    AlreadyClaimed,
    InvalidChoice,
    InvalidEscalation,
    InvalidMerge,
    NotAnAgent,
    NoTeamForTier,
    ReasonRequired,
    TicketClosed,
    TierNotAllowed,
)
from tickets.models import Channel, Message, Tag, Team, Ticket, TicketEvent, Tier

S = Ticket.Status
P = Ticket.Priority
E = TicketEvent.Kind


def last_event(ticket):
    return ticket.events.order_by("-id").first()


def kinds(ticket):
    return list(ticket.events.order_by("id").values_list("kind", flat=True))


# --- ticket_create ---------------------------------------------------------------------------


def test_ticket_numbers_start_at_the_configured_number(customer):
    ticket = services.ticket_create(customer=customer, subject="Olá", channel=Channel.EMAIL)

    if connection.vendor == "postgresql":
        # A sequence is not rolled back with the test's transaction: earlier tests used numbers.
        assert ticket.number >= settings.JORNADA["TICKET_NUMBER_START"]
    else:
        assert ticket.number == settings.JORNADA["TICKET_NUMBER_START"]


def test_ticket_numbers_are_unique_and_increasing(customer):
    numbers = [
        services.ticket_create(
            customer=customer, subject=f"Pedido {i}", channel=Channel.EMAIL
        ).number
        for i in range(5)
    ]

    assert numbers == sorted(set(numbers))
    assert len(numbers) == 5


def test_created_ticket_starts_new_at_n1(customer, teams):
    ticket = services.ticket_create(
        customer=customer, subject="Olá", channel=Channel.EMAIL, team=teams[Tier.N1]
    )

    ticket.refresh_from_db()
    assert (ticket.status, ticket.tier, ticket.team) == (S.NEW, Tier.N1, teams[Tier.N1])
    assert ticket.priority == P.NORMAL
    assert ticket.reopen_count == 0


def test_create_records_a_created_event(customer, n1_agent):
    ticket = services.ticket_create(
        customer=customer, subject="Olá", channel=Channel.PHONE, priority=P.HIGH, by=n1_agent
    )

    assert kinds(ticket) == [E.CREATED]
    event = last_event(ticket)
    assert event.actor == n1_agent
    assert event.after == {"status": S.NEW, "priority": P.HIGH, "tier": Tier.N1}
    assert event.data == {"channel": Channel.PHONE}


@pytest.mark.parametrize("tier", [Tier.N2, Tier.N3])
def test_create_refuses_a_team_of_another_tier(customer, teams, tier):
    with pytest.raises(InvalidEscalation) as excinfo:
        services.ticket_create(
            customer=customer, subject="Olá", channel=Channel.EMAIL, team=teams[tier]
        )

    assert excinfo.value.code == "invalid_escalation"
    assert not Ticket.objects.exists()


def test_create_with_tags_slugifies_them_and_records_it(customer):
    ticket = services.ticket_create(
        customer=customer, subject="Olá", channel=Channel.EMAIL, tags=["Boleto Atrasado"]
    )

    assert list(ticket.tags.values_list("name", flat=True)) == ["boleto-atrasado"]
    assert kinds(ticket) == [E.CREATED, E.TAGS_CHANGED]


def test_create_speaks_the_customer_language_by_default(db):
    customer = CustomerFactory(language="en")

    ticket = services.ticket_create(customer=customer, subject="Hi", channel=Channel.EMAIL)

    assert ticket.language == "en"


@pytest.mark.parametrize(
    ("language", "placeholder"), [("en", "(no subject)"), ("pt-br", "(sem assunto)")]
)
def test_create_without_subject_gets_a_placeholder_in_the_customers_language(
    customer, language, placeholder
):
    customer.language = language
    customer.save()

    ticket = services.ticket_create(customer=customer, subject="   ", channel=Channel.WHATSAPP)

    assert ticket.subject == placeholder


# --- ticket_assign ---------------------------------------------------------------------------


def test_assign_gives_ticket_to_agent_and_records_it(ticket, n1_agent, manager):
    services.ticket_assign(ticket=ticket, assignee=n1_agent, by=manager)

    ticket.refresh_from_db()
    assert ticket.assignee == n1_agent
    event = last_event(ticket)
    assert (event.kind, event.actor, event.before, event.after) == (
        E.ASSIGNED,
        manager,
        None,
        "n1",
    )


@pytest.mark.parametrize("tier", [Tier.N2, Tier.N3])
def test_n1_agent_cannot_hold_higher_tier_ticket(teams, customer, n1_agent, manager, tier):
    ticket = make_ticket(customer=customer, tier=tier, team=teams[tier])
    events_before = ticket.events.count()

    with pytest.raises(TierNotAllowed) as excinfo:
        services.ticket_assign(ticket=ticket, assignee=n1_agent, by=manager)

    assert excinfo.value.code == "tier_not_allowed"
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert ticket.events.count() == events_before


def test_n2_agent_cannot_hold_n3_ticket(teams, customer, n2_agent, manager):
    ticket = make_ticket(customer=customer, tier=Tier.N3, team=teams[Tier.N3])

    with pytest.raises(TierNotAllowed):
        services.ticket_assign(ticket=ticket, assignee=n2_agent, by=manager)


def test_higher_tier_agent_can_hold_lower_tier_ticket(ticket, n3_agent, manager):
    services.ticket_assign(ticket=ticket, assignee=n3_agent, by=manager)

    ticket.refresh_from_db()
    assert ticket.assignee == n3_agent


def test_unassign_puts_ticket_back_in_the_queue(ticket, n1_agent, manager):
    services.ticket_assign(ticket=ticket, assignee=n1_agent, by=manager)

    services.ticket_assign(ticket=ticket, assignee=None, by=manager)

    ticket.refresh_from_db()
    assert ticket.assignee is None
    event = last_event(ticket)
    assert (event.kind, event.before, event.after) == (E.ASSIGNED, "n1", None)


def test_assigning_the_current_assignee_records_nothing(ticket, n1_agent, manager):
    services.ticket_assign(ticket=ticket, assignee=n1_agent, by=manager)
    events_before = ticket.events.count()

    services.ticket_assign(ticket=ticket, assignee=n1_agent, by=manager)

    assert ticket.events.count() == events_before


def test_assign_moves_ticket_to_another_team_of_the_same_tier(ticket, teams, manager):
    billing = TeamFactory(name="Financeiro N1", tier=Tier.N1)

    services.ticket_assign(ticket=ticket, assignee=None, by=manager, team=billing)

    ticket.refresh_from_db()
    assert ticket.team == billing
    event = last_event(ticket)
    assert (event.kind, event.actor, event.before, event.after) == (
        E.TEAM_CHANGED,
        manager,
        "Atendimento N1",
        "Financeiro N1",
    )


def test_assign_refuses_a_team_of_another_tier(ticket, teams, manager):
    events_before = ticket.events.count()

    with pytest.raises(InvalidEscalation):
        services.ticket_assign(ticket=ticket, assignee=None, by=manager, team=teams[Tier.N2])

    ticket.refresh_from_db()
    assert (ticket.team, ticket.tier) == (teams[Tier.N1], Tier.N1)
    assert ticket.events.count() == events_before


def test_assign_to_a_non_agent_raises_not_an_agent(ticket, manager):
    outsider = UserFactory(username="cliente")

    with pytest.raises(NotAnAgent) as excinfo:
        services.ticket_assign(ticket=ticket, assignee=outsider, by=manager)

    assert excinfo.value.code == "not_an_agent"
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_assign_by_a_non_agent_raises_not_an_agent(ticket, n1_agent):
    outsider = UserFactory(username="cliente")

    with pytest.raises(NotAnAgent):
        services.ticket_assign(ticket=ticket, assignee=n1_agent, by=outsider)


def test_assign_on_a_closed_ticket_is_refused(customer, n1_agent, manager):
    ticket = make_ticket(customer=customer, status=S.CLOSED)

    with pytest.raises(TicketClosed):
        services.ticket_assign(ticket=ticket, assignee=n1_agent, by=manager)


# --- ticket_claim ----------------------------------------------------------------------------


def test_claim_sets_assignee_and_opens_a_new_ticket(ticket, n1_agent):
    services.ticket_claim(ticket=ticket, by=n1_agent)

    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status) == (n1_agent, S.OPEN)


def test_claim_records_the_claim_then_its_status_change(ticket, n1_agent):
    services.ticket_claim(ticket=ticket, by=n1_agent)

    events = list(ticket.events.order_by("id").values_list("kind", "actor", "before", "after"))
    assert events[1:] == [
        (E.CLAIMED, n1_agent.pk, None, "n1"),
        (E.STATUS_CHANGED, n1_agent.pk, S.NEW, S.OPEN),
    ]


def test_claim_keeps_the_status_of_a_ticket_already_worked_on(customer, n1_agent):
    ticket = make_ticket(customer=customer, status=S.PENDING)

    services.ticket_claim(ticket=ticket, by=n1_agent)

    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status) == (n1_agent, S.PENDING)
    assert kinds(ticket) == [E.CREATED, E.CLAIMED]


def test_second_claim_by_another_agent_raises_already_claimed(ticket, n1_agent, teams):
    other = AgentFactory(user__username="n1b", tier=Tier.N1, teams=[teams[Tier.N1]]).user
    services.ticket_claim(ticket=ticket, by=n1_agent)
    events_before = ticket.events.count()

    with pytest.raises(AlreadyClaimed) as excinfo:
        services.ticket_claim(ticket=ticket, by=other)

    assert excinfo.value.code == "already_claimed"
    assert "n1" in excinfo.value.message
    ticket.refresh_from_db()
    assert ticket.assignee == n1_agent
    assert ticket.events.count() == events_before


def test_claiming_own_ticket_again_is_a_noop(ticket, n1_agent):
    services.ticket_claim(ticket=ticket, by=n1_agent)
    events_before = ticket.events.count()

    services.ticket_claim(ticket=ticket, by=n1_agent)

    ticket.refresh_from_db()
    assert ticket.assignee == n1_agent
    assert ticket.events.count() == events_before


def test_claim_by_agent_below_ticket_tier_is_refused(teams, customer, n1_agent):
    ticket = make_ticket(customer=customer, tier=Tier.N2, team=teams[Tier.N2])

    with pytest.raises(TierNotAllowed):
        services.ticket_claim(ticket=ticket, by=n1_agent)

    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status) == (None, S.NEW)


def test_claim_by_a_non_agent_is_refused(ticket):
    with pytest.raises(NotAnAgent):
        services.ticket_claim(ticket=ticket, by=UserFactory(username="cliente"))

    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_claim_of_a_closed_ticket_is_refused(customer, n1_agent):
    ticket = make_ticket(customer=customer, status=S.CLOSED)

    with pytest.raises(TicketClosed):
        services.ticket_claim(ticket=ticket, by=n1_agent)


# --- ticket_change_priority ------------------------------------------------------------------


def test_change_priority_records_before_and_after(ticket, n1_agent):
    services.ticket_change_priority(
        ticket=ticket, priority=P.URGENT, by=n1_agent, reason="cliente sem acesso"
    )

    ticket.refresh_from_db()
    assert ticket.priority == P.URGENT
    event = last_event(ticket)
    assert (event.kind, event.actor, event.before, event.after, event.reason) == (
        E.PRIORITY_CHANGED,
        n1_agent,
        P.NORMAL,
        P.URGENT,
        "cliente sem acesso",
    )


def test_setting_the_same_priority_records_nothing(ticket, n1_agent):
    services.ticket_change_priority(ticket=ticket, priority=P.NORMAL, by=n1_agent)

    assert kinds(ticket) == [E.CREATED]


def test_unknown_priority_is_refused(ticket, n1_agent):
    with pytest.raises(InvalidChoice, match="critical") as refused:
        services.ticket_change_priority(ticket=ticket, priority="critical", by=n1_agent)

    assert refused.value.code == "invalid_choice"
    ticket.refresh_from_db()
    assert ticket.priority == P.NORMAL


def test_priority_of_a_closed_ticket_cannot_change(customer, n1_agent):
    ticket = make_ticket(customer=customer, status=S.CLOSED)

    with pytest.raises(TicketClosed):
        services.ticket_change_priority(ticket=ticket, priority=P.HIGH, by=n1_agent)


def test_priority_change_by_a_non_agent_is_refused(ticket):
    with pytest.raises(NotAnAgent):
        services.ticket_change_priority(
            ticket=ticket, priority=P.HIGH, by=UserFactory(username="cliente")
        )


# --- ticket_escalate -------------------------------------------------------------------------


def test_escalate_moves_n1_ticket_to_an_n2_team(ticket, teams, n1_agent):
    services.ticket_escalate(ticket=ticket, reason="Erro no faturamento", by=n1_agent)

    ticket.refresh_from_db()
    assert (ticket.tier, ticket.team) == (Tier.N2, teams[Tier.N2])


def test_escalate_records_reason_before_and_after(ticket, n1_agent):
    services.ticket_assign(ticket=ticket, assignee=n1_agent, by=n1_agent)

    services.ticket_escalate(ticket=ticket, reason="Erro no faturamento", by=n1_agent)

    event = last_event(ticket)
    assert (event.kind, event.actor, event.reason) == (
        E.ESCALATED,
        n1_agent,
        "Erro no faturamento",
    )
    assert event.before == {"tier": "N1", "team": "Atendimento N1", "assignee": "n1"}
    assert event.after == {"tier": "N2", "team": "Suporte Técnico N2", "assignee": None}


def test_escalate_from_n2_goes_to_n3(teams, customer, n2_agent):
    ticket = make_ticket(customer=customer, tier=Tier.N2, team=teams[Tier.N2])

    services.ticket_escalate(ticket=ticket, reason="Bug no produto", by=n2_agent)

    ticket.refresh_from_db()
    assert (ticket.tier, ticket.team) == (Tier.N3, teams[Tier.N3])


def test_escalate_can_go_straight_to_n3(ticket, teams, n1_agent):
    services.ticket_escalate(ticket=ticket, reason="Incidente", by=n1_agent, to_tier=Tier.N3)

    ticket.refresh_from_db()
    assert (ticket.tier, ticket.team) == (Tier.N3, teams[Tier.N3])


@pytest.mark.parametrize("reason", ["", "   ", "\n\t "])
def test_escalate_without_a_reason_is_refused(ticket, teams, n1_agent, reason):
    with pytest.raises(ReasonRequired) as excinfo:
        services.ticket_escalate(ticket=ticket, reason=reason, by=n1_agent)

    assert excinfo.value.code == "reason_required"
    ticket.refresh_from_db()
    assert (ticket.tier, ticket.team) == (Tier.N1, teams[Tier.N1])
    assert kinds(ticket) == [E.CREATED]


def test_escalate_stores_the_reason_trimmed(ticket, n1_agent):
    services.ticket_escalate(ticket=ticket, reason="  precisa de análise \n", by=n1_agent)

    assert last_event(ticket).reason == "precisa de análise"


def test_escalate_picks_the_least_loaded_team_of_the_target_tier(ticket, teams, n1_agent):
    busy = TeamFactory(name="Acessos N2", tier=Tier.N2)
    for _ in range(2):
        make_ticket(tier=Tier.N2, team=busy, status=S.OPEN)
    make_ticket(tier=Tier.N2, team=teams[Tier.N2], status=S.PENDING)

    services.ticket_escalate(ticket=ticket, reason="Cobrança", by=n1_agent)

    ticket.refresh_from_db()
    assert ticket.team == teams[Tier.N2]


def test_least_loaded_team_ignores_solved_and_closed_tickets(ticket, teams, n1_agent):
    busy = TeamFactory(name="Acessos N2", tier=Tier.N2)
    make_ticket(tier=Tier.N2, team=busy, status=S.ON_HOLD)
    for state in (S.SOLVED, S.SOLVED, S.CLOSED):
        make_ticket(tier=Tier.N2, team=teams[Tier.N2], status=state)

    services.ticket_escalate(ticket=ticket, reason="Cobrança", by=n1_agent)

    ticket.refresh_from_db()
    assert ticket.team == teams[Tier.N2]


def test_least_loaded_team_ties_go_by_name(ticket, teams, n1_agent):
    TeamFactory(name="Zeladoria N2", tier=Tier.N2)
    first = TeamFactory(name="Acessos N2", tier=Tier.N2)

    services.ticket_escalate(ticket=ticket, reason="Acesso", by=n1_agent)

    ticket.refresh_from_db()
    assert ticket.team == first


def test_escalate_to_an_explicit_team_of_the_target_tier(ticket, teams, n1_agent):
    billing = TeamFactory(name="Financeiro N2", tier=Tier.N2)

    services.ticket_escalate(ticket=ticket, reason="Cobrança", by=n1_agent, team=billing)

    ticket.refresh_from_db()
    assert (ticket.tier, ticket.team) == (Tier.N2, billing)


@pytest.mark.parametrize("tier", [Tier.N1, Tier.N3])
def test_escalate_to_an_explicit_team_of_the_wrong_tier_is_refused(ticket, teams, n1_agent, tier):
    with pytest.raises(InvalidEscalation):
        services.ticket_escalate(ticket=ticket, reason="Cobrança", by=n1_agent, team=teams[tier])

    ticket.refresh_from_db()
    assert (ticket.tier, ticket.team) == (Tier.N1, teams[Tier.N1])


def test_escalating_past_n3_is_refused(teams, customer, n3_agent):
    ticket = make_ticket(customer=customer, tier=Tier.N3, team=teams[Tier.N3])

    with pytest.raises(InvalidEscalation) as excinfo:
        services.ticket_escalate(ticket=ticket, reason="Mais alto", by=n3_agent)

    assert excinfo.value.code == "invalid_escalation"
    assert kinds(ticket) == [E.CREATED]


@pytest.mark.parametrize("to_tier", [Tier.N1, Tier.N2])
def test_escalating_downwards_or_sideways_is_refused(teams, customer, n2_agent, to_tier):
    ticket = make_ticket(customer=customer, tier=Tier.N2, team=teams[Tier.N2])

    with pytest.raises(InvalidEscalation):
        services.ticket_escalate(ticket=ticket, reason="Voltar", by=n2_agent, to_tier=to_tier)

    ticket.refresh_from_db()
    assert ticket.tier == Tier.N2


def test_escalate_unassigns_an_assignee_who_cannot_hold_the_new_tier(ticket, n1_agent):
    services.ticket_claim(ticket=ticket, by=n1_agent)

    services.ticket_escalate(ticket=ticket, reason="Análise técnica", by=n1_agent)

    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_escalate_keeps_an_assignee_who_can_hold_the_new_tier(ticket, n3_agent):
    services.ticket_claim(ticket=ticket, by=n3_agent)

    services.ticket_escalate(ticket=ticket, reason="Análise técnica", by=n3_agent)

    ticket.refresh_from_db()
    assert (ticket.tier, ticket.assignee) == (Tier.N2, n3_agent)
    assert last_event(ticket).after["assignee"] == "n3"


def test_escalate_keeps_the_status(customer, teams, n1_agent):
    ticket = make_ticket(customer=customer, team=teams[Tier.N1], status=S.PENDING)

    services.ticket_escalate(ticket=ticket, reason="Análise técnica", by=n1_agent)

    ticket.refresh_from_db()
    assert ticket.status == S.PENDING


def test_system_escalation_without_an_agent(ticket, teams):
    services.ticket_escalate(ticket=ticket, reason="SLA de resolução violado", by=None)

    ticket.refresh_from_db()
    assert ticket.tier == Tier.N2
    event = last_event(ticket)
    assert (event.kind, event.actor) == (E.ESCALATED, None)


def test_escalate_without_a_team_of_the_target_tier_raises_no_team_for_tier(customer):
    only_n1 = TeamFactory(name="Atendimento N1", tier=Tier.N1)
    ticket = make_ticket(customer=customer, team=only_n1)
    agent = AgentFactory(user__username="n1", tier=Tier.N1).user

    with pytest.raises(NoTeamForTier) as excinfo:
        services.ticket_escalate(ticket=ticket, reason="Análise", by=agent)

    assert excinfo.value.code == "no_team_for_tier"
    ticket.refresh_from_db()
    assert (ticket.tier, ticket.team) == (Tier.N1, only_n1)


def test_escalate_of_a_closed_ticket_is_refused(customer, teams, n1_agent):
    ticket = make_ticket(customer=customer, status=S.CLOSED)

    with pytest.raises(TicketClosed):
        services.ticket_escalate(ticket=ticket, reason="Análise", by=n1_agent)


def test_escalate_by_a_non_agent_is_refused(ticket):
    with pytest.raises(NotAnAgent):
        services.ticket_escalate(ticket=ticket, reason="Análise", by=UserFactory(username="x"))

    ticket.refresh_from_db()
    assert ticket.tier == Tier.N1


# --- ticket_deescalate -----------------------------------------------------------------------


@pytest.fixture
def n2_ticket(teams, customer):
    return make_ticket(customer=customer, tier=Tier.N2, team=teams[Tier.N2])


def test_deescalate_sends_ticket_down_a_tier(n2_ticket, teams, n2_agent):
    services.ticket_deescalate(ticket=n2_ticket, reason="Dúvida de uso", by=n2_agent)

    n2_ticket.refresh_from_db()
    assert (n2_ticket.tier, n2_ticket.team) == (Tier.N1, teams[Tier.N1])


def test_deescalate_records_reason_before_and_after(n2_ticket, n2_agent):
    services.ticket_deescalate(ticket=n2_ticket, reason="Dúvida de uso", by=n2_agent)

    event = last_event(n2_ticket)
    assert (event.kind, event.actor, event.reason) == (E.DEESCALATED, n2_agent, "Dúvida de uso")
    assert event.before == {"tier": "N2", "team": "Suporte Técnico N2", "assignee": None}
    assert event.after == {"tier": "N1", "team": "Atendimento N1", "assignee": None}


def test_deescalate_keeps_an_assignee_who_can_hold_the_lower_tier(n2_ticket, n2_agent):
    services.ticket_claim(ticket=n2_ticket, by=n2_agent)

    services.ticket_deescalate(ticket=n2_ticket, reason="Dúvida de uso", by=n2_agent)

    n2_ticket.refresh_from_db()
    assert n2_ticket.assignee == n2_agent


def test_deescalate_from_n3_to_n1_explicitly(teams, customer, n3_agent):
    ticket = make_ticket(customer=customer, tier=Tier.N3, team=teams[Tier.N3])

    services.ticket_deescalate(ticket=ticket, reason="Resolvido o bug", by=n3_agent, to_tier="N1")

    ticket.refresh_from_db()
    assert (ticket.tier, ticket.team) == (Tier.N1, teams[Tier.N1])


@pytest.mark.parametrize("reason", ["", "  "])
def test_deescalate_without_a_reason_is_refused(n2_ticket, n2_agent, reason):
    with pytest.raises(ReasonRequired):
        services.ticket_deescalate(ticket=n2_ticket, reason=reason, by=n2_agent)

    n2_ticket.refresh_from_db()
    assert n2_ticket.tier == Tier.N2


def test_deescalate_by_an_agent_below_the_current_tier_is_refused(n2_ticket, n1_agent):
    with pytest.raises(TierNotAllowed):
        services.ticket_deescalate(ticket=n2_ticket, reason="Não é N2", by=n1_agent)

    n2_ticket.refresh_from_db()
    assert n2_ticket.tier == Tier.N2
    assert kinds(n2_ticket) == [E.CREATED]


def test_manager_can_deescalate_above_their_own_tier(teams, customer):
    ticket = make_ticket(customer=customer, tier=Tier.N3, team=teams[Tier.N3])
    n1_manager = AgentFactory(user__username="coord", tier=Tier.N1, is_manager=True).user

    services.ticket_deescalate(ticket=ticket, reason="Reclassificado", by=n1_manager)

    ticket.refresh_from_db()
    assert ticket.tier == Tier.N2


def test_deescalate_needs_an_agent(n2_ticket):
    with pytest.raises(NotAnAgent):
        services.ticket_deescalate(ticket=n2_ticket, reason="x", by=UserFactory(username="x"))


def test_deescalating_an_n1_ticket_is_refused(ticket, n2_agent):
    with pytest.raises(InvalidEscalation):
        services.ticket_deescalate(ticket=ticket, reason="Mais baixo", by=n2_agent)


def test_deescalating_upwards_is_refused(n2_ticket, n3_agent):
    with pytest.raises(InvalidEscalation):
        services.ticket_deescalate(ticket=n2_ticket, reason="Subir", by=n3_agent, to_tier="N3")

    n2_ticket.refresh_from_db()
    assert n2_ticket.tier == Tier.N2


def test_deescalate_without_a_team_of_the_lower_tier_raises_no_team_for_tier(customer):
    n2_team = TeamFactory(name="Suporte Técnico N2", tier=Tier.N2)
    ticket = make_ticket(customer=customer, tier=Tier.N2, team=n2_team)
    agent = AgentFactory(user__username="n2", tier=Tier.N2).user

    with pytest.raises(NoTeamForTier):
        services.ticket_deescalate(ticket=ticket, reason="Dúvida de uso", by=agent)

    ticket.refresh_from_db()
    assert (ticket.tier, ticket.team) == (Tier.N2, n2_team)


def test_deescalate_of_a_closed_ticket_is_refused(teams, customer, n2_agent):
    ticket = make_ticket(customer=customer, tier=Tier.N2, team=teams[Tier.N2], status=S.CLOSED)

    with pytest.raises(TicketClosed):
        services.ticket_deescalate(ticket=ticket, reason="Dúvida de uso", by=n2_agent)


# --- ticket_tag ------------------------------------------------------------------------------


def tag_names(ticket):
    return sorted(ticket.tags.values_list("name", flat=True))


def test_tag_adds_slugified_tags(ticket, n1_agent):
    services.ticket_tag(ticket=ticket, by=n1_agent, add=["Boleto Atrasado", "URGENTE"])

    assert tag_names(ticket) == ["boleto-atrasado", "urgente"]


def test_tag_keeps_unicode_letters(ticket, n1_agent):
    services.ticket_tag(ticket=ticket, by=n1_agent, add=["Cobrança Indevida", "Ação Judicial"])

    assert tag_names(ticket) == ["ação-judicial", "cobrança-indevida"]


def test_tag_removes_tags(ticket, n1_agent):
    services.ticket_tag(ticket=ticket, by=n1_agent, add=["boleto", "pix"])

    services.ticket_tag(ticket=ticket, by=n1_agent, remove=["Boleto"])

    assert tag_names(ticket) == ["pix"]


def test_tag_change_records_before_and_after(ticket, n1_agent):
    services.ticket_tag(ticket=ticket, by=n1_agent, add=["boleto"])

    services.ticket_tag(ticket=ticket, by=n1_agent, add=["pix"], remove=["boleto"])

    event = last_event(ticket)
    assert (event.kind, event.actor, event.before, event.after) == (
        E.TAGS_CHANGED,
        n1_agent,
        ["boleto"],
        ["pix"],
    )


@pytest.mark.parametrize(
    ("add", "remove"),
    [(["boleto"], []), (["Boleto"], []), ([], ["inexistente"]), (["", "  ", "!!"], []), ([], [])],
)
def test_tagging_that_changes_nothing_records_nothing(ticket, n1_agent, add, remove):
    services.ticket_tag(ticket=ticket, by=n1_agent, add=["boleto"])
    events_before = ticket.events.count()

    services.ticket_tag(ticket=ticket, by=n1_agent, add=add, remove=remove)

    assert tag_names(ticket) == ["boleto"]
    assert ticket.events.count() == events_before


def test_tickets_share_one_tag_row_per_name(customer, n1_agent):
    first, second = make_ticket(customer=customer), make_ticket(customer=customer)

    services.ticket_tag(ticket=first, by=n1_agent, add=["Boleto"])
    services.ticket_tag(ticket=second, by=n1_agent, add=["boleto"])

    assert Tag.objects.filter(name="boleto").count() == 1
    assert Tag.objects.get(name="boleto").tickets.count() == 2


def test_tag_by_a_non_agent_is_refused(ticket):
    with pytest.raises(NotAnAgent):
        services.ticket_tag(ticket=ticket, by=UserFactory(username="x"), add=["boleto"])

    assert tag_names(ticket) == []


# --- ticket_merge ----------------------------------------------------------------------------


@pytest.fixture
def two_tickets(customer):
    """Two tickets of one customer, each with a conversation."""
    target = services.message_receive(
        incoming=make_inbound(sender_value="maria@example.com", subject="Boleto não chegou")
    ).ticket
    source = services.message_receive(
        incoming=make_inbound(sender_value="maria@example.com", subject="Segunda via do boleto")
    ).ticket
    services.message_receive(
        incoming=make_inbound(sender_value="maria@example.com", subject=f"[#{source.number}]")
    )
    return source, target


def test_merge_moves_messages_to_the_target(two_tickets, manager):
    source, target = two_tickets
    source_messages = set(source.messages.values_list("pk", flat=True))

    services.ticket_merge(source=source, target=target, by=manager)

    assert len(source_messages) == 2
    assert not Message.objects.filter(ticket=source).exists()
    assert source_messages <= set(target.messages.values_list("pk", flat=True))
    assert target.messages.count() == 3


def test_merge_unites_tags(two_tickets, manager):
    source, target = two_tickets
    services.ticket_tag(ticket=source, by=manager, add=["segunda-via", "boleto"])
    services.ticket_tag(ticket=target, by=manager, add=["boleto", "atraso"])

    services.ticket_merge(source=source, target=target, by=manager)

    assert tag_names(target) == ["atraso", "boleto", "segunda-via"]


def test_merge_closes_the_source_pointing_at_the_target(two_tickets, manager):
    source, target = two_tickets

    services.ticket_merge(source=source, target=target, by=manager)

    source.refresh_from_db()
    target.refresh_from_db()
    assert (source.status, source.merged_into) == (S.CLOSED, target)
    assert source.closed_at is not None
    assert target.status == S.NEW
    assert target.merged_into is None


def test_merge_records_merged_on_the_source(two_tickets, manager):
    source, target = two_tickets

    services.ticket_merge(source=source, target=target, by=manager)

    event = last_event(source)
    assert (event.kind, event.actor, event.before, event.after) == (
        E.MERGED,
        manager,
        S.NEW,
        S.CLOSED,
    )
    assert event.data == {"into": target.number, "messages_moved": 2}


def test_merge_records_merge_received_on_the_target(two_tickets, manager):
    source, target = two_tickets

    services.ticket_merge(source=source, target=target, by=manager)

    event = last_event(target)
    assert (event.kind, event.actor) == (E.MERGE_RECEIVED, manager)
    assert event.data == {"merged": source.number, "messages_moved": 2}


def test_merge_keeps_the_latest_conversation_timestamps(two_tickets, manager, n1_agent):
    source, target = two_tickets
    services.message_reply(ticket=source, by=n1_agent, body_text="Segue a segunda via.")
    source.refresh_from_db()

    services.ticket_merge(source=source, target=target, by=manager)

    target.refresh_from_db()
    assert target.last_agent_reply_at == source.last_agent_reply_at
    assert target.first_response_at == source.first_response_at
    assert target.last_customer_message_at == source.last_customer_message_at


def test_merge_into_itself_is_refused(ticket, manager):
    with pytest.raises(InvalidMerge) as excinfo:
        services.ticket_merge(source=ticket, target=ticket, by=manager)

    assert excinfo.value.code == "invalid_merge"
    ticket.refresh_from_db()
    assert ticket.status == S.NEW


def test_merge_into_a_closed_ticket_is_refused(ticket, customer, manager):
    closed = make_ticket(customer=customer, status=S.CLOSED)

    with pytest.raises(InvalidMerge):
        services.ticket_merge(source=ticket, target=closed, by=manager)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.merged_into) == (S.NEW, None)


def test_merge_of_a_closed_ticket_is_refused(ticket, customer, manager):
    closed = make_ticket(customer=customer, status=S.CLOSED)

    with pytest.raises(InvalidMerge):
        services.ticket_merge(source=closed, target=ticket, by=manager)

    assert kinds(ticket) == [E.CREATED]


def test_a_ticket_cannot_be_merged_twice(two_tickets, customer, manager):
    source, target = two_tickets
    services.ticket_merge(source=source, target=target, by=manager)
    third = make_ticket(customer=customer)

    with pytest.raises(InvalidMerge):
        services.ticket_merge(source=source, target=third, by=manager)

    source.refresh_from_db()
    assert source.merged_into == target


def test_merge_into_an_already_merged_ticket_is_refused(two_tickets, customer, manager):
    source, target = two_tickets
    services.ticket_merge(source=source, target=target, by=manager)
    third = make_ticket(customer=customer)

    with pytest.raises(InvalidMerge):
        services.ticket_merge(source=third, target=source, by=manager)

    third.refresh_from_db()
    assert (third.status, third.merged_into) == (S.NEW, None)


def test_merge_by_a_non_agent_is_refused(two_tickets):
    source, target = two_tickets

    with pytest.raises(NotAnAgent):
        services.ticket_merge(source=source, target=target, by=UserFactory(username="x"))

    source.refresh_from_db()
    assert source.merged_into is None


# --- tickets_close_stale_solved / close_stale_solved_tickets ---------------------------------


def solved_ticket(days_ago, **changes):
    return make_ticket(
        status=S.SOLVED, solved_at=timezone.now() - timedelta(days=days_ago), **changes
    )


def test_close_stale_solved_closes_only_tickets_solved_before_the_cutoff(db):
    stale = solved_ticket(10)
    recent = solved_ticket(1)
    old_but_open = make_ticket(status=S.OPEN, created_at=timezone.now() - timedelta(days=30))
    old_but_pending = make_ticket(status=S.PENDING, solved_at=timezone.now() - timedelta(days=30))
    cutoff = timezone.now() - timedelta(days=4)

    closed = services.tickets_close_stale_solved(solved_before=cutoff)

    assert closed == 1
    statuses = dict(Ticket.objects.values_list("pk", "status"))
    assert statuses == {
        stale.pk: S.CLOSED,
        recent.pk: S.SOLVED,
        old_but_open.pk: S.OPEN,
        old_but_pending.pk: S.PENDING,
    }


def test_close_stale_solved_sets_closed_at(db):
    stale = solved_ticket(10)
    start = timezone.now()

    services.tickets_close_stale_solved(solved_before=start - timedelta(days=4))

    stale.refresh_from_db()
    assert stale.closed_at >= start


def test_close_stale_solved_records_a_status_event_per_ticket(db):
    stale = [solved_ticket(10), solved_ticket(7)]

    services.tickets_close_stale_solved(solved_before=timezone.now() - timedelta(days=4))

    for ticket in stale:
        event = last_event(ticket)
        assert (event.kind, event.actor, event.before, event.after) == (
            E.STATUS_CHANGED,
            None,
            S.SOLVED,
            S.CLOSED,
        )
        assert event.data == {"automatic": "close_after_solved"}


def test_close_stale_solved_works_in_batches(db):
    for days in (10, 9, 8):
        solved_ticket(days)
    cutoff = timezone.now() - timedelta(days=4)

    batches = [services.tickets_close_stale_solved(solved_before=cutoff, limit=2) for _ in range(3)]

    assert batches == [2, 1, 0]
    assert TicketEvent.objects.filter(kind=E.STATUS_CHANGED, after=S.CLOSED).count() == 3


def test_close_stale_solved_closes_the_oldest_first(db):
    newest, oldest = solved_ticket(8), solved_ticket(20)

    services.tickets_close_stale_solved(solved_before=timezone.now(), limit=1)

    newest.refresh_from_db()
    oldest.refresh_from_db()
    assert (oldest.status, newest.status) == (S.CLOSED, S.SOLVED)


def test_team_for_tier_raises_when_no_team_exists(db):
    assert not Team.objects.exists()

    with pytest.raises(NoTeamForTier):
        services.team_for_tier(Tier.N2)


def test_new_tickets_without_a_team_take_the_n1_teams_in_turn(customer, teams):
    first = teams[Tier.N1]
    second = Team.objects.create(name="Financeiro N1", tier=Tier.N1)

    created = [
        services.ticket_create(customer=customer, subject="Boleto", channel=Channel.EMAIL)
        for _ in range(4)
    ]

    # Without counting the open backlog: constant work per ticket, whatever its size.
    assert sorted(ticket.team.name for ticket in created) == sorted([first.name, second.name] * 2)
    assert [t.team for t in created[:2]] != [t.team for t in created[2:3] * 2]


def test_new_ticket_stays_unrouted_when_there_is_no_n1_team(customer):
    ticket = services.ticket_create(customer=customer, subject="Boleto", channel=Channel.EMAIL)

    assert ticket.team is None
