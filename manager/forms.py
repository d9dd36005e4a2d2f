"""The dashboard's filters: a date range and optional narrowing, validated against what the
reader may see."""

from datetime import datetime, time, timedelta

from django import forms
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from sla.metrics import MetricFilters
from tickets.models import AgentProfile, Channel, Customer, Organization, Tier

from .access import DashboardScope


class PlainSelect(forms.Select):
    """A select rendered in Python rather than one template per option: a desk has thousands of
    organizations, and the form renders on every dashboard request."""

    def __init__(self, *args, label_field: str = "name", **kwargs):
        super().__init__(*args, **kwargs)
        self.label_field = label_field

    def _pairs(self):
        queryset = getattr(self.choices, "queryset", None)
        if queryset is None:
            return [(getattr(v, "value", v), label) for v, label in self.choices]
        # The labels straight from the database: no model instance per option.
        empty = [("", self.choices.field.empty_label)] if self.choices.field.empty_label else []
        return empty + list(queryset.values_list("pk", self.label_field))

    def render(self, name, value, attrs=None, renderer=None):
        chosen = "" if value is None else str(value)
        attributes = flatatt(self.build_attrs(self.attrs, {**(attrs or {}), "name": name}))
        options = "".join(
            f'<option value="{escape(key)}"{" selected" if str(key) == chosen else ""}>'
            f"{escape(label)}</option>"
            for key, label in self._pairs()
        )
        return mark_safe(f"<select{attributes}>{options}</select>")


DEFAULT_DAYS = 30
MAX_DAYS = 366


class DashboardFilterForm(forms.Form):
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    team = forms.ModelChoiceField(label=_("Team"), queryset=None, required=False)
    tier = forms.ChoiceField(label=_("Tier"), choices=[("", "—"), *Tier.choices], required=False)
    agent = forms.ModelChoiceField(label=_("Agent"), queryset=None, required=False)
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", "—"), *Channel.choices], required=False
    )
    segment = forms.ChoiceField(
        label=_("Customer segment"),
        choices=[("", "—"), *Customer.Segment.choices],
        required=False,
    )
    organization = forms.ModelChoiceField(
        label=_("Organization"),
        queryset=Organization.objects.order_by("name"),
        required=False,
        widget=PlainSelect,
    )

    def __init__(self, *args, scope: DashboardScope, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope = scope
        self.fields["team"].queryset = scope.teams()
        agents = AgentProfile.objects.select_related("user").order_by("user__username")
        if not scope.sees_everything:
            agents = agents.filter(teams__in=scope.team_ids).distinct()
        self.fields["agent"].queryset = agents

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        end = data.get("end") or today
        start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise forms.ValidationError(_("The range starts after it ends."))
        if (end - start).days >= MAX_DAYS:
            raise forms.ValidationError(_("Choose a range of at most a year."))
        data["start"], data["end"] = start, end
        return data

    def metric_filters(self) -> MetricFilters:
        """The filters to compute with (call after is_valid())."""
        data = self.cleaned_data
        tz = timezone.get_current_timezone()
        return MetricFilters(
            start=datetime.combine(data["start"], time.min, tzinfo=tz),
            end=datetime.combine(data["end"] + timedelta(days=1), time.min, tzinfo=tz),
            team_ids=self.scope.team_ids,
            team=data["team"].pk if data.get("team") else None,
            tier=data.get("tier") or "",
            agent=data["agent"].user_id if data.get("agent") else None,
            channel=data.get("channel") or "",
            segment=data.get("segment") or "",
            organization=data["organization"].pk if data.get("organization") else None,
        )
