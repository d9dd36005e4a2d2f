"""Deliveries to a real HTTP receiver on loopback: signed, retried, in order per ticket."""

import hashlib
import hmac
import time
from datetime import timedelta

from django.utils import timezone

from tests.tickets.factories import make_ticket
from tickets import services as tickets
from tickets.models import Ticket
from webhooks import tasks
from webhooks.models import WebhookDelivery


def signature_is_valid(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """What a receiver does, written apart from webhooks.signing."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    timestamp = fields["t"]
    expected = hmac.new(
        secret.encode("utf-8"), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    fresh = abs(time.time() - int(timestamp)) <= tolerance
    return fresh and hmac.compare_digest(expected, fields["v1"])


def time_passes():
    """Every waiting retry is due now; the sweeper runs."""
    WebhookDelivery.objects.filter(status="pending").update(next_attempt_at=timezone.now())
    tasks.sweep()


def test_a_new_ticket_is_posted_signed_to_the_receiver(
    subscribe, receiver, customer, teams, django_capture_on_commit_callbacks
):
    subscription = subscribe("ticket.created")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(customer=customer)

    [request] = receiver.requests
    header = request.headers["jornada-signature"]
    assert signature_is_valid(subscription.secret, header, request.body)
    body = request.json()
    assert body["type"] == "ticket.created"
    assert body["version"] == 1
    assert body["data"] == {
        "event": "ticket.created",
        "version": 1,
        "ticket_id": ticket.pk,
        "by_id": None,
        "channel": "email",
    }
    assert request.headers["jornada-event-id"] == body["id"]
    assert request.headers["content-type"] == "application/json"
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "succeeded"
    assert delivery.response_code == 200
    assert delivery.response_body == '{"received": true}'
    assert delivery.duration_ms is not None
    assert delivery.request_headers["Jornada-Signature"] == request.headers["jornada-signature"]


def test_a_signature_made_with_another_secret_does_not_verify(
    subscribe, receiver, customer, teams, django_capture_on_commit_callbacks
):
    subscribe("ticket.created")
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(customer=customer)

    [request] = receiver.requests
    assert not signature_is_valid("whsec_other", request.headers["jornada-signature"], request.body)
    tampered = request.body.replace(b'"email"', b'"whatsapp"')
    secret = WebhookDelivery.objects.get().subscription.secret
    assert not signature_is_valid(secret, request.headers["jornada-signature"], tampered)


def test_a_500_is_retried_later_with_the_same_event_id(
    subscribe, receiver, customer, teams, django_capture_on_commit_callbacks
):
    subscribe("ticket.created")
    receiver.statuses = [500, 503]
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(customer=customer)

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, 500)
    assert delivery.response_body == "Internal trouble"
    wait = delivery.next_attempt_at - before
    assert timedelta(seconds=59) <= wait <= timedelta(seconds=70)

    tasks.sweep()  # not due yet
    assert len(receiver.requests) == 1

    time_passes()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 2)
    assert delivery.next_attempt_at - timezone.now() > timedelta(minutes=4)  # backs off

    time_passes()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("succeeded", 3, 200)
    ids = {request.event_id for request in receiver.requests}
    assert len(receiver.requests) == 3
    assert len(ids) == 1  # the receiver can de-duplicate


def test_each_event_has_its_own_id_and_a_redelivery_keeps_it(
    subscribe, receiver, customer, teams, django_capture_on_commit_callbacks
):
    subscribe("ticket.created")
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(customer=customer)
        make_ticket(customer=customer)
    first, second = receiver.requests
    assert first.event_id != second.event_id

    from webhooks import services

    delivery = WebhookDelivery.objects.get(event_id=first.event_id)
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_delivery_redeliver(delivery=delivery)

    assert receiver.requests[-1].event_id == first.event_id
    assert receiver.requests[-1].body == first.body
    assert len(receiver.requests) == 3


def test_events_of_one_ticket_wait_for_the_earlier_one(
    subscribe, receiver, customer, teams, n1_agent, django_capture_on_commit_callbacks
):
    subscribe("ticket.created", "ticket.updated")
    receiver.statuses = [500]
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(customer=customer)
    with django_capture_on_commit_callbacks(execute=True):
        tickets.ticket_change_priority(ticket=ticket, priority="high", by=n1_agent)
        tickets.ticket_change_status(ticket=ticket, to_status=Ticket.Status.OPEN, by=n1_agent)
    with django_capture_on_commit_callbacks(execute=True):
        other = make_ticket(customer=customer)  # another ticket is not held back

    assert receiver.types() == ["ticket.created", "ticket.created"]
    assert receiver.requests[1].json()["data"]["ticket_id"] == other.pk
    tasks.sweep()
    assert len(receiver.requests) == 2

    time_passes()
    mine = [r.json() for r in receiver.requests if r.json()["data"]["ticket_id"] == ticket.pk]
    assert [(body["type"], body["data"]["event"]) for body in mine] == [
        ("ticket.created", "ticket.created"),
        ("ticket.created", "ticket.created"),
        ("ticket.updated", "ticket.priority_changed"),
        ("ticket.updated", "ticket.status_changed"),
    ]
    assert not WebhookDelivery.objects.exclude(status="succeeded").exists()


def test_a_delivery_given_up_lets_the_next_event_of_its_ticket_go(
    subscribe, receiver, customer, teams, n1_agent, settings, django_capture_on_commit_callbacks
):
    settings.JORNADA = {**settings.JORNADA, "WEBHOOK_RETRY_DELAYS": [60]}
    subscribe("ticket.created", "ticket.updated")
    receiver.statuses = [500, 500]
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(customer=customer)
        tickets.ticket_change_priority(ticket=ticket, priority="high", by=n1_agent)
    time_passes()

    created, updated = WebhookDelivery.objects.order_by("sequence")
    assert (created.status, created.attempts, created.next_attempt_at) == ("failed", 2, None)
    assert updated.status == "succeeded"


def test_solving_a_ticket_is_delivered_as_solved_and_as_updated(
    subscribe, receiver, ticket, n1_agent, django_capture_on_commit_callbacks
):
    subscribe("ticket.solved", "ticket.updated")
    with django_capture_on_commit_callbacks(execute=True):
        tickets.ticket_change_priority(ticket=ticket, priority="high", by=n1_agent)
        tickets.ticket_change_status(ticket=ticket, to_status=Ticket.Status.SOLVED, by=n1_agent)

    assert sorted(receiver.types()) == ["ticket.solved", "ticket.updated", "ticket.updated"]
    solved = next(r.json() for r in receiver.requests if r.json()["type"] == "ticket.solved")
    assert solved["data"]["after"] == "solved"
    assert len({request.event_id for request in receiver.requests}) == 3


def test_a_subscription_receives_only_the_events_it_names(
    subscribe, receiver, ticket, n1_agent, django_capture_on_commit_callbacks
):
    subscribe("ticket.escalated")
    with django_capture_on_commit_callbacks(execute=True):
        tickets.ticket_change_priority(ticket=ticket, priority="high", by=n1_agent)
    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_a_receiver_on_loopback_is_refused_when_settings_do_not_allow_it(
    subscribe, receiver, customer, teams, settings, django_capture_on_commit_callbacks
):
    subscribe("ticket.created")
    settings.JORNADA = {**settings.JORNADA, "WEBHOOK_ALLOW_PRIVATE": False}
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(customer=customer)

    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"  # a refused destination is not retried
    assert "non-public" in delivery.error or "Clear-text" in delivery.error


def test_an_event_waits_for_an_earlier_one_of_its_ticket_still_in_the_outbox(
    subscribe, receiver, customer, teams, n1_agent
):
    """Two workers fan out at once: the one with the later event must not send it first."""
    from webhooks import selectors, services
    from webhooks.models import OutboxEvent

    subscribe("ticket.created", "ticket.updated")
    ticket = make_ticket(customer=customer)
    tickets.ticket_change_priority(ticket=ticket, priority="high", by=n1_agent)
    created_row = OutboxEvent.objects.order_by("id").first()
    kept = OutboxEvent(
        **{f.attname: getattr(created_row, f.attname) for f in OutboxEvent._meta.fields}
    )
    services.webhook_outbox_fan_out()
    WebhookDelivery.objects.filter(sequence=kept.pk).delete()
    kept.save(force_insert=True)  # the first event, still being fanned out elsewhere

    [later] = WebhookDelivery.objects.all()
    assert later.name == "ticket.updated"
    assert selectors.deliveries_ready() == []

    tasks.sweep()
    assert [r.json()["data"]["event"] for r in receiver.requests] == [
        "ticket.created",
        "ticket.priority_changed",
    ]


def test_a_receiver_that_is_down_or_too_slow_is_retried(
    subscribe, receiver, customer, teams, settings, django_capture_on_commit_callbacks
):
    settings.JORNADA = {**settings.JORNADA, "WEBHOOK_TIMEOUT": 0.3}
    subscribe("ticket.created", url="http://127.0.0.1:9/nobody-listens")
    slow = subscribe("ticket.created")
    receiver.delay = 1.0
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(customer=customer)

    down = WebhookDelivery.objects.exclude(subscription=slow).get()
    late = WebhookDelivery.objects.get(subscription=slow)
    for delivery in (down, late):
        assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, None)
        assert delivery.error
        assert delivery.next_attempt_at > timezone.now()
    assert "timed out" in late.error.lower() or "timeout" in late.error.lower()


def test_a_delivery_waiting_in_the_broker_is_not_queued_again_by_each_sweep(
    subscribe, receiver, customer, teams
):
    from webhooks import selectors, services

    subscribe("ticket.created")
    make_ticket(customer=customer)
    services.webhook_outbox_fan_out()
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.update(queued_at=timezone.now())  # a task is on its way

    assert selectors.deliveries_ready(not_queued_since=timezone.now() - timedelta(minutes=5)) == []
    tasks.sweep()
    assert receiver.requests == []

    WebhookDelivery.objects.update(queued_at=timezone.now() - timedelta(minutes=6))  # it was lost
    tasks.sweep()
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.queued_at) == ("succeeded", None)


def test_ticket_updated_covers_every_change_of_the_tickets_own_fields(
    subscribe, receiver, ticket, n1_agent, n2_agent, django_capture_on_commit_callbacks
):
    subscribe("ticket.updated")
    with django_capture_on_commit_callbacks(execute=True):
        tickets.ticket_change_priority(ticket=ticket, priority="high", by=n1_agent)
        tickets.ticket_tag(ticket=ticket, add=["boleto"], by=n1_agent)
        tickets.ticket_escalate(ticket=ticket, to_tier="N2", reason="Sem acesso", by=n1_agent)
        tickets.note_add(ticket=ticket, body_text="Só uma nota", by=n1_agent)  # not an update

    changes = [request.json()["data"]["event"] for request in receiver.requests]
    assert set(receiver.types()) == {"ticket.updated"}
    assert "ticket.priority_changed" in changes
    assert "ticket.tags_changed" in changes
    assert "ticket.escalated" in changes
    assert "message.created" not in changes
