"""A request that finds the database unreachable gets a translated 503 page with Retry-After
(providers retry a webhook answered 503), never a 500. The PostgreSQL restart drill
(tests/drills/test_postgres_restart.py) shows it with a real database going away."""

import pytest
from django.db import InterfaceError, OperationalError
from django.test import RequestFactory
from django.utils import translation

from helpdesk.middleware import DatabaseUnavailable


def answer(exception):
    middleware = DatabaseUnavailable(lambda request: None)
    return middleware.process_exception(RequestFactory().get("/agent/"), exception)


@pytest.mark.parametrize("exception", [OperationalError("server closed"), InterfaceError("gone")])
def test_a_database_that_cannot_be_reached_is_a_503_with_retry_after(exception):
    response = answer(exception)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert b"cannot reach its database" in response.content


def test_the_page_speaks_the_visitors_language():
    with translation.override("pt-br"):
        response = answer(OperationalError("server closed"))

    assert "Temporariamente indisponível".encode() in response.content


def test_other_errors_are_left_to_the_500_page():
    assert answer(ValueError("a bug")) is None
