"""Webhook subscriptions and deliveries over the API: who may use them, the secret shown once,
redelivery, validation, and each owner's subscriptions out of the others' reach."""

import uuid

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from api.tokens import api_token_create
from tests.tickets.factories import CustomerFactory, UserFactory, make_ticket
from tests.webhooks.receiver import Receiver
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db
SUBSCRIPTIONS = "/api/v1/webhooks/subscriptions"
DELIVERIES = "/api/v1/webhooks/deliveries"


def allowed(user):
    user.user_permissions.add(Permission.objects.get(codename="add_webhooksubscription"))
    return type(user).objects.get(pk=user.pk)  # a fresh permission cache


@pytest.fixture
def hook_receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def integrator(db):
    return allowed(UserFactory(username="integra"))


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def _client(user=None, scopes=None):
    client = APIClient()
    if user is not None and scopes is not None:
        client.credentials(
            HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=user, scopes=scopes)[1]}"
        )
    elif user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def world(integrator, hook_receiver, teams, django_capture_on_commit_callbacks):
    cache.clear()
    with django_capture_on_commit_callbacks(execute=True):
        mine = services.webhook_subscription_create(
            owner=integrator, url=hook_receiver.url, events=["ticket.created"]
        )
    other_owner = allowed(UserFactory(username="outro"))
    theirs = services.webhook_subscription_create(
        owner=other_owner, url="https://crm.example/hooks", events=["ticket.created"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(customer=CustomerFactory())
    return {
        "mine": mine,
        "theirs": theirs,
        "delivery": WebhookDelivery.objects.get(subscription=mine),
        "their_delivery": WebhookDelivery.objects.get(subscription=theirs),
    }


READS = [
    f"{SUBSCRIPTIONS}",
    f"{SUBSCRIPTIONS}/{{mine.pk}}",
    f"{DELIVERIES}",
    f"{DELIVERIES}/{{delivery.pk}}",
]
WRITES = [
    ("post", SUBSCRIPTIONS, {"url": "https://erp.example/hooks", "events": ["ticket.solved"]}),
    ("patch", f"{SUBSCRIPTIONS}/{{mine.pk}}", {"description": "ERP"}),
    ("post", f"{SUBSCRIPTIONS}/{{mine.pk}}/rotate-secret", {}),
    ("post", f"{SUBSCRIPTIONS}/{{mine.pk}}/disable", {}),
    ("post", f"{SUBSCRIPTIONS}/{{mine.pk}}/enable", {}),
    ("post", f"{DELIVERIES}/{{delivery.pk}}/redeliver", {}),
    ("delete", f"{SUBSCRIPTIONS}/{{mine.pk}}", None),
]
ENDPOINTS = [("get", path, None) for path in READS] + WRITES


def _call(client, method, path, body, world):
    return getattr(client, method)(path.format(**world), body, format="json")


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_anonymous_customers_and_agents_without_the_permission_are_refused(
    world, request, method, path, body
):
    customer_user = UserFactory(username="cliente")
    CustomerFactory(user=customer_user)
    assert _call(_client(), method, path, body, world).status_code in (401, 403)
    for user in (customer_user, request.getfixturevalue("n1_agent")):
        response = _call(_client(user, ["webhooks:write"]), method, path, body, world)
        assert response.status_code == 403, (user, path)
        assert response.json()["error"]["code"] == "permission_denied"
    manager = request.getfixturevalue("manager")
    assert _call(_client(manager), method, path, body, world).status_code == 403
    assert WebhookSubscription.objects.filter(pk=world["mine"].pk).exists()


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
@pytest.mark.parametrize("who", ["integrator", "superuser", "manager"])
def test_owners_and_superusers_reach_every_endpoint(world, request, who, method, path, body):
    user = request.getfixturevalue(who)
    if who == "manager":  # a manager given the permission, like any user
        user = allowed(user)
    if who != "integrator":  # another user's subscription: only a superuser's reach
        world = {**world, "mine": world["theirs"], "delivery": world["their_delivery"]}
    response = _call(_client(user), method, path, body, world)
    if who == "manager" and "{" in path:
        assert response.status_code == 404, path
        return
    assert response.status_code in (200, 201, 202, 204), (who, path, response.content[:300])


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_a_token_needs_the_webhooks_scope(world, integrator, method, path, body):
    level = "read" if method == "get" else "write"
    without = _call(_client(integrator, ["tickets:write"]), method, path, body, world)
    assert without.status_code == 403
    assert "webhooks:" in without.json()["error"]["message"]
    if level == "write":
        read_only = _call(_client(integrator, ["webhooks:read"]), method, path, body, world)
        assert read_only.status_code == 403
    with_scope = _call(_client(integrator, [f"webhooks:{level}"]), method, path, body, world)
    assert with_scope.status_code in (200, 201, 202, 204), (path, with_scope.content[:300])


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", f"{SUBSCRIPTIONS}/{{theirs.pk}}", None),
        ("patch", f"{SUBSCRIPTIONS}/{{theirs.pk}}", {"description": "x"}),
        ("delete", f"{SUBSCRIPTIONS}/{{theirs.pk}}", None),
        ("post", f"{SUBSCRIPTIONS}/{{theirs.pk}}/rotate-secret", {}),
        ("post", f"{SUBSCRIPTIONS}/{{theirs.pk}}/disable", {}),
        ("post", f"{SUBSCRIPTIONS}/{{theirs.pk}}/enable", {}),
        ("get", f"{DELIVERIES}/{{their_delivery.pk}}", None),
        ("post", f"{DELIVERIES}/{{their_delivery.pk}}/redeliver", {}),
        ("get", f"{SUBSCRIPTIONS}/99999999", None),
        ("get", f"{DELIVERIES}/99999999", None),
    ],
)
def test_another_users_subscription_is_not_found(world, integrator, method, path, body):
    secret = world["theirs"].secret
    response = _call(_client(integrator), method, path, body, world)
    assert response.status_code == 404, (path, response.content[:300])
    assert response.json()["error"]["code"] == "not_found"
    theirs = WebhookSubscription.objects.get(pk=world["theirs"].pk)
    assert (theirs.secret, theirs.is_active, theirs.description) == (secret, True, "")


