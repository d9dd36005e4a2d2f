"""Webhook subscriptions (with rotate-secret, enable and disable) and their delivery log (with
redeliver). For superusers and users allowed to add webhook subscriptions; each sees their own
subscriptions (a superuser every one), anything else answers 404. Every change is one call to
the webhooks services; the signing secret is shown on create and on rotate-secret only."""

from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from webhooks import selectors, services

from ..filters import WebhookDeliveryFilter
from ..pagination import IdCursorPagination, NewestFirstCursorPagination
from ..permissions import WebhookOwner
from ..serializers import webhooks as w
from .base import ApiViewSet

SUBSCRIPTION = {
    "url": "https://erp.loja.example/jornada/webhooks",
    "events": ["ticket.created", "ticket.solved", "message.created"],
    "description": "ERP da loja",
}
SUBSCRIPTION_ANSWER = {
    "id": 7,
    "owner": 3,
    **SUBSCRIPTION,
    "is_active": True,
    "disabled_at": None,
    "disabled_reason": "",
    "consecutive_failures": 0,
    "failing_since": None,
    "created_at": "2026-03-02T13:05:00Z",
}
WITH_SECRET = {**SUBSCRIPTION_ANSWER, "secret": "whsec_9xQ2…"}
DELIVERY_ANSWER = {
    "id": 4521,
    "subscription": 7,
    "event_id": "0f8e2c8e-3d55-5a4e-9f3b-2b1c7f0a6d11",
    "name": "ticket.solved",
    "ticket_id": 120,
    "status": "failed",
    "attempts": 9,
    "next_attempt_at": None,
    "last_attempt_at": "2026-03-03T12:40:00Z",
    "redelivery": False,
    "response_code": 503,
    "error": "",
    "duration_ms": 212,
    "created_at": "2026-03-02T14:00:00Z",
}
NOT_FOUND = OpenApiResponse(description="No such subscription or delivery of yours.")


class WebhookApiViewSet(ApiViewSet):
    permission_classes = [WebhookOwner]
    scope_resource = "webhooks"


