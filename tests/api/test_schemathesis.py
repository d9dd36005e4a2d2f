"""Schemathesis against /api/schema/: generated requests to every operation, as a manager with a
token of every scope (allowed to own webhook subscriptions, so that those operations answer too),
never get a 5xx and always get answers the schema describes (status codes, content types, bodies
and headers). Examples per operation:
JORNADA_SCHEMATHESIS_EXAMPLES (default 5; CI's schemathesis leg runs more)."""

import os

import pytest
import schemathesis
from django.contrib.auth.models import Permission
from django.core import signals
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks

from api.models import ALL_SCOPES
from api.tokens import api_token_create
from tests.tickets.factories import make_attachment, make_ticket
from tickets import services
from tickets.models import Tier
from webhooks import services as webhooks
from webhooks.models import WebhookDelivery

EXAMPLES = int(os.environ.get("JORNADA_SCHEMATHESIS_EXAMPLES", "5"))
pytestmark = [pytest.mark.django_db, pytest.mark.schemathesis]


@pytest.fixture
def api_schema(db, teams, manager, customer, settings, django_capture_on_commit_callbacks):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "api_token": "1000000/min",
            "api_address": "1000000/min",
        },
    }
    cache.clear()
    manager.user_permissions.add(Permission.objects.get(codename="add_webhooksubscription"))
    with django_capture_on_commit_callbacks(execute=True):  # the outbox learns of it
        webhooks.webhook_subscription_create(
            owner=manager, url="https://erp.example/hooks", events=["ticket.created"]
        )
    ticket = make_ticket(customer=customer, team=teams[Tier.N1])
    webhooks.webhook_outbox_fan_out()  # a delivery to read and redeliver
    assert WebhookDelivery.objects.exists()
    services.note_add(ticket=ticket, by=manager, body_text="x", attachments=[make_attachment()])
    # The WSGI handler closes the database connection after each request, as in production;
    # here that would close the test's own transaction (Django's test client does the same).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def manager_token(manager):
    return api_token_create(user=manager, scopes=list(ALL_SCOPES))[1]


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.include(path_regex="^/api/v1/(?!kb/suggest)").parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_answers_as_its_schema_says(case, manager_token):
    # Lenient input (a date without a time, an unknown query parameter) is no failure: what is
    # checked is the answers.
    case.call_and_validate(
        headers={"Authorization": f"Bearer {manager_token}"},
        checks=[
            checks.not_a_server_error,
            checks.status_code_conformance,
            checks.content_type_conformance,
            checks.response_schema_conformance,
            checks.response_headers_conformance,
        ],
    )
