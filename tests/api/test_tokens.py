"""API tokens: shown once and stored as a digest, scoped, expiring, revocable; the command."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiToken
from api.tokens import api_token_create, api_token_revoke, token_digest
from tests.tickets.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_token_is_stored_only_as_its_sha256_digest(n1_agent):
    token, raw = api_token_create(user=n1_agent, scopes=["tickets:read"])
    assert raw.startswith("jrn_")
    assert len(raw) > 40
    assert token.digest == token_digest(raw)
    assert raw not in str(ApiToken.objects.filter(pk=token.pk).values().get())


def test_bearer_token_acts_as_its_user(api, n1_agent, ticket):
    response = api(n1_agent).get(f"/api/v1/tickets/{ticket.number}")
    assert response.status_code == 200


def test_missing_or_wrong_token_answers_401_in_the_error_shape(api, ticket):
    assert api().get("/api/v1/tickets").status_code in (401, 403)
    wrong = api(raw="jrn_not-a-token").get("/api/v1/tickets")
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "authentication_failed"
    assert wrong["WWW-Authenticate"] == "Bearer"


def test_revoked_and_expired_tokens_are_refused(api, n1_agent):
    token, raw = api_token_create(user=n1_agent, scopes=["tickets:read"])
    assert api(raw=raw).get("/api/v1/tickets").status_code == 200
    api_token_revoke(token=token)
    assert api(raw=raw).get("/api/v1/tickets").status_code == 401
    old, old_raw = api_token_create(user=n1_agent, scopes=["tickets:read"], expires_in_days=1)
    ApiToken.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api(raw=old_raw).get("/api/v1/tickets").status_code == 401


def test_inactive_user_token_is_refused(api, n1_agent):
    raw = api_token_create(user=n1_agent, scopes=["tickets:read"])[1]
    n1_agent.is_active = False
    n1_agent.save()
    assert api(raw=raw).get("/api/v1/tickets").status_code == 401


def test_scope_narrows_the_user(api, n1_agent, ticket):
    reader = api(n1_agent, scopes=["tickets:read"])
    assert reader.get("/api/v1/tickets").status_code == 200
    refused = reader.post(f"/api/v1/tickets/{ticket.number}/claim")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert api(n1_agent, scopes=["customers:read"]).get("/api/v1/tickets").status_code == 403


def test_last_used_is_written_at_most_once_a_minute(api, n1_agent, django_assert_num_queries):
    token, raw = api_token_create(user=n1_agent, scopes=["tickets:read"])
    client = api(raw=raw)
    client.get("/api/v1/tickets")
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    client.get("/api/v1/tickets")
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    client.get("/api/v1/tickets")
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first - timedelta(minutes=2)


def test_customer_with_a_token_is_refused(api, ticket):
    user = UserFactory(username="cliente")
    CustomerFactory(user=user)
    assert api(user).get("/api/v1/tickets").status_code == 403
    assert api(user).get(f"/api/v1/tickets/{ticket.number}").status_code == 403


def test_session_auth_needs_the_csrf_token(n1_agent, ticket):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(n1_agent)
    assert client.get(f"/api/v1/tickets/{ticket.number}").status_code == 200
    refused = client.post(f"/api/v1/tickets/{ticket.number}/claim")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["error"]["message"]


def test_create_api_token_prints_the_token_last(n1_agent):
    out = StringIO()
    call_command(
        "create_api_token",
        "--user",
        "n1",
        "--scopes",
        "tickets:write",
        "--expires",
        "30",
        stdout=out,
    )
    raw = out.getvalue().strip().splitlines()[-1].split()[-1]
    token = ApiToken.objects.get(digest=token_digest(raw))
    assert token.scopes == ["tickets:write"]
    assert token.expires_at > timezone.now() + timedelta(days=29)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/tickets").status_code == 200


def test_create_api_token_refuses_unknown_scopes(n1_agent):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("create_api_token", "--user", "n1", "--scopes", "everything:write")
