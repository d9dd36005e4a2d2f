"""Reads of subscriptions and deliveries, scoped to who asks: an owner sees their own, a
superuser every one. What is out of reach is not found (the API answers 404)."""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from .models import OutboxEvent, WebhookDelivery, WebhookSubscription


def subscriptions_for_user(*, user) -> QuerySet[WebhookSubscription]:
    if not getattr(user, "is_authenticated", False):
        return WebhookSubscription.objects.none()
    if user.is_superuser:
        return WebhookSubscription.objects.all()
    return WebhookSubscription.objects.filter(owner=user)


def subscription_get_for_user(*, user, pk: int) -> WebhookSubscription | None:
    return subscriptions_for_user(user=user).filter(pk=pk).first()


def deliveries_for_user(
    *, user, subscription_id: int | None = None, status: str | None = None
) -> QuerySet[WebhookDelivery]:
    deliveries = WebhookDelivery.objects.filter(
        subscription__in=subscriptions_for_user(user=user)
    ).order_by("-id")
    if subscription_id is not None:
        deliveries = deliveries.filter(subscription_id=subscription_id)
    if status:
        deliveries = deliveries.filter(status=status)
    return deliveries


def delivery_get_for_user(*, user, pk: int) -> WebhookDelivery | None:
    return deliveries_for_user(user=user).select_related("subscription").filter(pk=pk).first()


def _waits_for_earlier() -> Q:
    """An earlier event of the same ticket for the same subscription is still on its way, or
    an earlier event of the ticket is still in the outbox (another worker is fanning it out)."""
    pending = WebhookDelivery.objects.filter(
        subscription_id=OuterRef("subscription_id"),
        ticket_id=OuterRef("ticket_id"),
        sequence__lt=OuterRef("sequence"),
        status=WebhookDelivery.Status.PENDING,
        redelivery=False,
    )
    recorded = OutboxEvent.objects.filter(
        ticket_id=OuterRef("ticket_id"), id__lt=OuterRef("sequence")
    )
    return Q(Exists(pending)) | Q(Exists(recorded))


def ready_condition(now) -> Q:
    """Deliveries that may be sent now: pending, due, held by no worker, and first in line of
    their ticket (a replay is never in line). A NULL ticket matches no earlier delivery."""
    return (
        Q(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
        & (Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        & (Q(redelivery=True) | ~_waits_for_earlier())
    )


def deliveries_ready(*, limit: int = 200, now=None, not_queued_since=None) -> list[int]:
    """Deliveries that may be sent now, oldest events first; with `not_queued_since`, only those
    no task was queued for since then (a backlog in the broker is not queued again and again)."""
    now = now or timezone.now()
    ready = WebhookDelivery.objects.filter(ready_condition(now), subscription__is_active=True)
    if not_queued_since is not None:
        ready = ready.filter(Q(queued_at__isnull=True) | Q(queued_at__lt=not_queued_since))
    return list(ready.order_by("sequence", "id").values_list("pk", flat=True)[:limit])


def next_in_line(*, subscription_id: int, ticket_id: int, now=None) -> int | None:
    """The next delivery of this ticket for this subscription, if it may go now."""
    now = now or timezone.now()
    return (
        WebhookDelivery.objects.filter(
            ready_condition(now), subscription_id=subscription_id, ticket_id=ticket_id
        )
        .order_by("sequence", "id")
        .values_list("pk", flat=True)
        .first()
    )
