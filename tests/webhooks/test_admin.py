"""The webhooks' admin: subscriptions made through the services (secret shown, outbox told),
deliveries a read-only log with a redeliver action."""

from django.urls import reverse

from tests.tickets.factories import make_ticket
from webhooks import outbox
from webhooks.models import WebhookDelivery, WebhookSubscription


def test_a_subscription_made_in_the_admin_shows_its_secret_and_is_recorded_for(
    admin_client, integrator, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:webhooks_webhooksubscription_add"),
            {
                "owner": integrator.pk,
                "url": receiver.url,
                "description": "CRM",
                "events": ["ticket.created", "ticket.solved"],
            },
        )

    assert response.status_code == 302
    subscription = WebhookSubscription.objects.get()
    assert subscription.events == ["ticket.created", "ticket.solved"]
    assert outbox.wanted_names() == {"ticket.created", "ticket.status_changed"}
    page = admin_client.get(
        reverse("admin:webhooks_webhooksubscription_change", args=[subscription.pk])
    )
    assert subscription.secret in page.content.decode()


def test_the_admin_refuses_an_unknown_scheme(admin_client, integrator):
    response = admin_client.post(
        reverse("admin:webhooks_webhooksubscription_add"),
        {"owner": integrator.pk, "url": "ftp://crm.example/", "events": ["ticket.created"]},
    )
    assert response.status_code == 200
    assert not WebhookSubscription.objects.exists()


def test_a_delivery_is_redelivered_from_the_admin(
    admin_client, subscribe, receiver, customer, teams, django_capture_on_commit_callbacks
):
    subscribe("ticket.created")
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(customer=customer)
    delivery = WebhookDelivery.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:webhooks_webhookdelivery_changelist"),
            {"action": "redeliver", "_selected_action": [delivery.pk]},
        )

    assert response.status_code == 302
    first, again = receiver.requests
    assert first.event_id == again.event_id
    log = admin_client.get(reverse("admin:webhooks_webhookdelivery_change", args=[delivery.pk]))
    assert log.status_code == 200
    assert "Internal trouble" not in log.content.decode()
    assert "{&quot;received&quot;: true}" in log.content.decode()


def test_a_subscription_changed_in_the_admin_is_recorded_for_at_once(
    admin_client, subscribe, django_capture_on_commit_callbacks
):
    subscription = subscribe("ticket.created")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:webhooks_webhooksubscription_change", args=[subscription.pk]),
            {"url": subscription.url, "description": "", "events": ["sla.breached"]},
        )

    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.events == ["sla.breached"]
    assert outbox.wanted_names() == {"sla.breached"}


def test_the_delivery_log_is_searched_by_event_id_or_ticket(
    admin_client, subscribe, receiver, customer, teams, django_capture_on_commit_callbacks
):
    subscribe("ticket.created")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(customer=customer)
    delivery = WebhookDelivery.objects.get()
    url = reverse("admin:webhooks_webhookdelivery_changelist")

    for query, found in ((str(delivery.event_id), 1), (str(ticket.pk), 1), ("nada", 0)):
        page = admin_client.get(url, {"q": query})
        assert page.status_code == 200
        assert page.context["cl"].result_count == found


def test_the_admin_refuses_an_owner_not_allowed_to_subscribe(admin_client, n1_agent, receiver):
    response = admin_client.post(
        reverse("admin:webhooks_webhooksubscription_add"),
        {"owner": n1_agent.pk, "url": receiver.url, "events": ["ticket.created"]},
    )
    assert response.status_code == 200
    assert "only administrators" in response.content.decode()
    assert not WebhookSubscription.objects.exists()
