"""Sending one delivery: claim it, sign it, post it through the one outbound HTTP door, record
the answer, plan the next attempt or give up, and disable a subscription that keeps failing."""

import json
import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from channels_app import http

from . import selectors, services, signing
from .models import WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

BODY_EXCERPT = 2000
USER_AGENT = "Jornada-Webhooks/1"


def _claim(delivery_id: int, now) -> bool:
    """Of two workers, one gets it (a conditional update); it must be due and first in line."""
    timeout = settings.JORNADA["WEBHOOK_TIMEOUT"]
    return bool(
        WebhookDelivery.objects.filter(selectors.ready_condition(now), pk=delivery_id).update(
            locked_until=now + timedelta(seconds=timeout * 4 + 30)
        )
    )


def request_for(delivery: WebhookDelivery, *, timestamp: int) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Jornada-Event": delivery.name,
        "Jornada-Event-Id": str(delivery.event_id),
        "Jornada-Delivery": str(delivery.pk),
        signing.HEADER: signing.sign(
            secret=delivery.subscription.secret, body=body, timestamp=timestamp
        ),
    }
    return body, headers


def webhook_delivery_attempt(*, delivery_id: int) -> str:
    """Try one delivery now. Returns what happened: `sent`, `retry`, `failed`, or `skipped`
    (not due, not first in line, held by another worker, its subscription disabled)."""
    now = timezone.now()
    if not _claim(delivery_id, now):
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
    subscription = delivery.subscription
    if not subscription.is_active:
        WebhookDelivery.objects.filter(pk=delivery_id).update(locked_until=None)
        return "skipped"
    body, headers = request_for(delivery, timestamp=int(time.time()))
    trusted = [http.origin(subscription.url)] if settings.JORNADA["WEBHOOK_ALLOW_PRIVATE"] else []
    started = time.monotonic()
    response, error, permanent = None, "", False
    try:
        response = http.fetch(
            "POST",
            subscription.url,
            headers=headers,
            body=body,
            timeout=settings.JORNADA["WEBHOOK_TIMEOUT"],
            trusted_origins=trusted,
        )
    except http.Blocked as exc:
        error, permanent = str(exc), True
    except http.HttpError as exc:
        error = str(exc)
    except Exception as exc:  # a URL the HTTP client cannot even try (bad IDNA name...)
        logger.exception("Webhook delivery %s could not be attempted", delivery_id)
        error = f"{exc.__class__.__name__}: {exc}"
    duration_ms = int((time.monotonic() - started) * 1000)
    ok = response is not None and response.ok
    if response is not None and not ok:
        error = f"HTTP {response.status}"
        permanent = response.status == 410  # Gone: the receiver says it wants nothing more
    outcome = _record(
        delivery,
        now=timezone.now(),
        ok=ok,
        permanent=permanent,
        headers=headers,
        response=response,
        error=error,
        duration_ms=duration_ms,
    )
    if outcome != "retry" and delivery.ticket_id is not None:
        _send_next_in_line(delivery)
    return outcome


def _excerpt(response: http.Response | None) -> str:
    if response is None:
        return ""
    return response.body[: BODY_EXCERPT * 4].decode("utf-8", "replace")[:BODY_EXCERPT]


@transaction.atomic
def _record(delivery, *, now, ok, permanent, headers, response, error, duration_ms) -> str:
    attempts = delivery.attempts + 1
    if ok:
        status, next_at, outcome = WebhookDelivery.Status.SUCCEEDED, None, "sent"
    else:
        next_at = None if permanent else services.next_attempt(attempts, now)
        status = WebhookDelivery.Status.PENDING if next_at else WebhookDelivery.Status.FAILED
        outcome = "retry" if next_at else "failed"
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=status,
        attempts=attempts,
        next_attempt_at=next_at,
        locked_until=None,
        queued_at=None,
        last_attempt_at=now,
        request_headers=headers,
        response_code=response.status if response is not None else None,
        response_body=_excerpt(response),
        error=error[:1000],
        duration_ms=duration_ms,
    )
    subscriptions = WebhookSubscription.objects.filter(pk=delivery.subscription_id)
    if ok:
        subscriptions.filter(consecutive_failures__gt=0).update(
            consecutive_failures=0, failing_since=None
        )
    else:
        subscriptions.update(
            consecutive_failures=F("consecutive_failures") + 1,
            failing_since=Coalesce("failing_since", now),
        )
        if response is not None and response.status == 410:
            services.webhook_subscription_disable(
                subscription=delivery.subscription,
                reason=gettext("The receiver answered 410 Gone."),
                notify=True,
            )
        else:
            _disable_if_failing(delivery.subscription_id, now)
    return outcome


def _disable_if_failing(subscription_id: int, now) -> None:
    """Sustained failure: at least WEBHOOK_DISABLE_AFTER_FAILURES failed attempts in a row,
    and nothing delivered for WEBHOOK_DISABLE_AFTER_HOURS."""
    since = now - timedelta(hours=settings.JORNADA["WEBHOOK_DISABLE_AFTER_HOURS"])
    subscription = WebhookSubscription.objects.filter(
        pk=subscription_id,
        is_active=True,
        consecutive_failures__gte=settings.JORNADA["WEBHOOK_DISABLE_AFTER_FAILURES"],
        failing_since__lte=since,
    ).first()
    if subscription is None:
        return
    reason = gettext("%(failures)s failed attempts in a row since %(since)s.") % {
        "failures": subscription.consecutive_failures,
        "since": subscription.failing_since.isoformat(timespec="seconds"),
    }
    if services.webhook_subscription_disable(subscription=subscription, reason=reason, notify=True):
        logger.warning("Webhook subscription %s disabled: %s", subscription_id, reason)


def _send_next_in_line(delivery: WebhookDelivery) -> None:
    following = selectors.next_in_line(
        subscription_id=delivery.subscription_id, ticket_id=delivery.ticket_id
    )
    if following is not None:
        from . import tasks

        tasks.deliver.delay(following)
