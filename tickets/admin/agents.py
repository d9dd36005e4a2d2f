"""Teams, agent profiles, and Django's user admin registered again with the agent profile on the
same page. An agent's teams and their being active are changed through the services
(`agent_team_add`, `agent_team_remove`, `agent_deactivate`, `agent_activate`), which end the
sessions of a deactivated agent and tell their live connections."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tickets import services
from tickets.admin._common import ChangesRoutingMixin, S, User
from tickets.models import AgentProfile, Team, Ticket, Tier, tier_rank


@admin.register(Team)
class TeamAdmin(ChangesRoutingMixin, admin.ModelAdmin):
    list_display = ("name", "tier", "agent_count", "open_ticket_count")
    list_filter = ("tier",)
    search_fields = ("name",)
    filter_horizontal = ("leads",)

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
        fields = ("user", "tier", "n1_role", "teams", "languages", "is_manager", "chat_capacity")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chat_capacity"].required = False  # left out: kept as it is

    def clean_chat_capacity(self):
        value = self.cleaned_data.get("chat_capacity")
        return self.instance.chat_capacity if value is None else value

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


def _hold_teams(form: forms.ModelForm) -> list[Team] | None:
    """Take the teams out of what the form saves by itself (`save_m2m`), to be applied through
    the services by `_apply_teams` once the profile is saved."""
    cleaned = getattr(form, "cleaned_data", None) or {}
    teams = cleaned.pop("teams", None)
    return None if teams is None else list(teams)


def _apply_teams(profile: AgentProfile, teams: list[Team] | None, *, by) -> None:
    if teams is None or profile.pk is None:
        return
    current = set(profile.teams.values_list("pk", flat=True))
    for team in teams:
        if team.pk not in current:
            services.agent_team_add(agent=profile.user, team=team, by=by)
    for team in Team.objects.filter(pk__in=current - {team.pk for team in teams}):
        services.agent_team_remove(agent=profile.user, team=team, by=by)


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    form = AgentProfileForm
    list_display = (
        "user", "full_name", "tier", "n1_role", "team_list", "languages", "is_manager",
        "availability", "chat_capacity",
    )  # fmt: skip
    list_filter = ("tier", "n1_role", "is_manager", "teams", "availability")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__first_name", "user__last_name", "user__email")
    autocomplete_fields = ("user",)
    filter_horizontal = ("teams",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("teams")

    def save_related(self, request, form, formsets, change):
        teams = _hold_teams(form)
        super().save_related(request, form, formsets, change)
        _apply_teams(form.instance, teams, by=request.user)

    @admin.display(description=_("name"), ordering="user__first_name")
    def full_name(self, obj):
        return obj.user.get_full_name()

    @admin.display(description=_("teams"))
    def team_list(self, obj):
        return ", ".join(team.name for team in obj.teams.all())


class AgentProfileInline(admin.StackedInline):
    model = AgentProfile
    form = AgentProfileForm
    fields = ("tier", "n1_role", "teams", "languages", "is_manager", "chat_capacity")
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

    def save_model(self, request, obj, form, change):
        if change and "is_active" in form.changed_data and hasattr(obj, "agent_profile"):
            active = obj.is_active
            obj.is_active = not active  # the rest of the form first, then the service
            super().save_model(request, obj, form, change)
            change_access = services.agent_activate if active else services.agent_deactivate
            change_access(agent=obj, by=request.user)
            return
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not AgentProfile:
            super().save_formset(request, form, formset, change)
            return
        held = [(profile_form, _hold_teams(profile_form)) for profile_form in formset.forms]
        super().save_formset(request, form, formset, change)
        for profile_form, teams in held:
            if profile_form not in formset.deleted_forms:
                _apply_teams(profile_form.instance, teams, by=request.user)

    @admin.display(description=_("tier"), ordering="agent_profile__tier")
    def agent_tier(self, obj):
        profile = getattr(obj, "agent_profile", None)
        return profile.tier if profile else "—"

    @admin.display(description=_("manager"), boolean=True)
    def agent_is_manager(self, obj):
        profile = getattr(obj, "agent_profile", None)
        return bool(profile and profile.is_manager)
