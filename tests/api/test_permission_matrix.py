"""Every endpoint × who asks: anonymous, a customer, an N1 and an N3 agent, a manager, and a
token with and without the endpoint's scope. Nothing leaks: tickets, customers and
attachments out of reach answer 404 whether they exist or not (no id guessing)."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from api.tokens import api_token_create
from tests.knowledge_base.factories import ArticleFactory, CategoryFactory
from tests.sla.factories import SLAPolicyFactory
from tests.tickets.factories import (
    AgentFactory,
    CannedResponseFactory,
    CustomerFactory,
    OrganizationFactory,
    TeamFactory,
    UserFactory,
    make_attachment,
    make_ticket,
)
from tickets import services
from tickets.models import Tier

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(teams, n1_agent, n3_agent, manager):
    cache.clear()
    org = OrganizationFactory(name="Loja")
    visible_customer = CustomerFactory(name="Visível", organization=org)
    hidden_org = OrganizationFactory(name="Oculta")
    hidden_customer = CustomerFactory(name="Oculto", organization=hidden_org)
    other_team = TeamFactory(name="Financeiro", tier=Tier.N1)
    mine = make_ticket(customer=visible_customer, team=teams[Tier.N1])
    hidden = make_ticket(customer=hidden_customer, team=other_team)
    note = services.note_add(
        ticket=hidden, by=manager, body_text="x", attachments=[make_attachment()]
    )
    visible_note = services.note_add(
        ticket=mine, by=n1_agent, body_text="y", attachments=[make_attachment()]
    )
    customer_user = UserFactory(username="cliente")
    CustomerFactory(user=customer_user, name="Cliente")
    return {
        "mine": mine,
        "hidden": hidden,
        "visible_customer": visible_customer,
        "hidden_customer": hidden_customer,
        "org": org,
        "hidden_org": hidden_org,
        "hidden_attachment": note.attachments.get(),
        "visible_attachment": visible_note.attachments.get(),
        "canned": CannedResponseFactory(owner=None),
        "category": CategoryFactory(),
        "article": ArticleFactory(),
        "policy": SLAPolicyFactory(),
        "customer_user": customer_user,
    }


# (method, path template, scope resource, level). Templates use the world's objects.
READS = [
    ("get", "/api/v1/tickets", "tickets"),
    ("get", "/api/v1/tickets/{mine.number}", "tickets"),
    ("get", "/api/v1/tickets/{mine.number}/messages", "messages"),
    ("get", "/api/v1/tickets/{mine.number}/sla", "sla"),
    ("get", "/api/v1/attachments/{visible_attachment.pk}", "messages"),
    ("get", "/api/v1/attachments/{visible_attachment.pk}/download", "messages"),
    ("get", "/api/v1/customers", "customers"),
    ("get", "/api/v1/customers/{visible_customer.pk}", "customers"),
    ("get", "/api/v1/organizations", "organizations"),
    ("get", "/api/v1/organizations/{org.pk}", "organizations"),
    ("get", "/api/v1/teams", "teams"),
    ("get", "/api/v1/agents", "teams"),
    ("get", "/api/v1/tags", "tags"),
    ("get", "/api/v1/canned-responses", "canned_responses"),
    ("get", "/api/v1/canned-responses/{canned.pk}", "canned_responses"),
    ("get", "/api/v1/kb/categories", "kb"),
    ("get", "/api/v1/kb/categories/{category.pk}", "kb"),
    ("get", "/api/v1/kb/articles", "kb"),
    ("get", "/api/v1/kb/articles/{article.pk}", "kb"),
    ("get", "/api/v1/sla/policies", "sla"),
    ("get", "/api/v1/sla/policies/{policy.pk}", "sla"),
    ("get", "/api/v1/surveys/responses", "surveys"),
    ("get", "/api/v1/surveys/report", "surveys"),
]
WRITES = [
    (
        "post",
        "/api/v1/tickets",
        "tickets",
        {"requester": {"kind": "email", "value": "a@b.com"}, "subject": "Oi"},
    ),
    ("patch", "/api/v1/tickets/{mine.number}", "tickets", {"priority": "high"}),
    ("post", "/api/v1/tickets/{mine.number}/note", "messages", {"body": "nota"}),
    ("post", "/api/v1/tickets/{mine.number}/reply", "messages", {"body": "oi"}),
    ("post", "/api/v1/tickets/{mine.number}/claim", "tickets", {}),
    ("post", "/api/v1/tickets/{mine.number}/status", "tickets", {"status": "open"}),
    ("post", "/api/v1/canned-responses", "canned_responses", {"title": "t", "body": "b"}),
]
# Out of reach for an N1 agent of the N1 team: each must answer 404, like an id that never was.
HIDDEN = [
    ("get", "/api/v1/tickets/{hidden.number}", "tickets", None),
    ("get", "/api/v1/tickets/{hidden.number}/messages", "messages", None),
    ("get", "/api/v1/tickets/{hidden.number}/sla", "sla", None),
    ("post", "/api/v1/tickets/{hidden.number}/claim", "tickets", {}),
    ("post", "/api/v1/tickets/{hidden.number}/note", "messages", {"body": "x"}),
    ("patch", "/api/v1/tickets/{hidden.number}", "tickets", {"priority": "high"}),
    ("post", "/api/v1/tickets/{mine.number}/merge", "tickets", {"ticket": "{hidden.number}"}),
    ("post", "/api/v1/tickets/{mine.number}/link", "tickets", {"ticket": "{hidden.number}"}),
    ("get", "/api/v1/attachments/{hidden_attachment.pk}", "messages", None),
    ("get", "/api/v1/attachments/{hidden_attachment.pk}/download", "messages", None),
    ("get", "/api/v1/customers/{hidden_customer.pk}", "customers", None),
    (
        "post",
        "/api/v1/customers/{visible_customer.pk}/merge",
        "customers",
        {"into": "{hidden_customer.pk}"},
    ),
    ("get", "/api/v1/organizations/{hidden_org.pk}", "organizations", None),
]
NEVER = [
    ("get", "/api/v1/tickets/99999999", "tickets", None),
    ("get", "/api/v1/attachments/99999999", "messages", None),
    ("get", "/api/v1/customers/99999999", "customers", None),
    ("get", "/api/v1/organizations/99999999", "organizations", None),
]


def _fill(value, world):
    if isinstance(value, str):
        return value.format(**world)
    if isinstance(value, dict):
        return {
            k: int(_fill(v, world)) if isinstance(v, str) and v.startswith("{") else v
            for k, v in value.items()
        }
    return value


def _call(client, method, path, body, world):
    return getattr(client, method)(_fill(path, world), _fill(body, world), format="json")


def _client(user=None, scopes=None):
    client = APIClient()
    if user is not None and scopes is not None:
        raw = api_token_create(user=user, scopes=scopes)[1]
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    elif user is not None:
        client.force_authenticate(user)
    return client


ENDPOINTS = [(m, p, s, None) for m, p, s in READS] + WRITES


@pytest.mark.parametrize(("method", "path", "scope", "body"), ENDPOINTS)
def test_anonymous_is_refused_everywhere(world, method, path, scope, body):
    response = _call(_client(), method, path, body, world)
    assert response.status_code in (401, 403)
    assert set(response.json()["error"]) == {"code", "message", "fields"}


@pytest.mark.parametrize(("method", "path", "scope", "body"), ENDPOINTS)
def test_a_customer_is_refused_everywhere(world, method, path, scope, body):
    client = _client(world["customer_user"], scopes=[f"{scope}:write"])
    assert _call(client, method, path, body, world).status_code == 403


@pytest.mark.parametrize(("method", "path", "scope", "body"), ENDPOINTS)
@pytest.mark.parametrize("who", ["n1_agent", "n3_agent", "manager"])
def test_agents_reach_every_endpoint(world, request, who, method, path, scope, body):
    user = request.getfixturevalue(who)
    response = _call(_client(user), method, path, body, world)
    if who == "n3_agent" and "{mine" in path:  # an N1 team's ticket: not the N3 agent's
        assert response.status_code == 404
        return
    if (who == "n3_agent" and "{visible_" in path) or (who == "n3_agent" and "{org" in path):
        assert response.status_code == 404
        return
    assert response.status_code in (200, 201), (who, path, response.content[:300])


@pytest.mark.parametrize(("method", "path", "scope", "body"), ENDPOINTS)
def test_token_needs_the_scope(world, n1_agent, method, path, scope, body):
    level = "read" if method == "get" else "write"
    other = "teams:read" if scope != "teams" else "tags:read"
    without = _call(_client(n1_agent, scopes=[other]), method, path, body, world)
    assert without.status_code == 403
    with_scope = _call(_client(n1_agent, scopes=[f"{scope}:{level}"]), method, path, body, world)
    assert with_scope.status_code in (200, 201), (path, with_scope.content[:300])
    if level == "write":
        read_only = _call(_client(n1_agent, scopes=[f"{scope}:read"]), method, path, body, world)
        assert read_only.status_code == 403


@pytest.mark.parametrize(("method", "path", "scope", "body"), HIDDEN + NEVER)
def test_out_of_reach_is_not_found_like_what_never_existed(
    world, n1_agent, method, path, scope, body
):
    response = _call(_client(n1_agent), method, path, body, world)
    assert response.status_code == 404, (path, response.content[:300])
    assert response.json()["error"]["code"] == "not_found"


def test_lists_hold_nothing_out_of_reach(world, n1_agent):
    client = _client(n1_agent)
    tickets = {t["number"] for t in client.get("/api/v1/tickets").json()["results"]}
    assert world["hidden"].number not in tickets
    customers = {c["id"] for c in client.get("/api/v1/customers").json()["results"]}
    assert world["hidden_customer"].pk not in customers
    assert world["visible_customer"].pk in customers
    organizations = {o["id"] for o in client.get("/api/v1/organizations").json()["results"]}
    assert organizations == {world["org"].pk}
    by_customer = client.get("/api/v1/tickets", {"customer": world["hidden_customer"].pk})
    assert by_customer.json()["results"] == []


def test_metrics_are_for_managers_and_team_leads(world, n1_agent, manager, teams):
    assert _client(n1_agent).get("/api/v1/metrics").status_code == 403
    assert _client(manager).get("/api/v1/metrics").status_code == 200
    lead = AgentFactory(user__username="lead", tier=Tier.N1, teams=[teams[Tier.N1]])
    teams[Tier.N1].leads.add(lead)
    assert _client(lead.user).get("/api/v1/metrics").status_code == 200
    assert _client(manager, scopes=["tickets:read"]).get("/api/v1/metrics").status_code == 403
    assert _client(manager, scopes=["metrics:read"]).get("/api/v1/metrics").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nothing-here",
        "/api/v1/attachments/y%C2%B599%15%C3%9C%0A%C3%94o/download",  # a newline in the id
        "/api/v1/tickets/%0A",
    ],
)
def test_a_path_that_matches_nothing_answers_in_the_api_error_shape(world, n1_agent, path):
    response = _client(n1_agent).get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"
