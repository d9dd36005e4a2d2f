"""The Django admin for the help desk's core data, made for a manager.

Tickets are never written here: adding a ticket calls `services.ticket_create`, changing one calls
the service matching each changed field, and the changelist actions call a service per ticket. The
form validates the rules a manager can break (status transitions, tiers, reasons) so that they read
as form errors; any other domain error a service raises is shown on the form too, after the whole
change is rolled back. Messages, attachments and the audit trail are read-only.
"""

from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.template import engines
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator, slugify
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from . import services
from .errors import IllegalTransition, NotAnAgent, ReasonRequired, TicketError, TierNotAllowed
from .identities import InvalidIdentity, normalize_identity_value
from .models import (
    AgentProfile,
    Attachment,
    Customer,
    CustomerIdentity,
    Message,
    Organization,
    Tag,
    Team,
    Ticket,
    TicketEvent,
    Tier,
    tier_rank,
)
from .status import allowed_transitions, can_transition

User = get_user_model()
S = Ticket.Status

# A bulk action runs one service call (one transaction) per ticket; past this many tickets the
# request would take too long, so the manager is asked to narrow the selection.
BULK_ACTION_LIMIT = 500
# How many failures a bulk action lists by ticket before summing up the rest.
FAILURES_LISTED = 10
# Where a domain error raised while saving waits for the form to show it (see TicketAdmin).
SERVICE_ERROR_ATTR = "_jornada_admin_service_error"
# Notes for the manager gathered while saving, shown only once the save succeeded.
NOTES_ATTR = "_jornada_admin_notes"


# --- Shared pieces --------------------------------------------------------------------------------


def _agents():
    return (
        User.objects.filter(agent_profile__isnull=False)
        .select_related("agent_profile")
        .order_by("username")
    )


def _agent_label(user) -> str:
    return f"{user.get_username()} · {user.agent_profile.tier}"


def _ticket_number(search_term: str) -> int | None:
    """`1234` or `#1234` searches a ticket by number (an index lookup, not a text scan)."""
    term = search_term.strip().removeprefix("#")
    if term.isdigit() and len(term) <= 18:
        return int(term)
    return None


class TicketNumberSearchMixin:
    """Searching a number finds that ticket exactly; anything else is a text search."""

    ticket_number_path = "number"

    def get_search_results(self, request, queryset, search_term):
        number = _ticket_number(search_term)
        if number is not None:
            return queryset.filter(**{self.ticket_number_path: number}), False
        return super().get_search_results(request, queryset, search_term)


