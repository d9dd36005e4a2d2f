"""Webhook subscriptions and their deliveries, as the API shows them. The signing secret is in
the answers to create and rotate-secret only."""

from rest_framework import serializers

from webhooks import catalog
from webhooks.models import WebhookDelivery, WebhookSubscription

SUBSCRIPTION_FIELDS = [
    "id",
    "owner",
    "url",
    "description",
    "events",
    "is_active",
    "disabled_at",
    "disabled_reason",
    "consecutive_failures",
    "failing_since",
    "created_at",
]


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(read_only=True)
    events = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = WebhookSubscription
        fields = SUBSCRIPTION_FIELDS
        read_only_fields = SUBSCRIPTION_FIELDS


class WebhookSubscriptionWithSecret(WebhookSubscriptionSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="Signs every request (`Jornada-Signature`). Shown only here: keep it.",
    )

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*SUBSCRIPTION_FIELDS, "secret"]
        read_only_fields = fields


class EventNamesField(serializers.ListField):
    """Event names of the webhooks catalog (`webhooks.catalog.public_names()`)."""

    def __init__(self, **kwargs):
        # The catalog is read when the serializer is made, after every app is ready.
        super().__init__(
            child=serializers.ChoiceField(choices=catalog.public_names()),
            allow_empty=False,
            max_length=100,
            **kwargs,
        )


class WebhookSubscriptionWrite(serializers.Serializer):
    url = serializers.URLField(max_length=500, help_text="An https:// address.")
    events = EventNamesField(help_text="The event names to receive (at least one).")
    description = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )


class WebhookSubscriptionDisable(serializers.Serializer):
    reason = serializers.CharField(
        max_length=500, required=False, allow_blank=True, help_text="Kept with the subscription."
    )


DELIVERY_FIELDS = [
    "id",
    "subscription",
    "event_id",
    "name",
    "ticket_id",
    "status",
    "attempts",
    "next_attempt_at",
    "last_attempt_at",
    "redelivery",
    "response_code",
    "error",
    "duration_ms",
    "created_at",
]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    subscription = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = DELIVERY_FIELDS
        read_only_fields = DELIVERY_FIELDS


class WebhookDeliveryDetail(WebhookDeliverySerializer):
    """One delivery with what was sent and the last answer's excerpt."""

    payload = serializers.JSONField(read_only=True)
    request_headers = serializers.JSONField(read_only=True)

    class Meta(WebhookDeliverySerializer.Meta):
        fields = [*DELIVERY_FIELDS, "payload", "request_headers", "response_body"]
        read_only_fields = fields
