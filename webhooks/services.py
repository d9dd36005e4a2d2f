"""Every change to webhook subscriptions and deliveries (sending itself is in `sending.py`)."""

import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from . import catalog, outbox
from .errors import (
    InvalidWebhookUrl,
    NotAllowedToSubscribe,
    NoWebhookEvents,
    SubscriptionDisabled,
    UnknownWebhookEvent,
)
from .models import OutboxEvent, WebhookDelivery, WebhookSubscription, new_secret

FAN_OUT_BATCH = 500


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    schemes = ("https", "http") if settings.JORNADA["WEBHOOK_ALLOW_PRIVATE"] else ("https",)
    if parts.scheme.lower() not in schemes or not parts.hostname or len(url) > 500:
        raise InvalidWebhookUrl(url=url[:200])
    return url


def _clean_events(names: list[str]) -> list[str]:
    chosen = sorted(set(names or ()))
    if not chosen:
        raise NoWebhookEvents()
    unknown = sorted(set(chosen) - set(catalog.public_names()))
    if unknown:
        raise UnknownWebhookEvent(names=", ".join(unknown))
    return chosen


PERMISSION = "webhooks.add_webhooksubscription"


def may_subscribe(user: AbstractBaseUser) -> bool:
    """Events are desk-wide (every ticket's, internal notes included), so owning a subscription
    is for superusers and users given the "add webhook subscription" permission."""
    return bool(user.is_active and user.has_perm(PERMISSION))


def _changed() -> None:
    transaction.on_commit(outbox.subscriptions_changed, robust=True)


@transaction.atomic
def webhook_subscription_create(
    *, owner: AbstractBaseUser, url: str, events: list[str], description: str = ""
) -> WebhookSubscription:
    if not may_subscribe(owner):
        raise NotAllowedToSubscribe()
    subscription = WebhookSubscription.objects.create(
        owner=owner, url=_clean_url(url), events=_clean_events(events), description=description
    )
    _changed()
    return subscription


@transaction.atomic
def webhook_subscription_update(
    *,
    subscription: WebhookSubscription,
    url: str | None = None,
    events: list[str] | None = None,
    description: str | None = None,
) -> WebhookSubscription:
    if url is not None:
        subscription.url = _clean_url(url)
    if events is not None:
        subscription.events = _clean_events(events)
    if description is not None:
        subscription.description = description
    subscription.save(update_fields=["url", "events", "description"])
    _changed()
    return subscription


@transaction.atomic
def webhook_subscription_delete(*, subscription: WebhookSubscription) -> None:
    subscription.delete()
    _changed()


@transaction.atomic
def webhook_subscription_rotate_secret(*, subscription: WebhookSubscription) -> str:
    """A new signing secret, used from the next attempt on; the old one stops at once."""
    subscription.secret = new_secret()
    subscription.save(update_fields=["secret"])
    return subscription.secret


@transaction.atomic
def webhook_subscription_disable(
    *, subscription: WebhookSubscription, reason: str, notify: bool = False
) -> bool:
    """Stop sending (pending deliveries wait). With `notify`, the owner is emailed. False when
    it was already disabled."""
    now = timezone.now()
    disabled = WebhookSubscription.objects.filter(pk=subscription.pk, is_active=True).update(
        is_active=False, disabled_at=now, disabled_reason=reason
    )
    if disabled:
        subscription.is_active, subscription.disabled_at = False, now
        subscription.disabled_reason = reason
        _changed()
        if notify:
            from . import tasks

            pk = subscription.pk
            transaction.on_commit(lambda: tasks.send_disabled_notice.delay(pk), robust=True)
    return bool(disabled)


