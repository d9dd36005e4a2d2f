"""Tickets, their messages and the actions on them."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from tickets.identities import InvalidIdentity, normalize_identity_value
from tickets.models import Attachment, CustomerIdentity, Message, Team, Ticket, TicketLink, Tier

from .once import FieldsBuiltOnce


class UserRef(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return user.get_full_name() or user.get_username()


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A new ticket",
            response_only=True,
            value={
                "id": 4521,
                "number": 5522,
                "subject": "Pedido 4521 não chegou",
                "status": "new",
                "priority": "high",
                "tier": "N1",
                "channel": "api",
                "language": "pt-br",
                "customer": {"id": 812, "name": "Maria"},
                "assignee": None,
                "team": {"id": 1, "name": "Atendimento N1"},
                "tags": ["pedido-atrasado"],
                "merged_into": None,
                "reopen_count": 0,
                "created_at": "2026-12-05T09:30:00-03:00",
                "updated_at": "2026-12-05T09:30:00-03:00",
                "first_response_at": None,
                "last_customer_message_at": "2026-12-05T09:30:00-03:00",
                "last_agent_reply_at": None,
                "solved_at": None,
                "closed_at": None,
                "sla_due_at": "2026-12-05T11:30:00-03:00",
            },
        )
    ]
)
class TicketSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    customer = serializers.SerializerMethodField()
    assignee = UserRef(allow_null=True, read_only=True)
    team = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()
    merged_into = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "subject",
            "status",
            "priority",
            "tier",
            "channel",
            "language",
            "customer",
            "assignee",
            "team",
            "tags",
            "merged_into",
            "reopen_count",
            "created_at",
            "updated_at",
            "first_response_at",
            "last_customer_message_at",
            "last_agent_reply_at",
            "solved_at",
            "closed_at",
            "sla_due_at",
        ]
        read_only_fields = fields

    def get_customer(self, ticket) -> dict:
        return {"id": ticket.customer_id, "name": ticket.customer.name}

    def get_team(self, ticket) -> dict | None:
        return {"id": ticket.team_id, "name": ticket.team.name} if ticket.team_id else None

    def get_tags(self, ticket) -> list[str]:
        known = getattr(ticket, "api_tags", None)  # set by a view that knows them already
        if known is not None:
            return known
        return sorted(tag.name for tag in ticket.tags.all())

    def get_merged_into(self, ticket) -> int | None:
        return ticket.merged_into.number if ticket.merged_into_id else None


class Requester(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[
            CustomerIdentity.Kind.EMAIL,
            CustomerIdentity.Kind.WHATSAPP,
            CustomerIdentity.Kind.PHONE,
        ]
    )
    value = serializers.CharField(max_length=320)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        try:
            attrs["value"] = normalize_identity_value(attrs["kind"], attrs["value"])
        except InvalidIdentity as exc:
            raise serializers.ValidationError(
                {"value": [_("Not a valid %(kind)s.") % {"kind": attrs["kind"]}]}
            ) from exc
        return attrs


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A customer's request from an e-commerce back end",
            value={
                "requester": {"kind": "email", "value": "maria@example.com", "name": "Maria"},
                "subject": "Pedido 4521 não chegou",
                "body": "Comprei há 10 dias e o pedido ainda não chegou.",
                "priority": "high",
                "tags": ["pedido-atrasado"],
            },
            request_only=True,
        )
    ]
)
class TicketCreate(serializers.Serializer):
    """A customer's request, received as every channel's messages are (channel `api`): the
    requester is found or created by identity, the request opens a ticket."""

    requester = Requester()
    subject = serializers.CharField(max_length=255)
    body = serializers.CharField(max_length=100_000, required=False, allow_blank=True, default="")
    body_html = serializers.CharField(
        max_length=500_000, required=False, allow_blank=True, default=""
    )
    external_id = serializers.CharField(
        max_length=255,
        required=False,
        allow_blank=True,
        default="",
        help_text="Your system's id for this request: sending it again returns the first ticket.",
    )
    priority = serializers.ChoiceField(choices=Ticket.Priority.choices, required=False)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=20
    )


class TicketUpdate(serializers.Serializer):
    """Fields changed by PATCH, each through its own service (the actions change the rest)."""

    priority = serializers.ChoiceField(choices=Ticket.Priority.choices, required=False)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        max_length=50,
        help_text="The ticket's tags exactly (others are removed).",
    )


class AttachmentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "filename", "content_type", "size", "is_inline", "download_url"]

    def get_download_url(self, attachment) -> str:
        request = self.context.get("request")
        path = f"/api/v1/attachments/{attachment.pk}/download"
        return request.build_absolute_uri(path) if request else path


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "An agent's reply",
            response_only=True,
            value={
                "id": 9031,
                "direction": "outbound",
                "kind": "message",
                "channel": "email",
                "author": {"type": "agent", "id": 7},
                "subject": "Pedido 4521 não chegou",
                "body_text": "Olá, Maria! O pedido sai hoje.",
                "body_html": "",
                "delivery_status": "queued",
                "created_at": "2026-12-05T09:42:00-03:00",
                "attachments": [],
            },
        )
    ]
)
class MessageSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "direction",
            "kind",
            "channel",
            "author",
            "subject",
            "body_text",
            "body_html",
            "delivery_status",
            "created_at",
            "attachments",
        ]

    def get_author(self, message) -> dict | None:
        if message.author_user_id:
            return {"type": "agent", "id": message.author_user_id}
        if message.author_customer_id:
            return {"type": "customer", "id": message.author_customer_id}
        return None


class ReplyAction(serializers.Serializer):
    body = serializers.CharField(max_length=100_000, required=False, allow_blank=True, default="")
    body_html = serializers.CharField(
        max_length=500_000, required=False, allow_blank=True, default=""
    )
    channel = serializers.ChoiceField(
        choices=["email", "whatsapp", "sms", "chat"], required=False, allow_null=True
    )
    then_status = serializers.ChoiceField(
        choices=Ticket.Status.choices, required=False, allow_null=True
    )
    attachments = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=10
    )


class NoteAction(serializers.Serializer):
    body = serializers.CharField(max_length=100_000)
    attachments = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=10
    )


class AssignAction(serializers.Serializer):
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True, agent_profile__isnull=False),
        allow_null=True,
        help_text="The agent's user id; null puts the ticket back in the queue.",
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )


class TierAction(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)
    to_tier = serializers.ChoiceField(choices=Tier.choices, required=False, allow_null=True)
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )


class StatusAction(serializers.Serializer):
    status = serializers.ChoiceField(choices=Ticket.Status.choices)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class OtherTicketAction(serializers.Serializer):
    ticket = serializers.IntegerField(min_value=1, help_text="The other ticket's number.")


class TicketLinkSerializer(serializers.ModelSerializer):
    class Meta:
        model = TicketLink
        fields = ["id", "created_at"]


class EmptyAction(serializers.Serializer):
    pass
