"""The managers' rules page, the dry run, and the dispatchers' queue."""

import pytest

from automation.engine import dry_run
from automation.models import Rule, TeamRouting, TimeRule
from tests.automation.conftest import created, online_agent, post, rule, ticket_in
from tests.tickets.factories import AgentFactory, CustomerFactory, TeamFactory
from tickets.models import AgentProfile, Ticket, TicketEvent, Tier


@pytest.fixture
def boss(client, db):
    user = AgentFactory(user__username="boss", tier=Tier.N3, is_manager=True).user
    client.force_login(user)
    return user


@pytest.fixture
def dispatcher(client, team):
    user = AgentFactory(
        user__username="desp", teams=[team], n1_role=AgentProfile.N1Role.DISPATCHER
    ).user
    client.force_login(user)
    return user


def test_managers_see_the_rules_in_order(client, boss):
    rule("Segundo", position=20)
    rule("Primeiro", position=10)
    response = client.get("/manager/rules/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Primeiro") < html.index("Segundo")
    assert TimeRule.objects.first().name in html  # the shipped close rule


def test_an_agent_who_is_not_a_manager_gets_403(client, team):
    client.force_login(AgentFactory(user__username="ana", teams=[team]).user)
    assert client.get("/manager/rules/").status_code == 403
    assert client.post("/manager/rules/new/", {}).status_code == 403


def test_a_manager_creates_a_trigger(client, boss):
    response = client.post(
        "/manager/rules/new/",
        post(
            "Urgente",
            conditions=[{"field": "contains", "text": "urgente"}],
            actions=[{"type": "set_priority", "priority": "urgent"}],
        ),
    )
    assert response.status_code == 302
    saved = Rule.objects.get(name="Urgente")
    assert saved.conditions == [{"field": "contains", "value": ["urgente"]}]
    assert saved.actions == [{"type": "set_priority", "priority": "urgent"}]
    assert saved.is_active


def test_an_unknown_action_is_refused_with_a_message(client, boss):
    response = client.post("/manager/rules/new/", post("X", actions=[{"type": "explode"}]))
    assert response.status_code == 200
    assert "explode is not one of the available choices" in response.content.decode()
    assert not Rule.objects.filter(name="X").exists()


def test_move_and_toggle(client, boss):
    a, b = rule("A", position=10), rule("B", position=20)
    client.post(f"/manager/rules/trigger/{b.pk}/move/up/")
    assert list(Rule.objects.values_list("name", flat=True)) == ["B", "A"]
    client.post(f"/manager/rules/trigger/{a.pk}/toggle/")
    assert not Rule.objects.get(pk=a.pk).is_active


def test_dry_run_lists_what_the_rule_then_does(client, boss, team):
    vip = CustomerFactory(segment="vip")
    matching = [ticket_in(team, customer=vip, priority="urgent") for _ in range(3)]
    ticket_in(team, priority="urgent")
    ticket_in(team, customer=vip, priority="urgent", status=Ticket.Status.CLOSED)
    urgent_vip = rule(
        "Urgente VIP",
        events=["updated"],
        conditions=[{"field": "segment", "value": "vip"}, {"field": "priority", "value": "urgent"}],
        actions=[{"type": "add_tags", "tags": ["vip-urgente"]}],
    )

    count, first = dry_run(urgent_vip)
    response = client.get(f"/manager/rules/{urgent_vip.pk}/dry-run/")

    assert count == 3
    assert {t.pk for t in first} == {t.pk for t in matching}
    assert 'data-count="3"' in response.content.decode()
    # Now the rule runs for every open ticket: it acts on exactly those.
    for ticket in Ticket.objects.exclude(status=Ticket.Status.CLOSED):
        created(ticket, "updated")
    acted = set(
        TicketEvent.objects.filter(kind=TicketEvent.Kind.RULE_RAN).values_list("ticket", flat=True)
    )
    assert acted == {t.pk for t in matching}


