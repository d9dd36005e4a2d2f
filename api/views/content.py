"""Canned responses (the agent's own and the shared ones), the knowledge base (agents read
drafts and internal articles too), SLA policies, survey responses and their report, and the
dashboard's metrics."""

from dataclasses import asdict
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.response import Response

from knowledge_base.models import Article, Category
from sla import metrics
from sla.models import SLAPolicy
from surveys.models import SurveyResponse
from surveys.reports import survey_report
from tickets import selectors, services
from tickets.models import AgentProfile

from ..pagination import IdCursorPagination
from ..serializers import resources as r
from .base import ApiViewSet


@extend_schema_view(
    list=extend_schema(summary="List canned responses", description="Yours and the shared."),
    retrieve=extend_schema(summary="Read a canned response"),
    create=extend_schema(
        summary="Create a canned response",
        request=r.CannedResponseWrite,
        responses={201: r.CannedResponseSerializer},
        examples=[
            OpenApiExample(
                "Boleto", value={"title": "Segunda via", "body": "Olá {{customer.first_name}}!"}
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Change a canned response",
        request=r.CannedResponseWrite,
        responses={200: r.CannedResponseSerializer},
    ),
    destroy=extend_schema(summary="Delete a canned response"),
)
class CannedResponseViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ApiViewSet
):
    serializer_class = r.CannedResponseSerializer
    scope_resource = "canned_responses"
    pagination_class = IdCursorPagination

    def get_queryset(self):
        return selectors.canned_responses_for(agent=self.request.user).order_by("id")

    def create(self, request):
        data = r.CannedResponseWrite(data=request.data)
        data.is_valid(raise_exception=True)
        canned = services.canned_response_create(by=request.user, **data.validated_data)
        return Response(r.CannedResponseSerializer(canned).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        canned = self.get_object()
        data = r.CannedResponseWrite(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = {k: v for k, v in data.validated_data.items() if k in request.data}
        canned = services.canned_response_update(canned=canned, by=request.user, **changes)
        return Response(r.CannedResponseSerializer(canned).data)

    def perform_destroy(self, instance):
        services.canned_response_delete(canned=instance, by=self.request.user)


@extend_schema_view(
    list=extend_schema(summary="List knowledge-base categories"),
    retrieve=extend_schema(summary="Read a category"),
)
class CategoryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = r.CategorySerializer
    scope_resource = "kb"
    pagination_class = IdCursorPagination
    queryset = Category.objects.all()


@extend_schema_view(
    list=extend_schema(summary="List knowledge-base articles", description="Drafts included."),
    retrieve=extend_schema(summary="Read an article"),
)
class ArticleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = r.ArticleSerializer
    scope_resource = "kb"
    pagination_class = IdCursorPagination

    def get_queryset(self):
        return (
            Article.objects.select_related("section")
            .prefetch_related("tags")
            .defer("search_document")
        )


@extend_schema_view(
    list=extend_schema(summary="List SLA policies"),
    retrieve=extend_schema(summary="Read an SLA policy"),
)
class SLAPolicyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = r.SLAPolicySerializer
    scope_resource = "sla"
    pagination_class = IdCursorPagination
    queryset = SLAPolicy.objects.all()


@extend_schema_view(
    list=extend_schema(
        summary="List survey responses",
        description="Answers about tickets within your reach (managers: all, relationship "
        "surveys included).",
    ),
    retrieve=extend_schema(summary="Read a survey response"),
)
class SurveyResponseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = r.SurveyResponseSerializer
    scope_resource = "surveys"
    pagination_class = IdCursorPagination

    def get_queryset(self):
        user = self.request.user
        responses = SurveyResponse.objects.select_related("ticket")
        if getattr(self, "swagger_fake_view", False):
            return responses.none()
        if user.is_superuser or user.agent_profile.is_manager:
            return responses
        return responses.filter(ticket__in=selectors.ticket_scope_for_agent(agent=user))


def _range(params) -> tuple:
    end = params.get("end") or timezone.now()
    return params.get("start") or end - timedelta(days=30), end


class SurveyReportViewSet(ApiViewSet):
    scope_resource = "surveys"
    pagination_class = None

    @extend_schema(
        summary="Survey aggregates",
        description="CSAT %, NPS or average CES with response rates, optionally by agent, "
        "team, tier, channel or segment and per day, week or month.",
        parameters=[r.SurveyReportQuery],
        responses={200: dict},
    )
    def list(self, request):
        query = r.SurveyReportQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        start, end = _range(params)
        rows = survey_report(
            viewer=request.user,
            kind=params["kind"],
            start=start,
            end=end,
            by=params.get("by"),
            period=params.get("period"),
        )
        results = [{**asdict(row), "response_rate": row.response_rate} for row in rows]
        return Response({"kind": params["kind"], "start": start, "end": end, "rows": results})


def metric_team_ids(user) -> list[int] | None:
    """Managers see every team (None); team leads the teams they lead; others nothing."""
    if user.is_superuser:
        return None
    profile: AgentProfile = user.agent_profile
    if profile.is_manager:
        return None
    led = list(profile.led_teams.values_list("pk", flat=True))
    if not led:
        raise PermissionDenied
    return led


class MetricsViewSet(ApiViewSet):
    scope_resource = "metrics"
    pagination_class = None

    @extend_schema(
        summary="Dashboard figures",
        description="The managers' dashboard as JSON (managers: every team; team leads: "
        "their teams): first response and resolution times (wall clock and business), "
        "volume, SLA compliance per target, backlog.",
        parameters=[r.RangeQuery],
        responses={200: dict},
    )
    def list(self, request):
        query = r.RangeQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = _range(query.validated_data)
        filters = metrics.MetricFilters(
            start=start, end=end, team_ids=metric_team_ids(request.user)
        )
        volume = metrics.volume(filters)
        return Response(
            {
                "start": start,
                "end": end,
                "first_response_time": asdict(metrics.first_response_time(filters)),
                "resolution_time": asdict(metrics.resolution_time(filters)),
                "responsiveness": asdict(metrics.responsiveness(filters)),
                "volume": {
                    **asdict(volume),
                    "first_contact_resolution_rate": volume.first_contact_resolution_rate,
                    "contacts_per_resolution": volume.contacts_per_resolution,
                },
                "sla_compliance": [asdict(row) for row in metrics.sla_compliance(filters)],
                "backlog": asdict(metrics.backlog(filters, now=timezone.now())),
            }
        )
