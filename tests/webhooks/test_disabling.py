"""Sustained failure disables a subscription and tells its owner; enabling it sends what waited."""

from django.core import mail
from django.utils import timezone

from tests.tickets.factories import make_ticket
from webhooks import services, tasks
from webhooks.models import WebhookDelivery, WebhookSubscription


def time_passes(capture):
    WebhookDelivery.objects.filter(status="pending").update(next_attempt_at=timezone.now())
    with capture(execute=True):
        tasks.sweep()


def test_a_subscription_that_keeps_failing_is_disabled_and_its_owner_emailed(
    subscribe, receiver, customer, teams, settings, django_capture_on_commit_callbacks
):
    settings.JORNADA = {
        **settings.JORNADA,
        "WEBHOOK_DISABLE_AFTER_FAILURES": 3,
        "WEBHOOK_DISABLE_AFTER_HOURS": 0,
    }
    subscription = subscribe("ticket.created")
    receiver.default = 500
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(customer=customer)
    time_passes(django_capture_on_commit_callbacks)
    assert WebhookSubscription.objects.get().is_active
    time_passes(django_capture_on_commit_callbacks)

    subscription.refresh_from_db()
    assert not subscription.is_active
    assert subscription.disabled_at is not None
    assert "3 failed attempts in a row" in subscription.disabled_reason
    [notice] = mail.outbox
    assert notice.to == ["integra@loja.example"]
    assert receiver.url in notice.subject

    time_passes(django_capture_on_commit_callbacks)  # nothing more is sent
    assert len(receiver.requests) == 3

    receiver.default = 200
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_subscription_enable(subscription=subscription)
    assert len(receiver.requests) == 4
    assert WebhookDelivery.objects.get().status == "succeeded"
    subscription.refresh_from_db()
    assert (subscription.is_active, subscription.consecutive_failures) == (True, 0)


def test_failures_are_not_sustained_if_the_receiver_answers_in_between(
    subscribe, receiver, customer, teams, settings, django_capture_on_commit_callbacks
):
    settings.JORNADA = {
        **settings.JORNADA,
        "WEBHOOK_DISABLE_AFTER_FAILURES": 2,
        "WEBHOOK_DISABLE_AFTER_HOURS": 0,
    }
    subscription = subscribe("ticket.created")
    receiver.statuses = [500, 200, 500]
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(customer=customer)
    time_passes(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(customer=customer)

    subscription.refresh_from_db()
    assert subscription.is_active
    assert subscription.consecutive_failures == 1
    assert mail.outbox == []


def test_failures_for_less_than_the_sustained_time_do_not_disable(
    subscribe, receiver, customer, teams, settings, django_capture_on_commit_callbacks
):
    settings.JORNADA = {**settings.JORNADA, "WEBHOOK_DISABLE_AFTER_FAILURES": 1}
    subscribe("ticket.created")
    receiver.default = 500
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(customer=customer)
    time_passes(django_capture_on_commit_callbacks)

    assert WebhookSubscription.objects.get().is_active  # failing for seconds, not 24 hours


def test_a_410_gone_disables_the_subscription_at_once(
    subscribe, receiver, customer, teams, django_capture_on_commit_callbacks
):
    subscription = subscribe("ticket.created")
    receiver.statuses = [410]
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(customer=customer)

    subscription.refresh_from_db()
    assert not subscription.is_active
    assert "410" in subscription.disabled_reason
    assert WebhookDelivery.objects.get().status == "failed"
    assert len(mail.outbox) == 1
