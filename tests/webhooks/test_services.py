"""Subscriptions through the services, and the reads an API will call, scoped to their owner."""

import pytest
from django.contrib.auth.models import Permission

from tests.tickets.factories import UserFactory, make_ticket
from tickets import services as tickets
from webhooks import catalog, selectors, services, signing
from webhooks.errors import (
    InvalidWebhookUrl,
    NotAllowedToSubscribe,
    NoWebhookEvents,
    SubscriptionDisabled,
    UnknownWebhookEvent,
)
from webhooks.models import WebhookDelivery


def test_every_public_event_name_can_be_subscribed_to(integrator):
    names = catalog.public_names()
    for name in (
        "ticket.created",
        "ticket.updated",
        "ticket.escalated",
        "ticket.solved",
        "message.created",
        "sla.warning",
        "sla.breached",
        "survey.responded",
    ):
        assert name in names
    subscription = services.webhook_subscription_create(
        owner=integrator, url="https://crm.example/hooks", events=names
    )
    assert subscription.events == sorted(names)
    assert subscription.secret.startswith("whsec_")
    assert len(subscription.secret) > 40


def test_unknown_names_and_empty_lists_are_refused(integrator):
    with pytest.raises(UnknownWebhookEvent):
        services.webhook_subscription_create(
            owner=integrator, url="https://crm.example/hooks", events=["ticket.exploded"]
        )
    with pytest.raises(NoWebhookEvents):
        services.webhook_subscription_create(
            owner=integrator, url="https://crm.example/hooks", events=[]
        )


def test_clear_text_urls_are_refused_unless_private_addresses_are_allowed(integrator, settings):
    settings.JORNADA = {**settings.JORNADA, "WEBHOOK_ALLOW_PRIVATE": False}
    for url in ("http://crm.example/hooks", "ftp://crm.example/", "https:///nohost"):
        with pytest.raises(InvalidWebhookUrl):
            services.webhook_subscription_create(
                owner=integrator, url=url, events=["ticket.created"]
            )


def test_a_new_secret_signs_from_the_next_attempt(
    subscribe, receiver, customer, teams, django_capture_on_commit_callbacks
):
    subscription = subscribe("ticket.created")
    old = subscription.secret
    new = services.webhook_subscription_rotate_secret(subscription=subscription)
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(customer=customer)

    [request] = receiver.requests
    header = request.headers["jornada-signature"]
    assert new != old
    assert signing.verify(secret=new, body=request.body, header=header)
    assert not signing.verify(secret=old, body=request.body, header=header)


def test_a_replayed_old_signature_is_refused_by_verify():
    header = signing.sign(secret="whsec_x", body=b"{}", timestamp=1_000_000)
    assert signing.verify(secret="whsec_x", body=b"{}", header=header, now=1_000_100)
    assert not signing.verify(secret="whsec_x", body=b"{}", header=header, now=1_001_000)


def test_owners_read_their_own_subscriptions_and_deliveries(
    subscribe, receiver, customer, teams, integrator, django_capture_on_commit_callbacks
):
    mine = subscribe("ticket.created")
    someone = UserFactory(username="outro")
    someone.user_permissions.add(Permission.objects.get(codename="add_webhooksubscription"))
    theirs = subscribe("ticket.created", owner=someone)
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(customer=customer)

    assert list(selectors.subscriptions_for_user(user=integrator)) == [mine]
    assert selectors.subscription_get_for_user(user=integrator, pk=theirs.pk) is None
    assert set(selectors.subscriptions_for_user(user=admin)) == {mine, theirs}
    [delivery] = selectors.deliveries_for_user(user=integrator)
    assert delivery.subscription == mine
    other = WebhookDelivery.objects.get(subscription=theirs)
    assert selectors.delivery_get_for_user(user=integrator, pk=other.pk) is None
    assert selectors.deliveries_for_user(user=integrator, status="failed").count() == 0


def test_a_disabled_subscription_cannot_be_redelivered(
    subscribe, receiver, customer, teams, django_capture_on_commit_callbacks
):
    subscription = subscribe("ticket.created")
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(customer=customer)
    services.webhook_subscription_disable(subscription=subscription, reason="pausa")

    with pytest.raises(SubscriptionDisabled):
        services.webhook_delivery_redeliver(delivery=WebhookDelivery.objects.get())


def test_messages_and_escalations_are_delivered_with_their_typed_payloads(
    subscribe, receiver, ticket, n1_agent, n2_agent, django_capture_on_commit_callbacks
):
    subscribe("message.created", "ticket.escalated")
    with django_capture_on_commit_callbacks(execute=True):
        tickets.note_add(ticket=ticket, body_text="Cliente VIP", by=n1_agent)
    with django_capture_on_commit_callbacks(execute=True):
        tickets.ticket_escalate(ticket=ticket, to_tier="N2", reason="Sem acesso", by=n1_agent)

    note, escalation = (request.json() for request in receiver.requests)
    assert note["type"] == "message.created"
    assert note["data"]["kind"] == "internal_note"
    assert escalation["type"] == "ticket.escalated"
    assert (escalation["data"]["from_tier"], escalation["data"]["to_tier"]) == ("N1", "N2")


def test_only_users_allowed_to_may_own_a_subscription(n1_agent):
    """Events are desk-wide: an agent who sees one team's tickets must not get them all."""
    with pytest.raises(NotAllowedToSubscribe):
        services.webhook_subscription_create(
            owner=n1_agent, url="https://crm.example/hooks", events=["ticket.created"]
        )
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    assert services.may_subscribe(admin)
