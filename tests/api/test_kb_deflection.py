"""POST /api/v1/kb/suggestions-shown: the portal's new-request form records the suggestions it
showed; the token it answers goes back with the request (deflection_record_submitted). Only
our own pages may call it (CSRF, for anonymous callers too)."""

import pytest
from django.core.cache import cache
from django.test import Client

from knowledge_base import services
from knowledge_base.models import Deflection

pytestmark = pytest.mark.django_db
URL = "/api/v1/kb/suggestions-shown"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def browser():
    """A browser on one of our pages: it has the CSRF cookie and sends the token back."""
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.get("/portal/kb/")
    client.defaults["HTTP_X_CSRFTOKEN"] = client.cookies["csrftoken"].value
    return client


def post(client, **data):
    return client.post(URL, data, content_type="application/json")


def test_the_first_call_opens_a_record_and_answers_its_token(browser):
    response = post(browser, lang="pt-br", query="cancelar", article_ids=[3, 4])

    assert response.status_code == 200
    deflection = Deflection.objects.get()
    assert response.json() == {"token": deflection.token}
    assert (deflection.shown, deflection.article_ids) == (1, [3, 4])


def test_later_calls_of_the_session_add_to_the_same_record(browser):
    token = post(browser, lang="pt-br", query="can", article_ids=[3]).json()["token"]

    again = post(browser, lang="pt-br", query="cancelar", article_ids=[5])
    without_token = post(browser, token=token, lang="pt-br", query="cancelar", article_ids=[6])

    assert again.json()["token"] == token == without_token.json()["token"]
    assert Deflection.objects.get().shown == 3


def test_another_browser_cannot_add_to_a_record_with_its_token(browser):
    token = post(browser, lang="pt-br", query="x", article_ids=[3]).json()["token"]
    stranger = Client(enforce_csrf_checks=True)
    stranger.get("/portal/kb/")
    stranger.defaults["HTTP_X_CSRFTOKEN"] = stranger.cookies["csrftoken"].value

    response = post(stranger, token=token, lang="pt-br", query="y", article_ids=[4])

    assert response.json()["token"] != token
    assert Deflection.objects.get(token=token).shown == 1


def test_the_portal_marks_the_record_submitted_with_the_token(browser):
    token = post(browser, lang="pt-br", query="x", article_ids=[3]).json()["token"]

    assert services.deflection_record_submitted(token=token)
    assert Deflection.objects.get().submitted_at is not None


def test_a_call_without_the_csrf_token_is_refused():
    """Another site cannot make a visitor's browser record suggestions."""
    client = Client(enforce_csrf_checks=True)

    response = post(client, lang="pt-br", query="x", article_ids=[3])

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not Deflection.objects.exists()


def test_invalid_input_answers_the_api_error_shape(browser):
    response = post(browser, lang="pt-br", article_ids=["x"])

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"article_ids"}


def test_only_post_is_allowed(browser):
    response = browser.get(URL)

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
