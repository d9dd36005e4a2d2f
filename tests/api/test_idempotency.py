"""Idempotency-Key: a retried POST gets the first answer; another body with the key, 422."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from api.models import IdempotencyRecord
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

NEW = {"requester": {"kind": "email", "value": "joana@example.com"}, "subject": "Pedido"}


def test_retry_with_the_same_key_replays_the_first_answer(api, n1_agent, teams):
    client = api(n1_agent)
    first = client.post("/api/v1/tickets", NEW, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    again = client.post("/api/v1/tickets", NEW, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Ticket.objects.count() == 1


def test_same_key_with_another_body_answers_422(api, n1_agent, teams):
    client = api(n1_agent)
    client.post("/api/v1/tickets", NEW, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    other = client.post(
        "/api/v1/tickets", {**NEW, "subject": "Outro"}, format="json", HTTP_IDEMPOTENCY_KEY="abc"
    )
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert Ticket.objects.count() == 1


def test_keys_belong_to_their_token(api, n1_agent, teams):
    api(n1_agent).post("/api/v1/tickets", NEW, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    api(n1_agent).post("/api/v1/tickets", NEW, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert Ticket.objects.count() == 2


def test_a_refused_request_keeps_no_key(api, n1_agent, ticket):
    client = api(n1_agent)
    url = f"/api/v1/tickets/{ticket.number}/escalate"
    refused = client.post(
        url, {"reason": "x", "to_tier": "N1"}, format="json", HTTP_IDEMPOTENCY_KEY="e1"
    )
    assert refused.status_code == 422
    assert not IdempotencyRecord.objects.exists()


def test_expired_key_is_forgotten(api, n1_agent, teams):
    from datetime import timedelta

    from django.utils import timezone

    client = api(n1_agent)
    client.post("/api/v1/tickets", NEW, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    client.post("/api/v1/tickets", NEW, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert Ticket.objects.count() == 2


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_posts_with_one_key_create_one_ticket(make_token, n1_agent, teams):
    raw = make_token(n1_agent)
    barrier = threading.Barrier(4)
    answers = []

    def post():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        barrier.wait()
        try:
            response = client.post(
                "/api/v1/tickets", NEW, format="json", HTTP_IDEMPOTENCY_KEY="same"
            )
            answers.append((response.status_code, response.json().get("number")))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Ticket.objects.count() == 1
    assert set(answers) == {(201, Ticket.objects.get().number)}


def test_purge_forgets_keys_older_than_a_day(api, n1_agent, teams):
    from datetime import timedelta

    from django.utils import timezone

    from api.tasks import purge_idempotency_records

    client = api(n1_agent)
    client.post("/api/v1/tickets", NEW, format="json", HTTP_IDEMPOTENCY_KEY="old")
    client.post("/api/v1/tickets", NEW, format="json", HTTP_IDEMPOTENCY_KEY="new")
    IdempotencyRecord.objects.filter(key="old").update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    assert purge_idempotency_records() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