class ReadOnlyAdminMixin:
    """Rows written only by services: nobody adds, changes or deletes them here, superusers
    included. Viewing follows the usual view permission."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AgentListFilter(admin.SimpleListFilter):
    """People who can hold tickets (not every user), plus "me" and "nobody"."""

    title = _("assignee")
    parameter_name = "assignee"
    field = "assignee"
    none_label = _("Unassigned")

    def lookups(self, request, model_admin):
        return [
            ("me", _("Me")),
            ("none", self.none_label),
            *((str(user.pk), _agent_label(user)) for user in _agents()),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "me":
            return queryset.filter(**{self.field: request.user.pk})
        if value == "none":
            return queryset.filter(**{f"{self.field}__isnull": True})
        if value and value.isdigit():
            return queryset.filter(**{self.field: int(value)})
        return queryset


class ActorListFilter(AgentListFilter):
    title = _("by")
    parameter_name = "actor"
    field = "actor"
    none_label = _("The system")


class MergedListFilter(admin.SimpleListFilter):
    title = _("merged")
    parameter_name = "merged"

    def lookups(self, request, model_admin):
        return [("no", _("Not merged")), ("yes", _("Merged into another"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(merged_into__isnull=True)
        if self.value() == "yes":
            return queryset.filter(merged_into__isnull=False)
        return queryset


@dataclass
class BulkOutcome:
    done: int = 0
    failures: list[str] | None = None


def _report(model_admin, request, action_label: str, outcome: BulkOutcome) -> None:
    failures = outcome.failures or []
    if outcome.done:
        model_admin.message_user(
            request,
            ngettext(
                "%(action)s: done for %(count)d ticket.",
                "%(action)s: done for %(count)d tickets.",
                outcome.done,
            )
            % {"action": action_label, "count": outcome.done},
            messages.SUCCESS,
        )
    if failures:
        listed = "; ".join(failures[:FAILURES_LISTED])
        if len(failures) > FAILURES_LISTED:
            listed += " " + gettext("(and %(count)d more)") % {
                "count": len(failures) - FAILURES_LISTED
            }
        model_admin.message_user(
            request,
            ngettext(
                "%(action)s failed for %(count)d ticket: %(details)s",
                "%(action)s failed for %(count)d tickets: %(details)s",
                len(failures),
            )
            % {"action": action_label, "count": len(failures), "details": listed},
            messages.ERROR,
        )


def _too_many(model_admin, request, count: int) -> bool:
    if count <= BULK_ACTION_LIMIT:
        return False
    model_admin.message_user(
        request,
        gettext(
            "%(count)d tickets are selected; actions run on at most %(limit)d at a time. "
            "Narrow the list with the filters."
        )
        % {"count": count, "limit": BULK_ACTION_LIMIT},
        messages.ERROR,
    )
    return True


# --- Organizations, customers, identities ---------------------------------------------------------


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "domain", "customer_count", "created_at")
    search_fields = ("name", "domain")
    date_hierarchy = "created_at"
    readonly_fields = ("created_at",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(customer_count=Count("customers"))

    @admin.display(description=_("customers"), ordering="customer_count")
    def customer_count(self, obj):
        return obj.customer_count


class CustomerIdentityForm(forms.ModelForm):
    """Stores the value normalized (lower-case email, E.164 phone), as the services do, so that
    the uniqueness check and the inbound pipeline find the same person."""

    class Meta:
        model = CustomerIdentity
        fields = ("customer", "kind", "value", "verified")

    def clean(self):
        cleaned = super().clean()
        kind, value = cleaned.get("kind"), cleaned.get("value")
        if kind and value:
            try:
                cleaned["value"] = normalize_identity_value(kind, value)
            except InvalidIdentity:
                self.add_error(
                    "value",
                    _("“%(value)s” is not a valid %(kind)s.")
                    % {"value": value, "kind": CustomerIdentity.Kind(kind).label},
                )
        return cleaned


class CustomerIdentityInline(admin.TabularInline):
    model = CustomerIdentity
    form = CustomerIdentityForm
    fields = ("kind", "value", "verified", "created_at")
    readonly_fields = ("created_at",)
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = (
        "name_or_id",
        "identity_list",
        "organization",
        "segment",
        "language",
        "merged_into",
        "created_at",
    )
    list_filter = ("segment", "language", MergedListFilter, "organization", "created_at")
    list_select_related = ("organization", "merged_into")
    search_fields = ("name", "identities__value", "organization__name")
    search_help_text = _("Name, email, phone or organization.")
    autocomplete_fields = ("organization", "user")
    readonly_fields = ("merged_into", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "organization", "segment", "language", "user")}),
        (_("Notes"), {"fields": ("notes",)}),
        (_("History"), {"fields": ("merged_into", "created_at", "updated_at")}),
    )
    inlines = (CustomerIdentityInline,)
    actions = ("merge_into_oldest",)
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("identities")

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        match = request.resolver_match
        if (
            match is not None
            and match.url_name == "autocomplete"
            and request.GET.get("model_name") == "ticket"
        ):
            # A new ticket belongs to the surviving record, not to one merged away.
            queryset = queryset.filter(merged_into__isnull=True)
        return queryset, may_have_duplicates

    @admin.display(description=_("name"), ordering="name")
    def name_or_id(self, obj):
        return str(obj)

    @admin.display(description=_("identities"))
    def identity_list(self, obj):
        # Uses the prefetched rows: one query for the whole page.
        return ", ".join(identity.value for identity in obj.identities.all())

    @admin.action(
        description=_("Merge selected customers into the oldest one"), permissions=["change"]
    )
    def merge_into_oldest(self, request, queryset):
        chosen = list(queryset.order_by("created_at", "pk"))
        if len(chosen) < 2:
            self.message_user(
                request, gettext("Select at least two customers to merge."), messages.WARNING
            )
            return
        target, sources = chosen[0], chosen[1:]
        merged, failures = [], []
        for source in sources:
            try:
                services.customer_merge(source=source, target=target, by=request.user)
            except TicketError as exc:
                failures.append(f"{source}: {exc.message}")
            else:
                merged.append(str(source))
        if merged:
            self.message_user(
                request,
                ngettext(
                    "%(count)d customer merged into %(target)s: %(names)s.",
                    "%(count)d customers merged into %(target)s: %(names)s.",
                    len(merged),
                )
                % {"count": len(merged), "target": target, "names": ", ".join(merged)},
                messages.SUCCESS,
            )
        if failures:
            self.message_user(
                request,
                gettext("Could not merge: %(details)s") % {"details": "; ".join(failures)},
                messages.ERROR,
            )


@admin.register(CustomerIdentity)
class CustomerIdentityAdmin(admin.ModelAdmin):
    form = CustomerIdentityForm
    list_display = ("value", "kind", "customer", "verified", "created_at")
    list_filter = ("kind", "verified", "created_at")
    list_select_related = ("customer",)
    search_fields = ("value", "customer__name")
    autocomplete_fields = ("customer",)
    readonly_fields = ("created_at",)
    show_full_result_count = False


# --- Teams, agents, tags --------------------------------------------------------------------------


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "tier", "agent_count", "open_ticket_count")
    list_filter = ("tier",)
    search_fields = ("name",)

    def get_queryset(self, request):
        open_tickets = (
            Ticket.objects.filter(team=OuterRef("pk"))
            .exclude(status__in=[S.SOLVED, S.CLOSED])
            .order_by()
            .values("team")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                agent_count=Count("agents", distinct=True),
                open_ticket_count=Coalesce(
                    Subquery(open_tickets, output_field=IntegerField()), Value(0)
                ),
            )
        )

    @admin.display(description=_("agents"), ordering="agent_count")
    def agent_count(self, obj):
        return obj.agent_count

    @admin.display(description=_("open tickets"), ordering="open_ticket_count")
    def open_ticket_count(self, obj):
        return obj.open_ticket_count


class AgentProfileForm(forms.ModelForm):
    class Meta:
        model = AgentProfile
        fields = ("user", "tier", "n1_role", "teams", "languages", "is_manager")

    def clean(self):
        cleaned = super().clean()
        tier, role = cleaned.get("tier"), cleaned.get("n1_role")
        if tier and tier != Tier.N1 and role:
            self.add_error("n1_role", _("Only N1 agents have an N1 role."))
        if tier and self.instance.pk and self.instance.user_id:
            held = (
                Ticket.objects.filter(assignee_id=self.instance.user_id)
                .exclude(status=S.CLOSED)
                .filter(tier__in=[t for t in Tier if tier_rank(t) > tier_rank(tier)])
                .count()
            )
            if held:
                self.add_error(
                    "tier",
                    ngettext(
                        "This agent holds %(count)d ticket above %(tier)s; reassign it first.",
                        "This agent holds %(count)d tickets above %(tier)s; reassign them first.",
                        held,
                    )
                    % {"count": held, "tier": tier},
                )
        return cleaned


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    form = AgentProfileForm
    list_display = ("user", "full_name", "tier", "n1_role", "team_list", "languages", "is_manager")
    list_filter = ("tier", "n1_role", "is_manager", "teams")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__first_name", "user__last_name", "user__email")
    autocomplete_fields = ("user",)
    filter_horizontal = ("teams",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("teams")

    @admin.display(description=_("name"), ordering="user__first_name")
    def full_name(self, obj):
        return obj.user.get_full_name()

    @admin.display(description=_("teams"))
    def team_list(self, obj):
        return ", ".join(team.name for team in obj.teams.all())


class AgentProfileInline(admin.StackedInline):
    model = AgentProfile
    form = AgentProfileForm
    fields = ("tier", "n1_role", "teams", "languages", "is_manager")
    filter_horizontal = ("teams",)
    can_delete = True
    extra = 0
    max_num = 1
    verbose_name = _("agent profile")
    verbose_name_plural = _("agent profile (help desk agent)")


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin, with the help desk's agent profile on the same page."""

    inlines = (AgentProfileInline,)
    list_display = (*DjangoUserAdmin.list_display, "agent_tier", "agent_is_manager")
    list_filter = (*DjangoUserAdmin.list_filter, "agent_profile__tier", "agent_profile__is_manager")
    list_select_related = ("agent_profile",)

    def get_inlines(self, request, obj):
        # The add page is Django's two-step user creation; the profile comes on the next page.
        return self.inlines if obj is not None else ()

    @admin.display(description=_("tier"), ordering="agent_profile__tier")
    def agent_tier(self, obj):
        profile = getattr(obj, "agent_profile", None)
        return profile.tier if profile else "—"

    @admin.display(description=_("manager"), boolean=True)
    def agent_is_manager(self, obj):
        profile = getattr(obj, "agent_profile", None)
        return bool(profile and profile.is_manager)


