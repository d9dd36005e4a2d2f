"""Customers, organizations, teams, agents, tags, canned responses, the knowledge base, SLA and
surveys, as the API shows them."""

from rest_framework import serializers

from knowledge_base.models import Article, Category
from sla.models import SLAPolicy, TicketSLA
from surveys.models import SurveyKind, SurveyResponse
from tickets.models import (
    AgentProfile,
    CannedResponse,
    Customer,
    CustomerIdentity,
    Organization,
    Tag,
    Team,
)


class IdentitySerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomerIdentity
        fields = ["id", "kind", "value", "verified", "created_at"]


class CustomerSerializer(serializers.ModelSerializer):
    identities = IdentitySerializer(many=True, read_only=True)
    merged_into = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "organization",
            "segment",
            "language",
            "merged_into",
            "identities",
            "created_at",
            "updated_at",
        ]


class CustomerMerge(serializers.Serializer):
    into = serializers.IntegerField(min_value=1, help_text="The customer that stays.")


class OrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "domain", "created_at"]


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "tier", "description"]


class AgentSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="user_id")
    username = serializers.CharField(source="user.username")
    name = serializers.SerializerMethodField()
    teams = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = AgentProfile
        fields = ["id", "username", "name", "tier", "is_manager", "availability", "teams"]

    def get_name(self, profile) -> str:
        return profile.user.get_full_name() or profile.user.get_username()


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name"]


class CannedResponseSerializer(serializers.ModelSerializer):
    shared = serializers.SerializerMethodField()

    class Meta:
        model = CannedResponse
        fields = [
            "id",
            "title",
            "body",
            "shared",
            "segment",
            "language",
            "set_status",
            "set_priority",
            "add_tags",
            "assign_to_me",
            "assign_team",
            "usage_count",
            "created_at",
            "updated_at",
        ]

    def get_shared(self, canned) -> bool:
        return canned.owner_id is None


class CannedResponseWrite(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    body = serializers.CharField(max_length=20_000)
    shared = serializers.BooleanField(required=False, default=False)
    segment = serializers.ChoiceField(
        choices=[("", "any"), *Customer.Segment.choices], required=False, default=""
    )
    language = serializers.CharField(max_length=8, required=False, allow_blank=True, default="")
    set_status = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    set_priority = serializers.CharField(max_length=8, required=False, allow_blank=True, default="")
    add_tags = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    assign_to_me = serializers.BooleanField(required=False, default=False)
    assign_team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True, default=None
    )


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "language", "name", "slug", "description", "position"]


class ArticleSerializer(serializers.ModelSerializer):
    category = serializers.IntegerField(source="section.category_id", read_only=True, default=None)
    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="slug")

    class Meta:
        model = Article
        fields = [
            "id",
            "title",
            "slug",
            "language",
            "summary",
            "body",
            "status",
            "visibility",
            "category",
            "section",
            "tags",
            "published_at",
            "created_at",
            "updated_at",
        ]


class SLAPolicySerializer(serializers.ModelSerializer):
    class Meta:
        model = SLAPolicy
        fields = [
            "id",
            "name",
            "is_active",
            "position",
            "priority",
            "segment",
            "channel",
            "tier",
            "calendar",
            "first_response_minutes",
            "next_response_minutes",
            "resolution_minutes",
            "warn_before",
            "warn_unit",
            "escalate_on_breach",
        ]


class TicketSLASerializer(serializers.ModelSerializer):
    policy = serializers.CharField(source="policy.name")

    class Meta:
        model = TicketSLA
        fields = [
            "id",
            "target",
            "policy",
            "target_minutes",
            "started_at",
            "due_at",
            "warn_at",
            "paused_at",
            "stopped_at",
            "business_seconds",
            "warned_at",
            "breached_at",
        ]


class SurveyResponseSerializer(serializers.ModelSerializer):
    ticket = serializers.IntegerField(source="ticket.number", read_only=True, default=None)

    class Meta:
        model = SurveyResponse
        fields = [
            "id",
            "kind",
            "score",
            "comment",
            "ticket",
            "customer",
            "agent",
            "team",
            "tier",
            "channel",
            "segment",
            "created_at",
        ]


class RangeQuery(serializers.Serializer):
    start = serializers.DateTimeField(required=False, help_text="Default: 30 days ago.")
    end = serializers.DateTimeField(required=False, help_text="Default: now.")


class SurveyReportQuery(RangeQuery):
    kind = serializers.ChoiceField(choices=SurveyKind.choices, default=SurveyKind.CSAT)
    by = serializers.ChoiceField(
        choices=["agent", "team", "tier", "channel", "segment"], required=False
    )
    period = serializers.ChoiceField(choices=["day", "week", "month"], required=False)