def test_the_dry_run_narrowed_in_the_database_finds_what_the_check_alone_finds(team, n2_team):
    from automation import conditions

    n2_team.name = "Suporte N2"
    n2_team.save()
    for channel in ("whatsapp", "email"):
        for priority in ("normal", "urgent"):
            ticket_in(team, channel=channel, priority=priority)
            ticket_in(n2_team, channel=channel, priority=priority, tier=Tier.N2)
    checks = rule(
        "whatsapp no N2, não urgente",
        conditions=[
            {"field": "channel", "value": ["WhatsApp"]},  # the check lowers what is wanted
            {"field": "tier", "value": "n2"},
            {"field": "team", "value": ["suporte n2"]},
            {"field": "priority", "value": ["urgent"], "negate": True},
        ],
    )
    every = Ticket.objects.exclude(status=Ticket.Status.CLOSED).select_related(
        "customer__organization", "team"
    )
    expected = [
        facts.ticket.pk
        for facts in conditions.facts_for(list(every), with_text=False)
        if conditions.matches(checks.conditions, facts)
    ]

    count, first = dry_run(checks)

    assert count == len(expected) == 1
    assert [ticket.pk for ticket in first] == expected


def test_dry_run_shows_at_most_20(team):
    for _ in range(23):
        ticket_in(team)
    count, first = dry_run(rule("all"))
    assert (count, len(first)) == (23, 20)


def test_the_dispatch_queue_lists_unrouted_tickets_with_the_suggested_team_and_why(
    client, dispatcher, team
):
    fiscal = TeamFactory(name="Financeiro", tier=Tier.N1)
    rule(
        "Fiscal",
        conditions=[{"field": "contains", "value": "nota fiscal"}],
        actions=[{"type": "set_team", "team": "Financeiro"}],
    )
    waiting = ticket_in(team, subject="Erro na nota fiscal")
    other = ticket_in(team, subject="Senha")
    ticket_in(team, assignee=dispatcher)  # routed already

    response = client.get("/agent/dispatch/")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="dispatch-row"') == 2
    row = html[html.index(f'data-ticket="{waiting.number}"') :]
    assert f'value="{fiscal.pk}" data-suggested' in row
    assert "suggested by rule &#x27;Fiscal&#x27;" in row or "suggested by rule 'Fiscal'" in row
    assert f'data-ticket="{other.number}"' in html


def test_routing_from_the_queue_moves_the_ticket_and_applies_the_team_policy(
    client, dispatcher, team
):
    fiscal = TeamFactory(name="Financeiro", tier=Tier.N1)
    TeamRouting.objects.create(team=fiscal, policy=TeamRouting.Policy.LEAST_LOADED)
    agent = online_agent(fiscal, username="contadora")
    ticket = ticket_in(team)

    response = client.post(f"/agent/dispatch/{ticket.number}/route/", {"team": fiscal.pk})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.team, ticket.assignee) == (fiscal, agent)


def test_routing_to_a_higher_tier_escalates_with_a_reason(client, dispatcher, team, n2_team):
    ticket = ticket_in(team)
    client.post(f"/agent/dispatch/{ticket.number}/route/", {"team": n2_team.pk})
    ticket.refresh_from_db()
    assert (ticket.tier, ticket.team) == ("N2", n2_team)
    assert ticket.events.get(kind=TicketEvent.Kind.ESCALATED).reason


def test_a_solver_cannot_use_the_dispatch_queue(client, team):
    client.force_login(AgentFactory(user__username="solver", teams=[team]).user)
    ticket = ticket_in(team)
    assert client.get("/agent/dispatch/").status_code == 403
    assert (
        client.post(f"/agent/dispatch/{ticket.number}/route/", {"team": team.pk}).status_code == 403
    )


def test_a_ticket_routed_by_a_rule_or_a_person_leaves_the_queue(client, dispatcher, team):
    moved = ticket_in(team)
    confirmed = ticket_in(team)
    rule("Mover", actions=[{"type": "set_team", "team": "Outra"}])
    TeamFactory(name="Outra", tier=Tier.N1)
    created(moved)
    client.post(f"/agent/dispatch/{confirmed.number}/route/", {"team": team.pk})

    html = client.get("/agent/dispatch/").content.decode()
    assert f'data-ticket="{moved.number}"' not in html
    assert f'data-ticket="{confirmed.number}"' not in html
    confirmed.refresh_from_db()
    assert confirmed.team == team
