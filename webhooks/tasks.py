"""Celery tasks of webhooks: no argument or one delivery id, safe to run twice (the fan-out
locks and deletes outbox rows, a delivery is claimed with a conditional update)."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone, translation
from django.utils.translation import gettext

from . import selectors, sending, services
from .models import WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)
MAX_FAN_OUT_ROUNDS = 20
QUEUED_GRACE = timedelta(minutes=5)


def _fan_out_all() -> int:
    total = 0
    for _ in range(MAX_FAN_OUT_ROUNDS):
        done = services.webhook_outbox_fan_out(limit=services.FAN_OUT_BATCH)
        total += done
        if done < services.FAN_OUT_BATCH:
            break
    return total


def _queue_ready() -> int:
    """Queue a task for each delivery that may go now, unless one was queued for it in the last
    QUEUED_GRACE (still waiting in the broker behind a backlog; a lost one is queued again)."""
    now = timezone.now()
    ready = selectors.deliveries_ready(now=now, not_queued_since=now - QUEUED_GRACE)
    if ready:
        WebhookDelivery.objects.filter(pk__in=ready).update(queued_at=now)
    for delivery_id in ready:
        deliver.delay(delivery_id)
    return len(ready)


@shared_task(name="webhooks.fan_out", acks_late=True, ignore_result=True)
def fan_out() -> int:
    """Queued after a commit that wrote outbox rows: deliveries made and the ready ones sent."""
    made = _fan_out_all()
    if made:
        _queue_ready()
    return made


@shared_task(name="webhooks.send_ready", acks_late=True, ignore_result=True)
def send_ready() -> int:
    return _queue_ready()


@shared_task(name="webhooks.sweep", acks_late=True, ignore_result=True)
def sweep() -> int:
    """Beat, every 30 s: outbox rows whose fan-out task was lost (a crash after the commit, the
    broker down), deliveries due for another attempt, and the log past its keeping time."""
    made = _fan_out_all()
    services.webhook_deliveries_prune()
    if made:
        logger.info("Webhooks sweeper fanned out %s outbox events", made)
    return _queue_ready()


@shared_task(name="webhooks.deliver", acks_late=True, ignore_result=True)
def deliver(delivery_id: int) -> str:
    return sending.webhook_delivery_attempt(delivery_id=delivery_id)


@shared_task(name="webhooks.send_disabled_notice", acks_late=True, ignore_result=True)
def send_disabled_notice(subscription_id: int) -> bool:
    subscription = (
        WebhookSubscription.objects.select_related("owner")
        .filter(pk=subscription_id, is_active=False)
        .first()
    )
    if subscription is None or not subscription.owner.email:
        return False
    with translation.override(settings.LANGUAGE_CODE):  # the desk's language
        subject = gettext("Webhook disabled: %(url)s") % {"url": subscription.url[:100]}
        body = gettext(
            "Jornada stopped sending events to %(url)s because its deliveries kept failing: "
            "%(reason)s\n\nThe events already waiting are sent when you enable the subscription "
            "again in the admin; events that happen while it is disabled are not sent."
        ) % {"url": subscription.url, "reason": subscription.disabled_reason}
    send_mail(subject, body, None, [subscription.owner.email])
    return True
