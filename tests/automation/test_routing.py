"""Routing a new ticket to an agent of its team: policies, availability, capacity, language,
skills."""

from datetime import timedelta

from django.utils import timezone

from automation.models import TeamRouting
from tests.automation.conftest import created, online_agent, ticket_in
from tickets.models import AgentProfile, Channel, Ticket, TicketEvent


def test_least_loaded_gives_the_ticket_to_the_agent_with_fewest_open_tickets(team):
    busy = online_agent(team, username="busy")
    free = online_agent(team, username="free")
    ticket_in(team, assignee=busy)

    ticket = ticket_in(team)
    created(ticket)

    ticket.refresh_from_db()
    assert ticket.assignee == free
    assert ticket.events.filter(kind=TicketEvent.Kind.ASSIGNED, actor=None).exists()


def test_manual_policy_leaves_the_ticket_in_the_queue(team):
    TeamRouting.objects.filter(team=team).update(policy=TeamRouting.Policy.MANUAL)
    online_agent(team, username="ana")
    ticket = ticket_in(team)

    created(ticket)

    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_round_robin_takes_the_online_agents_in_turn(team):
    TeamRouting.objects.filter(team=team).update(policy=TeamRouting.Policy.ROUND_ROBIN)
    a = online_agent(team, username="a")
    b = online_agent(team, username="b")
    got = []
    for _ in range(4):
        ticket = ticket_in(team)
        created(ticket)
        ticket.refresh_from_db()
        got.append(ticket.assignee.username)
    assert got == [a.username, b.username, a.username, b.username]


def test_away_and_stale_agents_are_skipped(team):
    away = online_agent(team, username="away")
    AgentProfile.objects.filter(user=away).update(availability=AgentProfile.Availability.AWAY)
    stale = online_agent(team, username="stale")
    AgentProfile.objects.filter(user=stale).update(last_seen_at=timezone.now() - timedelta(hours=1))
    ticket = ticket_in(team)

    created(ticket)

    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_an_agent_at_capacity_is_skipped(team):
    full = online_agent(team, username="full", capacity=1)
    ticket_in(team, assignee=full)
    other = online_agent(team, username="other", capacity=5)
    for _ in range(2):
        ticket_in(team, assignee=other)
    ticket = ticket_in(team)

    created(ticket)

    ticket.refresh_from_db()
    assert ticket.assignee == other


def test_solved_tickets_do_not_count_against_capacity(team):
    agent = online_agent(team, username="ana", capacity=1)
    ticket_in(team, assignee=agent, status=Ticket.Status.SOLVED)
    ticket = ticket_in(team)

    created(ticket)

    ticket.refresh_from_db()
    assert ticket.assignee == agent


def test_chats_count_against_chat_capacity_apart_from_tickets(team):
    agent = online_agent(team, username="ana", capacity=1, chat_capacity=1)
    ticket_in(team, assignee=agent, channel=Channel.CHAT)  # one chat: chats full
    email = ticket_in(team)
    created(email)
    email.refresh_from_db()
    assert email.assignee == agent  # tickets still had a slot

    chat = ticket_in(team, channel=Channel.CHAT)
    created(chat)
    chat.refresh_from_db()
    assert chat.assignee is None


def test_an_english_ticket_goes_to_an_agent_who_speaks_english(team):
    online_agent(team, username="pt", languages="pt-br")
    en = online_agent(team, username="en", languages="pt-br,en")
    online_agent(team, username="pt2", languages="pt-br")
    ticket = ticket_in(team, language="en")

    created(ticket)

    ticket.refresh_from_db()
    assert ticket.assignee == en


def test_a_tagged_ticket_goes_to_an_agent_with_that_skill(team):
    from tickets import services

    online_agent(team, username="generalist")
    fiscal = online_agent(team, username="fiscal", skills="fiscal, boleto")
    ticket = ticket_in(team)
    services.ticket_tag(ticket=ticket, by=None, add=["fiscal"])

    created(ticket)

    ticket.refresh_from_db()
    assert ticket.assignee == fiscal


def test_an_agent_below_the_ticket_tier_is_skipped(team, n2_team):
    from tickets.models import Tier

    TeamRouting.objects.create(team=n2_team, policy=TeamRouting.Policy.LEAST_LOADED)
    online_agent(n2_team, username="n1-in-n2", tier=Tier.N1)
    n2 = online_agent(n2_team, username="n2", tier=Tier.N2)
    ticket = ticket_in(n2_team, tier=Tier.N2)

    created(ticket)

    ticket.refresh_from_db()
    assert ticket.assignee == n2