def test_lists_hold_only_your_own_and_a_superuser_sees_all(world, integrator, superuser):
    mine = _client(integrator).get(SUBSCRIPTIONS).json()["results"]
    assert [s["id"] for s in mine] == [world["mine"].pk]
    deliveries = _client(integrator).get(DELIVERIES).json()["results"]
    assert [d["id"] for d in deliveries] == [world["delivery"].pk]
    everyone = _client(superuser).get(SUBSCRIPTIONS).json()["results"]
    assert {s["id"] for s in everyone} == {world["mine"].pk, world["theirs"].pk}
    filtered = _client(integrator).get(DELIVERIES, {"subscription": world["theirs"].pk})
    assert filtered.json()["results"] == []


def test_create_shows_the_secret_once(integrator, django_capture_on_commit_callbacks):
    client = _client(integrator)
    body = {"url": "https://erp.example/hooks", "events": ["ticket.solved", "ticket.created"]}
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(SUBSCRIPTIONS, body, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    subscription = WebhookSubscription.objects.get(pk=data["id"])
    assert data["secret"] == subscription.secret
    assert data["secret"].startswith("whsec_")
    assert data["events"] == ["ticket.created", "ticket.solved"]
    assert subscription.owner == integrator
    assert "secret" not in client.get(f"{SUBSCRIPTIONS}/{data['id']}").json()
    assert "secret" not in client.get(SUBSCRIPTIONS).json()["results"][0]
    changed = client.patch(f"{SUBSCRIPTIONS}/{data['id']}", {"description": "ERP"}, format="json")
    assert "secret" not in changed.json()
    assert changed.json()["description"] == "ERP"
    assert changed.json()["events"] == ["ticket.created", "ticket.solved"]


def test_rotate_secret_shows_the_new_one_once(world, integrator):
    old = world["mine"].secret
    response = _client(integrator).post(f"{SUBSCRIPTIONS}/{world['mine'].pk}/rotate-secret")
    assert response.status_code == 200
    new = WebhookSubscription.objects.get(pk=world["mine"].pk).secret
    assert response.json()["secret"] == new != old


def test_disable_then_enable(world, integrator):
    client, pk = _client(integrator), world["mine"].pk
    disabled = client.post(f"{SUBSCRIPTIONS}/{pk}/disable", {"reason": "Manutenção"}, format="json")
    assert (disabled.json()["is_active"], disabled.json()["disabled_reason"]) == (
        False,
        "Manutenção",
    )
    refused = client.post(f"{DELIVERIES}/{world['delivery'].pk}/redeliver")
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "webhook_subscription_disabled"
    enabled = client.post(f"{SUBSCRIPTIONS}/{pk}/enable")
    assert (enabled.json()["is_active"], enabled.json()["disabled_at"]) == (True, None)


def test_redeliver_queues_a_new_attempt(
    world, integrator, hook_receiver, django_capture_on_commit_callbacks
):
    delivery = world["delivery"]
    assert delivery.status == "succeeded"
    assert len(hook_receiver.requests) == 1
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = _client(integrator).post(f"{DELIVERIES}/{delivery.pk}/redeliver")
    assert response.status_code == 202, response.content
    assert (response.json()["status"], response.json()["attempts"]) == ("pending", 0)
    assert response.json()["redelivery"] is True
    assert len(queued) == 1  # one task, after the commit
    queued[0]()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 1)
    first, again = hook_receiver.requests
    assert first.event_id == again.event_id == str(delivery.event_id)


