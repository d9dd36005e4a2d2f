"""The bulk-action and saved-view services; their pages are tested in
tests/workspace/test_bulk_page.py."""

import pytest

from tests.tickets.factories import AgentFactory, TeamFactory, make_ticket
from tickets import services
from tickets.errors import InvalidChoice, InvalidMerge
from tickets.models import SavedView, Ticket, TicketEvent, Tier

S = Ticket.Status


def refreshed(tickets):
    return [Ticket.objects.get(pk=t.pk) for t in tickets]


# --- The service ---------------------------------------------------------------------------------


def test_bulk_assign_to_an_agent_goes_through_the_assign_service(n1_agent, three):
    result = services.tickets_bulk_apply(
        agent=n1_agent, ticket_ids=[t.pk for t in three], action="assign", assignee=n1_agent
    )

    assert sorted(result.updated) == sorted(t.number for t in three)
    assert all(t.assignee_id == n1_agent.pk for t in refreshed(three))
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.ASSIGNED).count() == 3


def test_bulk_unassign(n1_agent, teams, customer):
    tickets = [
        make_ticket(customer=customer, team=teams[Tier.N1], assignee=n1_agent) for _ in range(2)
    ]

    services.tickets_bulk_apply(
        agent=n1_agent, ticket_ids=[t.pk for t in tickets], action="assign", assignee=None
    )

    assert all(t.assignee_id is None for t in refreshed(tickets))


def test_a_refusal_on_one_ticket_leaves_the_others_changed(n1_agent, three):
    closed = three[0]
    Ticket.objects.filter(pk=closed.pk).update(status=S.CLOSED)

    result = services.tickets_bulk_apply(
        agent=n1_agent, ticket_ids=[t.pk for t in three], action="status", status=S.PENDING
    )

    assert sorted(result.updated) == sorted(t.number for t in three[1:])
    assert [number for number, _ in result.failed] == [closed.number]
    assert "cannot go from “Closed” to “Pending" in result.failed[0][1]
    assert [t.status for t in refreshed(three)] == [S.CLOSED, S.PENDING, S.PENDING]
    assert not TicketEvent.objects.filter(ticket=closed, kind="status_changed").exists()


def test_bulk_assign_respects_tiers_ticket_by_ticket(n1_agent, n2_agent, teams, customer):
    n1_ticket = make_ticket(customer=customer, team=teams[Tier.N1])
    n2_ticket = make_ticket(customer=customer, team=teams[Tier.N1], tier=Tier.N2)
    manager = AgentFactory(tier=Tier.N3, is_manager=True).user

    result = services.tickets_bulk_apply(
        agent=manager, ticket_ids=[n1_ticket.pk, n2_ticket.pk], action="assign", assignee=n1_agent
    )

    assert result.updated == [n1_ticket.number]
    assert [number for number, _ in result.failed] == [n2_ticket.number]


def test_bulk_tags_and_priority(n1_agent, three):
    ids = [t.pk for t in three]

    services.tickets_bulk_apply(
        agent=n1_agent, ticket_ids=ids, action="tag", tags=["Boleto", "vip"]
    )
    services.tickets_bulk_apply(agent=n1_agent, ticket_ids=ids, action="priority", priority="high")

    for ticket in refreshed(three):
        assert sorted(ticket.tags.values_list("name", flat=True)) == ["boleto", "vip"]
        assert ticket.priority == "high"


def test_bulk_merge_folds_the_selection_into_the_oldest(n1_agent, three):
    result = services.tickets_bulk_apply(
        agent=n1_agent, ticket_ids=[t.pk for t in three], action="merge"
    )

    oldest, *others = sorted(three, key=lambda t: t.number)
    assert result.merged_into == oldest.number
    assert sorted(result.updated) == sorted(t.number for t in others)
    for ticket in refreshed(others):
        assert ticket.status == S.CLOSED
        assert ticket.merged_into_id == oldest.pk


def test_bulk_merge_into_a_chosen_ticket(n1_agent, three):
    target = three[-1]

    result = services.tickets_bulk_apply(
        agent=n1_agent,
        ticket_ids=[t.pk for t in three],
        action="merge",
        target_number=target.number,
    )

    assert result.merged_into == target.number
    assert Ticket.objects.get(pk=target.pk).status == S.NEW


def test_bulk_merge_needs_a_target_the_agent_can_see(n1_agent, three):
    foreign = make_ticket(team=TeamFactory(name="Financeiro"))

    with pytest.raises(InvalidMerge):
        services.tickets_bulk_apply(
            agent=n1_agent,
            ticket_ids=[t.pk for t in three],
            action="merge",
            target_number=foreign.number,
        )
    assert all(t.status == S.NEW for t in refreshed(three))


def test_tickets_outside_the_agents_scope_are_refused(n1_agent, three):
    foreign = make_ticket(team=TeamFactory(name="Financeiro"))

    result = services.tickets_bulk_apply(
        agent=n1_agent, ticket_ids=[three[0].pk, foreign.pk], action="status", status=S.SOLVED
    )

    assert result.updated == [three[0].number]
    assert result.out_of_reach == 1
    assert Ticket.objects.get(pk=foreign.pk).status == S.NEW


def test_an_unknown_action_or_value_is_refused_before_anything_changes(n1_agent, three):
    ids = [t.pk for t in three]

    with pytest.raises(InvalidChoice):
        services.tickets_bulk_apply(agent=n1_agent, ticket_ids=ids, action="delete")
    with pytest.raises(InvalidChoice):
        services.tickets_bulk_apply(agent=n1_agent, ticket_ids=ids, action="status", status="x")
    assert all(t.status == S.NEW for t in refreshed(three))


# --- Saved views ---------------------------------------------------------------------------------


def test_saving_under_the_same_name_replaces_the_query(n1_agent):
    services.saved_view_create(owner=n1_agent, name="Minha", query="view=mine")
    services.saved_view_create(owner=n1_agent, name="Minha", query="view=sla")

    assert list(SavedView.objects.values_list("name", "query")) == [("Minha", "view=sla")]