class TagForm(forms.ModelForm):
    name = forms.CharField(
        label=_("name"),
        max_length=64,
        help_text=_("Stored as a slug: “Segunda Via” becomes “segunda-via”."),
    )

    class Meta:
        model = Tag
        fields = ("name",)

    def clean_name(self):
        # The same normalization ticket_tag applies, so tags made here are the ones it finds.
        name = slugify(self.cleaned_data["name"], allow_unicode=True)[:64]
        if not name:
            raise forms.ValidationError(_("A tag needs letters or digits."))
        return name


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    form = TagForm
    list_display = ("name",)
    search_fields = ("name",)


# --- Tickets --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Stored:
    status: str
    priority: str
    tier: str
    team_id: int | None
    assignee_id: int | None


class TicketAdminForm(forms.ModelForm):
    tier_reason = forms.CharField(
        label=_("Reason for the tier change"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=_("Required when the tier changes; kept in the ticket's audit trail."),
    )

    # Set per request by TicketAdmin.get_form: a refusal from the services on the first pass.
    service_error: TicketError | None = None

    class Meta:
        model = Ticket
        fields = (
            "customer",
            "subject",
            "channel",
            "priority",
            "status",
            "tier",
            "team",
            "assignee",
            "tags",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        self.stored = None
        if instance.pk:
            self.stored = _Stored(
                status=instance.status,
                priority=instance.priority,
                tier=instance.tier,
                team_id=instance.team_id,
                assignee_id=instance.assignee_id,
            )
        if "assignee" in self.fields:
            field = self.fields["assignee"]
            field.queryset = _agents()
            field.label_from_instance = _agent_label
        if "customer" in self.fields:
            self.fields["customer"].queryset = Customer.objects.filter(merged_into__isnull=True)
        if "team" in self.fields and self.stored is None:
            # New tickets start at N1; other tiers are reached by escalation.
            self.fields["team"].queryset = Team.objects.filter(tier=Tier.N1)
        if "status" in self.fields and self.stored is not None:
            allowed = [str(s.label) for s in S if s in allowed_transitions(self.stored.status)]
            self.fields["status"].help_text = (
                _("From “%(status)s” a ticket can go to: %(allowed)s.")
                % {"status": S(self.stored.status).label, "allowed": ", ".join(allowed)}
                if allowed
                else _("“%(status)s” is final.") % {"status": S(self.stored.status).label}
            )

    def clean(self):
        cleaned = super().clean()
        if self.service_error is not None:
            # The services refused the change on the previous pass (and it was rolled back).
            raise forms.ValidationError(self.service_error.message, code=self.service_error.code)
        if self.stored is not None:
            self._clean_change(cleaned)
        self._clean_tags(cleaned)
        return cleaned

    def _clean_tags(self, cleaned):
        """ticket_tag slugifies the names it is given before looking tags up, so a tag stored
        under another spelling (say "Boleto") would be silently neither added nor removed."""
        if cleaned.get("tags") is None:
            return
        chosen = set(cleaned["tags"])
        stored = set(self.instance.tags.all()) if self.stored is not None else set()
        for tag in sorted(chosen ^ stored, key=lambda t: t.name):
            slug = slugify(tag.name, allow_unicode=True)[:64]
            if slug != tag.name:
                self.add_error(
                    "tags",
                    _(
                        "The tag “%(tag)s” is not written the way tickets are tagged "
                        "(“%(slug)s”); rename it under Tags first."
                    )
                    % {"tag": tag.name, "slug": slug},
                )

    def _clean_change(self, cleaned):
        stored = self.stored
        to_status = cleaned.get("status", stored.status)
        if to_status != stored.status and not can_transition(stored.status, to_status):
            error = IllegalTransition(
                from_status=S(stored.status).label, to_status=S(to_status).label
            )
            self.add_error("status", forms.ValidationError(error.message, code=error.code))

        tier = cleaned.get("tier", stored.tier)
        if tier != stored.tier and not (cleaned.get("tier_reason") or "").strip():
            error = ReasonRequired()
            self.add_error("tier_reason", forms.ValidationError(error.message, code=error.code))

        if "team" in cleaned:
            team = cleaned["team"]
            if team is None and stored.team_id is not None:
                self.add_error(
                    "team",
                    _("A ticket cannot leave its queue; choose another team of the same tier."),
                )
            elif team is not None and team.pk != stored.team_id and team.tier != tier:
                self.add_error(
                    "team",
                    _(
                        "“%(team)s” works %(team_tier)s tickets and this ticket is %(tier)s; "
                        "change the tier to move it to another tier."
                    )
                    % {"team": team.name, "team_tier": team.tier, "tier": tier},
                )

        assignee = cleaned.get("assignee")
        if assignee is not None and assignee.pk != stored.assignee_id:
            profile = getattr(assignee, "agent_profile", None)
            if profile is None:
                error = NotAnAgent(user=assignee.get_username())
            elif not profile.can_hold_tier(tier):
                error = TierNotAllowed(
                    agent=assignee.get_username(), agent_tier=profile.tier, ticket_tier=tier
                )
            else:
                error = None
            if error is not None:
                self.add_error("assignee", forms.ValidationError(error.message, code=error.code))


class MessageInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The conversation, oldest first. Messages are written by services only."""

    model = Message
    fields = (
        "created_at",
        "direction",
        "kind",
        "channel",
        "author",
        "excerpt",
        "delivery_status",
        "attachment_count",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("author_user", "author_customer")
            .annotate(attachment_count=Count("attachments"))
        )

    @admin.display(description=_("author"))
    def author(self, obj):
        return obj.author_user or obj.author_customer or "—"

    @admin.display(description=_("text"))
    def excerpt(self, obj):
        return Truncator(obj.body_text).chars(140)

    @admin.display(description=_("attachments"))
    def attachment_count(self, obj):
        return obj.attachment_count


class TicketEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The audit trail: read-only for everyone."""

    model = TicketEvent
    fields = ("created_at", "kind", "actor", "before", "after", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class EscalateActionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Recorded on every escalated ticket."),
    )


ESCALATE_PAGE = """{% extends "admin/base_site.html" %}
{% load admin_urls %}
{% block breadcrumbs %}<div class="breadcrumbs">
<a href="{% url 'admin:index' %}">{{ home_label }}</a> &rsaquo;
<a href="{% url opts|admin_urlname:'changelist' %}">{{ opts.verbose_name_plural|capfirst }}</a>
&rsaquo; {{ title }}</div>{% endblock %}
{% block content %}
<form method="post">{% csrf_token %}
<p>{{ intro }}</p>
<ul>{% for ticket in tickets %}<li>{{ ticket }} ({{ ticket.tier }})</li>{% endfor %}</ul>
<fieldset class="module aligned">{{ form.as_div }}</fieldset>
{% for ticket in tickets %}<input type="hidden" name="{{ checkbox_name }}" value="{{ ticket.pk }}">
{% endfor %}<input type="hidden" name="action" value="escalate_next_tier">
<input type="hidden" name="apply" value="1">
<div class="submit-row"><input type="submit" class="default" value="{{ submit_label }}">
<a href="" class="button cancel-link">{{ cancel_label }}</a></div>
</form>
{% endblock %}
"""


@admin.register(Ticket)
class TicketAdmin(TicketNumberSearchMixin, admin.ModelAdmin):
    form = TicketAdminForm
    list_display = (
        "number",
        "subject",
        "status",
        "priority",
        "tier",
        "channel",
        "customer",
        "customer_organization",
        "team",
        "assignee",
        "updated_at",
        "created_at",
    )
    list_display_links = ("number", "subject")
    list_filter = (
        "status",
        "priority",
        "tier",
        "channel",
        "team",
        AgentListFilter,
        "customer__segment",
        "customer__organization",
        "tags",
        "created_at",
        "updated_at",
        "solved_at",
    )
    list_select_related = ("customer", "customer__organization", "team", "assignee")
    list_per_page = 50
    search_fields = ("subject", "customer__name", "customer__identities__value")
    search_help_text = _("Ticket number (1234 or #1234), subject, customer name, email or phone.")
    # No date_hierarchy: its year/month links come from a DISTINCT over the whole table on every
    # page view. The date filters (today, past 7 days, this month, this year) cost nothing.
    show_full_result_count = False
    autocomplete_fields = ("customer", "tags")
    actions = (
        "claim_for_me",
        "mark_solved",
        "close",
        "set_priority_high",
        "set_priority_urgent",
        "escalate_next_tier",
    )

    change_readonly_fields = (
        "number",
        "subject",
        "customer",
        "channel",
        "language",
        "merged_into",
        "reopen_count",
        "created_at",
        "updated_at",
        "first_response_at",
        "last_customer_message_at",
        "last_agent_reply_at",
        "solved_at",
        "closed_at",
    )

    # -- the form --------------------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return (
                (None, {"fields": ("customer", "subject", "channel", "priority")}),
                (_("Routing"), {"fields": ("team", "assignee", "tags")}),
            )
        return (
            (None, {"fields": ("number", "subject", "customer", "channel", "language")}),
            (
                _("Work"),
                {
                    "fields": (
                        "status",
                        "priority",
                        "tier",
                        "tier_reason",
                        "team",
                        "assignee",
                        "tags",
                    )
                },
            ),
            (
                _("Timeline"),
                {
                    "classes": ("collapse",),
                    "fields": (
                        "created_at",
                        "updated_at",
                        "first_response_at",
                        "last_customer_message_at",
                        "last_agent_reply_at",
                        "solved_at",
                        "closed_at",
                        "reopen_count",
                        "merged_into",
                    ),
                },
            ),
        )

    def get_readonly_fields(self, request, obj=None):
        return self.change_readonly_fields if obj is not None else ()

    def get_inlines(self, request, obj):
        return (MessageInline, TicketEventInline) if obj is not None else ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.service_error = getattr(request, SERVICE_ERROR_ATTR, None)
        return form

    def has_delete_permission(self, request, obj=None):
        # Tickets are merged or closed, never deleted: deleting would erase the audit trail.
        return False

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A POST runs in one transaction (Django's). When a service refuses the change, the
        exception rolls all of it back; the form is then validated again with the refusal as its
        error, so the manager sees a message next to what they typed, never a traceback."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except TicketError as exc:
            if request.method != "POST" or hasattr(request, SERVICE_ERROR_ATTR):
                raise
            setattr(request, SERVICE_ERROR_ATTR, exc)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        setattr(request, NOTES_ATTR, [])
        if change:
            ticket = self._apply_changes(request, obj.pk, data)
        else:
            ticket = services.ticket_create(
                customer=data["customer"],
                subject=data["subject"],
                channel=data["channel"],
                priority=data["priority"],
                team=data.get("team"),
                by=request.user,
                tags=[tag.name for tag in data.get("tags") or ()],
            )
            if data.get("assignee") is not None:
                ticket = services.ticket_assign(
                    ticket=ticket, assignee=data["assignee"], by=request.user
                )
        # The admin goes on (history, redirect) with the row as the services left it.
        obj.pk = ticket.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def _apply_changes(self, request, pk, data) -> Ticket:
        """One service per changed field, in an order that keeps each step legal: the tier first
        (it moves team and maybe assignee), then people, priority, tags, and the status last (a
        ticket being closed accepts no other change after that)."""
        user = request.user
        stored = Ticket.objects.select_related("assignee").get(pk=pk)
        ticket = stored
        team = data.get("team")
        team_to_set = team if team is not None and team.pk != stored.team_id else None
        assignee = data.get("assignee")
        assignee_changed = (assignee.pk if assignee else None) != stored.assignee_id

        if data["tier"] != stored.tier:
            move = (
                services.ticket_escalate
                if tier_rank(data["tier"]) > tier_rank(stored.tier)
                else services.ticket_deescalate
            )
            ticket = move(
                ticket=ticket,
                to_tier=data["tier"],
                reason=data["tier_reason"],
                by=user,
                team=team_to_set,
            )
            team_to_set = None
            if stored.assignee is not None and ticket.assignee_id is None and not assignee_changed:
                getattr(request, NOTES_ATTR).append(
                    gettext("%(agent)s cannot hold a %(tier)s ticket and was unassigned.")
                    % {"agent": stored.assignee.get_username(), "tier": ticket.tier}
                )
        if team_to_set is not None or assignee_changed:
            ticket = services.ticket_assign(
                ticket=ticket,
                assignee=assignee if assignee_changed else ticket.assignee,
                by=user,
                team=team_to_set,
            )
        if data["priority"] != stored.priority:
            ticket = services.ticket_change_priority(
                ticket=ticket, priority=data["priority"], by=user
            )
        if "tags" in data:
            before = set(stored.tags.values_list("name", flat=True))
            after = {tag.name for tag in data["tags"]}
            if before != after:
                ticket = services.ticket_tag(
                    ticket=ticket,
                    by=user,
                    add=sorted(after - before),
                    remove=sorted(before - after),
                )
        if data["status"] != stored.status:
            ticket = services.ticket_change_status(ticket=ticket, to_status=data["status"], by=user)
        return ticket

    def response_add(self, request, obj, post_url_continue=None):
        self._show_notes(request)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        self._show_notes(request)
        return super().response_change(request, obj)

    def _show_notes(self, request):
        for note in getattr(request, NOTES_ATTR, ()):
            self.message_user(request, note, messages.WARNING)

    def save_related(self, request, form, formsets, change):
        # Not form.save_m2m(): the tags went through ticket_tag / ticket_create in save_model.
        # The inlines are read-only, so their formsets have nothing to save.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    # -- the changelist ----------------------------------------------------------------------------

    @admin.display(description=_("organization"), ordering="customer__organization__name")
    def customer_organization(self, obj):
        return obj.customer.organization or "—"

    def _for_each(self, request, queryset, action_label, call) -> None:
        if _too_many(self, request, queryset.count()):
            return
        if not AgentProfile.objects.filter(user_id=request.user.pk).exists():
            # Every service would refuse each ticket for the same reason: say it once.
            self.message_user(
                request, NotAnAgent(user=request.user.get_username()).message, messages.ERROR
            )
            return
        outcome = BulkOutcome(failures=[])
        for ticket in queryset.order_by("number"):
            try:
                call(ticket)
            except TicketError as exc:
                outcome.failures.append(f"#{ticket.number}: {exc.message}")
            else:
                outcome.done += 1
        _report(self, request, action_label, outcome)

    @admin.action(description=_("Claim for me"), permissions=["change"])
    def claim_for_me(self, request, queryset):
        self._for_each(
            request,
            queryset,
            gettext("Claim for me"),
            lambda ticket: services.ticket_claim(ticket=ticket, by=request.user),
        )

    @admin.action(description=_("Mark as solved"), permissions=["change"])
    def mark_solved(self, request, queryset):
        self._for_each(
            request,
            queryset,
            gettext("Mark as solved"),
            lambda ticket: services.ticket_change_status(
                ticket=ticket, to_status=S.SOLVED, by=request.user
            ),
        )

    @admin.action(description=_("Close"), permissions=["change"])
    def close(self, request, queryset):
        self._for_each(
            request,
            queryset,
            gettext("Close"),
            lambda ticket: services.ticket_change_status(
                ticket=ticket, to_status=S.CLOSED, by=request.user
            ),
        )

    @admin.action(description=_("Set priority: high"), permissions=["change"])
    def set_priority_high(self, request, queryset):
        self._for_each(
            request,
            queryset,
            gettext("Set priority: high"),
            lambda ticket: services.ticket_change_priority(
                ticket=ticket, priority=Ticket.Priority.HIGH, by=request.user
            ),
        )

    @admin.action(description=_("Set priority: urgent"), permissions=["change"])
    def set_priority_urgent(self, request, queryset):
        self._for_each(
            request,
            queryset,
            gettext("Set priority: urgent"),
            lambda ticket: services.ticket_change_priority(
                ticket=ticket, priority=Ticket.Priority.URGENT, by=request.user
            ),
        )

    @admin.action(description=_("Escalate to the next tier…"), permissions=["change"])
    def escalate_next_tier(self, request, queryset):
        """Asks for the reason on an intermediate page, then escalates each ticket with it."""
        count = queryset.count()
        if _too_many(self, request, count):
            return None
        form = EscalateActionForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            self._for_each(
                request,
                queryset,
                gettext("Escalate to the next tier"),
                lambda ticket: services.ticket_escalate(
                    ticket=ticket, reason=reason, by=request.user
                ),
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Escalate to the next tier"),
            "opts": self.opts,
            "form": form,
            "tickets": queryset.order_by("number"),
            "checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "intro": ngettext(
                "Escalate %(count)d ticket to the next tier. Why?",
                "Escalate %(count)d tickets to the next tier. Why?",
                count,
            )
            % {"count": count},
            "submit_label": gettext("Escalate"),
            "cancel_label": gettext("No, take me back"),
            "home_label": gettext("Home"),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, engines["django"].from_string(ESCALATE_PAGE), context)


# --- Conversation and audit trail (read-only) -----------------------------------------------------


class AttachmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Attachment
    fields = ("file_link", "content_type", "human_size", "is_inline", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description=_("file"))
    def file_link(self, obj):
        return _file_link(obj)

    @admin.display(description=_("size"))
    def human_size(self, obj):
        return filesizeformat(obj.size)


def _file_link(attachment: Attachment):
    if not attachment.file:
        return attachment.filename
    return format_html(
        '<a href="{}" target="_blank" rel="noopener">{}</a>',
        attachment.file.url,
        attachment.filename,
    )


@admin.register(Message)
class MessageAdmin(TicketNumberSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    ticket_number_path = "ticket__number"
    list_display = (
        "created_at",
        "ticket",
        "direction",
        "kind",
        "channel",
        "author",
        "excerpt",
        "delivery_status",
    )
    list_filter = (
        "direction",
        "kind",
        "channel",
        "delivery_status",
        "is_auto_reply",
        "created_at",
    )
    list_select_related = ("ticket", "author_user", "author_customer")
    search_fields = ("external_id", "subject", "body_text")
    search_help_text = _("Ticket number (1234 or #1234), provider message id, subject or text.")
    show_full_result_count = False
    inlines = (AttachmentInline,)
    fieldsets = (
        (None, {"fields": ("ticket", "direction", "kind", "channel", "created_at")}),
        (_("Author"), {"fields": ("author_user", "author_customer")}),
        (_("Content"), {"fields": ("subject", "body_text", "body_html")}),
        (
            _("Delivery"),
            {
                "fields": (
                    "external_id",
                    "delivery_status",
                    "delivery_error",
                    "is_auto_reply",
                    "threading_reason",
                    "metadata",
                )
            },
        ),
    )

    @admin.display(description=_("author"))
    def author(self, obj):
        return obj.author_user or obj.author_customer or "—"

    @admin.display(description=_("text"))
    def excerpt(self, obj):
        return Truncator(obj.body_text).chars(80)


@admin.register(Attachment)
class AttachmentAdmin(TicketNumberSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    ticket_number_path = "message__ticket__number"
    list_display = (
        "filename",
        "file_link",
        "content_type",
        "human_size",
        "ticket",
        "message",
        "is_inline",
        "created_at",
    )
    list_filter = ("is_inline", "created_at")
    list_select_related = ("message", "message__ticket")
    search_fields = ("filename",)
    search_help_text = _("Ticket number (1234 or #1234) or file name.")
    show_full_result_count = False
    fields = (
        "file_link",
        "filename",
        "content_type",
        "human_size",
        "content_id",
        "is_inline",
        "message",
        "created_at",
    )
    readonly_fields = ("file_link", "human_size")

    @admin.display(description=_("file"))
    def file_link(self, obj):
        return _file_link(obj)

    @admin.display(description=_("size"), ordering="size")
    def human_size(self, obj):
        return filesizeformat(obj.size)

    @admin.display(description=_("ticket"), ordering="message__ticket__number")
    def ticket(self, obj):
        return obj.message.ticket


@admin.register(TicketEvent)
class TicketEventAdmin(TicketNumberSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    ticket_number_path = "ticket__number"
    list_display = ("created_at", "ticket", "kind", "actor", "before_after", "short_reason")
    list_filter = ("kind", ActorListFilter, "created_at")
    list_select_related = ("ticket", "actor")
    search_fields = ("reason",)
    search_help_text = _("Ticket number (1234 or #1234) or reason.")
    show_full_result_count = False
    fields = ("ticket", "kind", "actor", "created_at", "before", "after", "reason", "data")

    @admin.display(description=_("change"))
    def before_after(self, obj):
        if obj.before is None and obj.after is None:
            return "—"
        return format_html_join(" → ", "{}", ((_short(obj.before),), (_short(obj.after),)))

    @admin.display(description=_("reason"))
    def short_reason(self, obj):
        return Truncator(obj.reason).chars(80)


def _short(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict):
        return ", ".join(f"{key}: {item}" for key, item in value.items())
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "∅"
    return str(value)
