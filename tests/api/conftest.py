import pytest
from rest_framework.test import APIClient

from api.models import ALL_SCOPES
from api.tokens import api_token_create


@pytest.fixture
def make_token():
    def make(user, scopes=ALL_SCOPES, **kwargs):
        return api_token_create(user=user, scopes=list(scopes), **kwargs)[1]

    return make


@pytest.fixture
def api(make_token):
    """An API client acting with a token of `user` (all scopes unless given)."""

    def client(user=None, scopes=ALL_SCOPES, raw=None):
        api_client = APIClient()
        if user is not None or raw is not None:
            raw = raw or make_token(user, scopes)
            api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return api_client

    return client
