"""Customers (with identities, and merge), organizations, teams, agents and tags. Customers and
organizations are those of tickets within the agent's reach; others answer 404."""

from django.db.models import Exists, OuterRef, Prefetch
from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from tickets import selectors, services
from tickets.models import AgentProfile, Customer, CustomerIdentity, Organization, Tag, Team

from ..pagination import IdCursorPagination
from ..serializers import resources as r
from .base import ApiViewSet


class ReadOnly(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    pagination_class = IdCursorPagination


@extend_schema_view(
    list=extend_schema(summary="List customers", description="Customers with a ticket you see."),
    retrieve=extend_schema(summary="Read a customer, with their identities"),
)
class CustomerViewSet(ReadOnly):
    serializer_class = r.CustomerSerializer
    scope_resource = "customers"

    def get_queryset(self):
        visible = selectors.ticket_scope_for_agent(agent=self.request.user).filter(
            customer_id=OuterRef("pk")
        )
        return Customer.objects.filter(Exists(visible)).prefetch_related(
            Prefetch("identities", CustomerIdentity.objects.order_by("kind", "value"))
        )

    @extend_schema(
        summary="Merge into another customer",
        description="This customer's identities, tickets and messages move to `into`.",
        request=r.CustomerMerge,
        responses={200: r.CustomerSerializer},
        examples=[OpenApiExample("Merge", value={"into": 12}, request_only=True)],
    )
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        source = self.get_object()
        data = r.CustomerMerge(data=request.data)
        data.is_valid(raise_exception=True)
        target = self.get_queryset().filter(pk=data.validated_data["into"]).first()
        if target is None:
            raise Http404
        merged = services.customer_merge(source=source, target=target, by=request.user)
        return Response(r.CustomerSerializer(self.get_queryset().get(pk=merged.pk)).data)


@extend_schema_view(
    list=extend_schema(summary="List organizations"),
    retrieve=extend_schema(summary="Read an organization"),
)
class OrganizationViewSet(ReadOnly):
    serializer_class = r.OrganizationSerializer
    scope_resource = "organizations"

    def get_queryset(self):
        visible = selectors.ticket_scope_for_agent(agent=self.request.user).filter(
            customer__organization_id=OuterRef("pk")
        )
        return Organization.objects.filter(Exists(visible))


@extend_schema_view(
    list=extend_schema(summary="List teams"), retrieve=extend_schema(summary="Read a team")
)
class TeamViewSet(ReadOnly):
    serializer_class = r.TeamSerializer
    scope_resource = "teams"
    queryset = Team.objects.all()


@extend_schema_view(
    list=extend_schema(summary="List agents"),
    retrieve=extend_schema(summary="Read an agent (by user id)"),
)
class AgentViewSet(ReadOnly):
    serializer_class = r.AgentSerializer
    scope_resource = "teams"
    lookup_field = "user_id"
    pagination_class = None

    def get_queryset(self):
        return (
            AgentProfile.objects.filter(user__is_active=True)
            .select_related("user")
            .prefetch_related("teams")
            .order_by("user_id")
        )


@extend_schema_view(list=extend_schema(summary="List ticket tags"))
class TagViewSet(mixins.ListModelMixin, ApiViewSet):
    serializer_class = r.TagSerializer
    scope_resource = "tags"
    queryset = Tag.objects.all()
    pagination_class = IdCursorPagination