def test_deliveries_filter_by_status_event_and_subscription(world, integrator, superuser):
    client = _client(integrator)
    pk = world["delivery"].pk
    for query, expected in [
        ({"status": "succeeded"}, [pk]),
        ({"status": "failed"}, []),
        ({"event": "ticket.created"}, [pk]),
        ({"event": "ticket.solved"}, []),
        ({"subscription": world["mine"].pk}, [pk]),
    ]:
        results = client.get(DELIVERIES, query).json()["results"]
        assert [d["id"] for d in results] == expected, query
    assert "payload" not in client.get(DELIVERIES).json()["results"][0]
    detail = client.get(f"{DELIVERIES}/{pk}").json()
    assert detail["payload"]["type"] == "ticket.created"
    assert detail["request_headers"]["Jornada-Signature"].startswith("t=")
    huge = client.get(DELIVERIES, {"subscription": "-8.7e76"})
    assert huge.status_code == 400
    assert set(huge.json()["error"]["fields"]) == {"subscription"}
    bad = client.get(DELIVERIES, {"status": "lost"})
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"status"}


def test_deliveries_come_in_cursor_pages_newest_first(world, superuser):
    client = _client(superuser)
    first = client.get(DELIVERIES, {"page_size": 1}).json()
    assert [d["id"] for d in first["results"]] == [world["their_delivery"].pk]
    second = client.get(first["next"]).json()
    assert [d["id"] for d in second["results"]] == [world["delivery"].pk]


@pytest.mark.parametrize(
    ("body", "fields", "code"),
    [
        ({}, {"url", "events"}, "invalid"),
        ({"url": "not a url", "events": []}, {"url", "events"}, "invalid"),
        ({"url": "https://a.example/h", "events": ["ticket.exploded"]}, {"events"}, "invalid"),
        ({"url": "https://a.example/h", "events": "ticket.created"}, {"events"}, "invalid"),
        # A URL of the wrong scheme is the service's refusal (422), named all the same.
        (
            {"url": "ftp://a.example/h", "events": ["ticket.created"]},
            {"url"},
            "invalid_webhook_url",
        ),
    ],
)
def test_validation_errors_name_the_fields(integrator, body, fields, code):
    response = _client(integrator).post(SUBSCRIPTIONS, body, format="json")
    assert response.status_code == (400 if code == "invalid" else 422), response.content
    error = response.json()["error"]
    assert (error["code"], set(error["fields"])) == (code, fields)
    assert not WebhookSubscription.objects.exists()


def test_a_url_the_service_refuses_is_named_too(integrator, settings):
    settings.JORNADA = {**settings.JORNADA, "WEBHOOK_ALLOW_PRIVATE": False}
    body = {"url": "http://erp.example/hooks", "events": ["ticket.created"]}
    response = _client(integrator).post(SUBSCRIPTIONS, body, format="json")
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], list(error["fields"])) == ("invalid_webhook_url", ["url"])


def test_the_refusal_is_translated(n1_agent):
    response = _client(n1_agent).get(SUBSCRIPTIONS, HTTP_ACCEPT_LANGUAGE="pt-BR")
    assert response.status_code == 403
    assert response.json()["error"]["message"].startswith("Só administradores")


def test_lists_cost_the_same_queries_whatever_their_length(world, superuser, integrator):
    def count(path):
        client = _client(superuser)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return len(queries)

    before = (count(SUBSCRIPTIONS), count(DELIVERIES))
    for n in range(3):
        services.webhook_subscription_create(
            owner=integrator, url=f"https://erp{n}.example/h", events=["ticket.created"]
        )
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            subscription=world["theirs"], event_id=uuid.uuid4(), name="ticket.created",
            payload={}, sequence=n,
        )
        for n in range(5)
    )  # fmt: skip
    assert (count(SUBSCRIPTIONS), count(DELIVERIES)) == before