@extend_schema_view(
    list=extend_schema(
        summary="List webhook subscriptions",
        description="Yours (a superuser: every one), oldest first. The signing secret is "
        "never shown here.",
        examples=[OpenApiExample("A subscription", value=SUBSCRIPTION_ANSWER, response_only=True)],
    ),
    retrieve=extend_schema(
        summary="Read a webhook subscription",
        description="Without its signing secret (rotate it to see a new one).",
        responses={200: w.WebhookSubscriptionSerializer, 404: NOT_FOUND},
        examples=[OpenApiExample("A subscription", value=SUBSCRIPTION_ANSWER, response_only=True)],
    ),
    create=extend_schema(
        summary="Subscribe a URL to events",
        description="Event names come from the webhooks catalog (`ticket.created`, "
        "`ticket.updated`, `ticket.solved`, `message.created`, `sla.breached`, …). The URL "
        "must be https:// on a public address. The answer holds the signing secret: it is "
        "shown this once.",
        request=w.WebhookSubscriptionWrite,
        responses={201: w.WebhookSubscriptionWithSecret},
        examples=[
            OpenApiExample("ERP", value=SUBSCRIPTION, request_only=True),
            OpenApiExample("Created", value=WITH_SECRET, response_only=True, status_codes=[201]),
        ],
    ),
    partial_update=extend_schema(
        summary="Change a webhook subscription",
        description="Any of `url`, `events` and `description`; the others stay.",
        request=w.WebhookSubscriptionWrite,
        responses={200: w.WebhookSubscriptionSerializer, 404: NOT_FOUND},
        examples=[
            OpenApiExample(
                "More events",
                value={"events": ["ticket.created", "ticket.updated", "sla.breached"]},
                request_only=True,
            )
        ],
    ),
    destroy=extend_schema(
        summary="Delete a webhook subscription",
        description="Its deliveries, sent or waiting, are deleted with it.",
        responses={204: None, 404: NOT_FOUND},
    ),
)
class WebhookSubscriptionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, WebhookApiViewSet
):
    serializer_class = w.WebhookSubscriptionSerializer
    pagination_class = IdCursorPagination

    def get_queryset(self):
        return selectors.subscriptions_for_user(user=self.request.user).order_by("id")

    def _answer(self, subscription, serializer=w.WebhookSubscriptionSerializer, code=200):
        return Response(serializer(subscription).data, status=code)

    def create(self, request):
        data = w.WebhookSubscriptionWrite(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = services.webhook_subscription_create(
            owner=request.user, **data.validated_data
        )
        return self._answer(subscription, w.WebhookSubscriptionWithSecret, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        subscription = self.get_object()
        data = w.WebhookSubscriptionWrite(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = {k: v for k, v in data.validated_data.items() if k in request.data}
        subscription = services.webhook_subscription_update(subscription=subscription, **changes)
        return self._answer(subscription)

    def perform_destroy(self, instance):
        services.webhook_subscription_delete(subscription=instance)

    @extend_schema(
        summary="Give the subscription a new signing secret",
        description="The new secret signs from the next attempt on; the old one stops at once. "
        "The answer holds the new secret: it is shown this once.",
        request=None,
        responses={200: w.WebhookSubscriptionWithSecret, 404: NOT_FOUND},
        examples=[OpenApiExample("Rotated", value=WITH_SECRET, response_only=True)],
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        subscription = self.get_object()
        services.webhook_subscription_rotate_secret(subscription=subscription)
        return self._answer(subscription, w.WebhookSubscriptionWithSecret)

    @extend_schema(
        summary="Enable a webhook subscription",
        description="Sending resumes: deliveries that waited are tried at once, with a fresh "
        "retry schedule.",
        request=None,
        responses={200: w.WebhookSubscriptionSerializer, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"])
    def enable(self, request, pk=None):
        subscription = self.get_object()
        services.webhook_subscription_enable(subscription=subscription)
        subscription.refresh_from_db()
        return self._answer(subscription)

    @extend_schema(
        summary="Disable a webhook subscription",
        description="Nothing is sent until it is enabled again; deliveries already made wait, "
        "events that happen meanwhile are not recorded for it.",
        request=w.WebhookSubscriptionDisable,
        responses={200: w.WebhookSubscriptionSerializer, 404: NOT_FOUND},
        examples=[
            OpenApiExample("Maintenance", value={"reason": "ERP em manutenção"}, request_only=True)
        ],
    )
    @action(detail=True, methods=["post"])
    def disable(self, request, pk=None):
        subscription = self.get_object()
        data = w.WebhookSubscriptionDisable(data=request.data)
        data.is_valid(raise_exception=True)
        reason = data.validated_data.get("reason") or _("Disabled through the API by %(user)s.") % {
            "user": request.user.get_username()
        }
        services.webhook_subscription_disable(subscription=subscription, reason=reason)
        subscription.refresh_from_db()
        return self._answer(subscription)


@extend_schema_view(
    list=extend_schema(
        summary="List webhook deliveries",
        description="The delivery log of your subscriptions (a superuser: every one), newest "
        "first, kept 30 days. Filter by `subscription`, `status` and `event`.",
        examples=[OpenApiExample("A failed delivery", value=DELIVERY_ANSWER, response_only=True)],
    ),
    retrieve=extend_schema(
        summary="Read a webhook delivery",
        description="With the body and headers sent and an excerpt of the last answer.",
        responses={200: w.WebhookDeliveryDetail, 404: NOT_FOUND},
        examples=[
            OpenApiExample(
                "A failed delivery",
                value={
                    **DELIVERY_ANSWER,
                    "payload": {"id": DELIVERY_ANSWER["event_id"], "type": "ticket.solved"},
                    "request_headers": {"Content-Type": "application/json"},
                    "response_body": "Service Unavailable",
                },
                response_only=True,
            )
        ],
    ),
)
class WebhookDeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WebhookApiViewSet):
    serializer_class = w.WebhookDeliverySerializer
    pagination_class = NewestFirstCursorPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = WebhookDeliveryFilter

    def get_queryset(self):
        deliveries = selectors.deliveries_for_user(user=self.request.user)
        if self.action == "list":  # the log's columns, not each body sent
            return deliveries.defer("payload", "request_headers", "response_body")
        return deliveries.select_related("subscription")

    def get_serializer_class(self):
        return (
            w.WebhookDeliveryDetail if self.action == "retrieve" else super().get_serializer_class()
        )

    @extend_schema(
        summary="Send a delivery again now",
        description="The same event id and body, newly signed, are queued at once with a fresh "
        "retry schedule (a receiver that has the id already can ignore it). A finished "
        "delivery is sent out of order: it holds back no later event of its ticket. A "
        "disabled subscription refuses (422, `webhook_subscription_disabled`).",
        request=None,
        responses={202: w.WebhookDeliverySerializer, 404: NOT_FOUND},
        examples=[
            OpenApiExample(
                "Queued",
                value={**DELIVERY_ANSWER, "status": "pending", "attempts": 0, "redelivery": True},
                response_only=True,
                status_codes=[202],
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request, pk=None):
        delivery = services.webhook_delivery_redeliver(delivery=self.get_object())
        return Response(w.WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
