"""Outbound webhooks: subscriptions, the outbox written with each change, and deliveries."""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


class WebhookSubscription(models.Model):
    """A URL that receives the events it names, signed with its own secret."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        related_name="webhook_subscriptions",
        on_delete=models.CASCADE,
    )
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    secret = models.CharField(
        _("signing secret"), max_length=80, default=new_secret, editable=False
    )
    events = models.JSONField(_("events"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_reason = models.TextField(_("why it was disabled"), blank=True)
    # Failed attempts in a row, and since when: sustained failure disables the subscription.
    consecutive_failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return self.url


class OutboxEvent(models.Model):
    """A domain event recorded in the transaction that published it, waiting to be fanned out
    into deliveries (then deleted). The id orders the events of one ticket: they are written
    under the ticket's row lock."""

    id = models.BigAutoField(primary_key=True)
    uuid = models.UUIDField(default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=64)
    ticket_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField()
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")
        indexes = [models.Index(fields=["ticket_id", "id"], name="webhook_outbox_ticket")]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"


class WebhookDelivery(models.Model):
    """One event for one subscription: its signed request, attempts and the last answer."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Delivered")
        FAILED = "failed", _("Failed")

    subscription = models.ForeignKey(
        WebhookSubscription,
        verbose_name=_("subscription"),
        related_name="deliveries",
        on_delete=models.CASCADE,
    )
    event_id = models.UUIDField(_("event id"))
    name = models.CharField(_("event"), max_length=64)
    payload = models.JSONField(_("payload"))
    ticket_id = models.BigIntegerField(_("ticket id"), null=True, blank=True)
    sequence = models.BigIntegerField(_("sequence"))  # the outbox id: the order per ticket
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)  # a worker is sending it
    queued_at = models.DateTimeField(null=True, blank=True)  # a task for it is on its way
    # A manual redelivery of an old event: sent at once, it holds back no later event.
    redelivery = models.BooleanField(_("redelivery"), default=False)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    request_headers = models.JSONField(_("request headers"), default=dict, blank=True)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    response_body = models.TextField(_("response body (excerpt)"), blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"], name="webhook_delivery_once"
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(
                fields=["subscription", "ticket_id", "sequence"], name="webhook_delivery_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} → {self.subscription_id}"
