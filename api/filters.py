"""The ticket list's and the webhook delivery log's filters (django-filter)."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from rest_framework.filters import OrderingFilter

from sla.models import TicketSLA
from tickets.models import Ticket
from tickets.models.choices import Channel, Tier
from webhooks.models import WebhookDelivery


class IdFilter(django_filters.NumberFilter):
    """A whole id in the database's range: anything else is a 400, not an overflow."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, max_value=2**63 - 1, **kwargs)


class TicketFilter(django_filters.FilterSet):
    # distinct=False: these filter the ticket's own columns (no join can repeat a row), and a
    # SELECT DISTINCT would sort every match instead of walking an index for one page.
    status = django_filters.MultipleChoiceFilter(choices=Ticket.Status.choices, distinct=False)
    priority = django_filters.MultipleChoiceFilter(choices=Ticket.Priority.choices, distinct=False)
    tier = django_filters.MultipleChoiceFilter(choices=Tier.choices, distinct=False)
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices, distinct=False)
    team = IdFilter(field_name="team_id")
    assignee = IdFilter(field_name="assignee_id")
    unassigned = django_filters.BooleanFilter(field_name="assignee", lookup_expr="isnull")
    tag = django_filters.CharFilter(method="filter_tag")
    customer = IdFilter(field_name="customer_id")
    organization = IdFilter(field_name="customer__organization_id")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    updated_after = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    updated_before = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="lt")
    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Incremental sync: tickets changed at or after this time.",
    )
    sla_breached = django_filters.BooleanFilter(method="filter_sla_breached")

    class Meta:
        model = Ticket
        fields = []

    def filter_tag(self, queryset, name, value):
        return queryset.filter(tags__name=value)

    def filter_sla_breached(self, queryset, name, value):
        breached = Exists(
            TicketSLA.objects.filter(ticket_id=OuterRef("pk"), breached_at__isnull=False)
        )
        return queryset.filter(breached) if value else queryset.exclude(breached)


class TicketOrdering(OrderingFilter):
    """`ordering=` as asked; without it, newest change first, or newest first when the list is
    filtered on a creation range (what such a client reads, and an index walk instead of
    sorting a whole month of tickets)."""

    def get_default_ordering(self, view):
        params = view.request.query_params
        if "created_after" in params or "created_before" in params:
            return ["-created_at", "-id"]
        return super().get_default_ordering(view)


class WebhookDeliveryFilter(django_filters.FilterSet):
    """The delivery log's filters (within the subscriptions the caller sees)."""

    subscription = IdFilter(field_name="subscription_id")
    status = django_filters.ChoiceFilter(choices=WebhookDelivery.Status.choices)
    event = django_filters.CharFilter(field_name="name", help_text="An event name.")

    class Meta:
        model = WebhookDelivery
        fields = []