@transaction.atomic
def webhook_subscription_enable(*, subscription: WebhookSubscription) -> None:
    """Send again; deliveries that waited are tried at once, with a fresh retry schedule."""
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        is_active=True, disabled_at=None, disabled_reason="", consecutive_failures=0,
        failing_since=None,
    )  # fmt: skip
    subscription.is_active, subscription.disabled_at, subscription.disabled_reason = True, None, ""
    subscription.deliveries.filter(status=WebhookDelivery.Status.PENDING).update(
        next_attempt_at=timezone.now(), attempts=0, locked_until=None
    )
    _changed()
    _queue_ready_after_commit()


@transaction.atomic
def webhook_delivery_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send this event again now (the admin's and the API's "redeliver"), with the same event
    id, so a receiver that has it already can ignore it. A delivery that was finished is sent
    out of order: a replay holds back no later event of its ticket."""
    if not delivery.subscription.is_active:
        raise SubscriptionDisabled()
    finished = delivery.status != WebhookDelivery.Status.PENDING
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        locked_until=None,
        redelivery=delivery.redelivery or finished,
    )
    delivery.refresh_from_db()
    from . import tasks

    pk = delivery.pk
    transaction.on_commit(lambda: tasks.deliver.delay(pk), robust=True)
    return delivery


def envelope(*, event_id: uuid.UUID, name: str, row: OutboxEvent) -> dict:
    """The JSON body sent: the typed payload under `data`, with the public name, version, id
    and time."""
    return {
        "id": str(event_id),
        "type": name,
        "version": row.payload.get("version", 1),
        "created_at": row.occurred_at.isoformat().replace("+00:00", "Z"),
        "data": row.payload,
    }


@transaction.atomic
def webhook_outbox_fan_out(*, limit: int = FAN_OUT_BATCH) -> int:
    """Turn waiting outbox rows into one delivery per subscription and public name, and delete
    them, in one transaction. Safe to run twice at once (rows locked, skipped by the other) or
    again after a crash (a delivery is unique per subscription and event id)."""
    rows = list(OutboxEvent.objects.select_for_update(skip_locked=True).order_by("id")[:limit])
    if not rows:
        return 0
    subscriptions = list(WebhookSubscription.objects.filter(is_active=True).only("id", "events"))
    now = timezone.now()
    deliveries = []
    for row in rows:
        for name in catalog.delivered_as(row.name, row.payload):
            event_id = uuid.uuid5(row.uuid, name)  # the same id whoever fans it out
            body = envelope(event_id=event_id, name=name, row=row)
            deliveries += [
                WebhookDelivery(
                    subscription_id=subscription.id,
                    event_id=event_id,
                    name=name,
                    payload=body,
                    ticket_id=row.ticket_id,
                    sequence=row.id,
                    next_attempt_at=now,
                )
                for subscription in subscriptions
                if name in subscription.events
            ]
    WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    OutboxEvent.objects.filter(id__in=[row.id for row in rows]).delete()
    return len(rows)


def webhook_deliveries_prune(*, limit: int = 1000) -> int:
    """Delete finished deliveries older than WEBHOOK_KEEP_DAYS (the log is kept that long)."""
    before = timezone.now() - timedelta(days=settings.JORNADA["WEBHOOK_KEEP_DAYS"])
    old = WebhookDelivery.objects.filter(
        created_at__lt=before,
        status__in=[WebhookDelivery.Status.SUCCEEDED, WebhookDelivery.Status.FAILED],
    ).values_list("pk", flat=True)[:limit]
    deleted, _ = WebhookDelivery.objects.filter(pk__in=list(old)).delete()
    return deleted


def _queue_ready_after_commit() -> None:
    from . import tasks

    transaction.on_commit(lambda: tasks.send_ready.delay(), robust=True)


def retry_delays() -> list[int]:
    return list(settings.JORNADA["WEBHOOK_RETRY_DELAYS"])


def next_attempt(attempts: int, now) -> timezone.datetime | None:
    """When to try again after `attempts` failed attempts; None: give up."""
    delays = retry_delays()
    if attempts > len(delays):
        return None
    return now + timedelta(seconds=delays[attempts - 1])
