import pytest
from django.utils import timezone

from automation.engine import Work, process
from automation.models import AgentRouting, Rule, TeamRouting
from tests.tickets.factories import AgentFactory, CustomerFactory, TeamFactory, make_ticket
from tickets.models import AgentProfile, Tier


def online_agent(team, *, username, tier=Tier.N1, capacity=20, skills="", languages="pt-br",
                 chat_capacity=3):  # fmt: skip
    profile = AgentFactory(
        user__username=username,
        tier=tier,
        teams=[team],
        languages=languages,
        chat_capacity=chat_capacity,
        availability=AgentProfile.Availability.ONLINE,
        last_seen_at=timezone.now(),
    )
    AgentRouting.objects.create(profile=profile, ticket_capacity=capacity, skills=skills)
    return profile.user


@pytest.fixture
def team(db):
    team = TeamFactory(name="Atendimento N1", tier=Tier.N1)
    TeamRouting.objects.create(team=team, policy=TeamRouting.Policy.LEAST_LOADED)
    return team


@pytest.fixture
def n2_team(db):
    return TeamFactory(name="Suporte N2", tier=Tier.N2)


def created(ticket, *kinds):
    """Run the rules as the task would for these events of the ticket (default: created)."""
    return process([Work(ticket.pk, set(kinds or {"created"}))])


def rule(name="R", *, events=("created",), conditions=(), actions=(), **fields):
    return Rule.objects.create(
        name=name, events=list(events), conditions=list(conditions), actions=list(actions),
        **fields,
    )  # fmt: skip


def ticket_in(team, **fields):
    customer = fields.pop("customer", None) or CustomerFactory()
    ticket = make_ticket(customer=customer, **fields)
    if ticket.team_id != team.pk:
        type(ticket).objects.filter(pk=ticket.pk).update(team=team)
        ticket.refresh_from_db()
    return ticket


def rows(prefix: str, items: list[dict], *, initial: int = 0) -> dict:
    """The POST fields of a formset of the rule editor."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(items)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, item in enumerate(items):
        for key, value in item.items():
            data[f"{prefix}-{index}-{key}"] = value
    return data


def post(name="Regra", *, conditions=(), actions=(), initial=(0, 0), **fields):
    return {
        "name": name,
        "events": ["created"],
        "is_active": "on",
        **rows("conditions", list(conditions), initial=initial[0]),
        **rows("actions", list(actions), initial=initial[1]),
        **fields,
    }
