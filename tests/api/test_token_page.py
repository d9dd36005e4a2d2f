"""The agent's API tokens page: create (shown once), list, revoke; agents only, own tokens only."""

import pytest

from api.models import ApiToken
from api.tokens import api_token_create, token_digest

pytestmark = pytest.mark.django_db


def test_agent_creates_a_token_shown_once(client, n1_agent):
    client.force_login(n1_agent)
    page = client.post(
        "/agent/api-tokens/",
        {"name": "CRM", "scope_tickets": "write", "scope_customers": "read", "expires_in_days": 30},
    )
    assert page.status_code == 200
    raw = page.context["created"]
    token = ApiToken.objects.get(digest=token_digest(raw))
    assert token.scopes == ["customers:read", "tickets:write"]
    assert token.user == n1_agent
    again = client.get("/agent/api-tokens/")
    assert raw not in again.content.decode()
    assert token.prefix in again.content.decode()


def test_agent_revokes_only_their_own_tokens(client, n1_agent, n3_agent):
    mine = api_token_create(user=n1_agent, scopes=["tickets:read"])[0]
    theirs = api_token_create(user=n3_agent, scopes=["tickets:read"])[0]
    client.force_login(n1_agent)
    assert client.post(f"/agent/api-tokens/{theirs.pk}/revoke/").status_code == 404
    client.post(f"/agent/api-tokens/{mine.pk}/revoke/")
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None
    assert theirs.revoked_at is None


def test_the_page_is_for_agents(client, ticket):
    from tests.tickets.factories import CustomerFactory, UserFactory

    user = UserFactory(username="cliente")
    CustomerFactory(user=user)
    client.force_login(user)
    assert client.get("/agent/api-tokens/").status_code == 404
    client.logout()
    assert client.get("/agent/api-tokens/").status_code == 302
