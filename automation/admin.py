from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tickets.admin._common import ChangesRoutingMixin

from . import queue
from .models import AgentRouting, Rule, RuleWork, TeamRouting, TimeRule, TimeRuleRun


@admin.register(Rule)
class RuleAdmin(ChangesRoutingMixin, admin.ModelAdmin):
    list_display = ["name", "position", "is_active", "stop", "updated_at"]
    list_editable = ["position", "is_active"]
    search_fields = ["name"]


@admin.register(TimeRule)
class TimeRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "condition", "after", "unit", "position", "is_active"]
    list_editable = ["position", "is_active"]


@admin.register(TeamRouting)
class TeamRoutingAdmin(admin.ModelAdmin):
    list_display = ["team", "policy"]


@admin.register(AgentRouting)
class AgentRoutingAdmin(admin.ModelAdmin):
    list_display = ["profile", "skills", "ticket_capacity"]
    list_select_related = ["profile__user"]


@admin.register(TimeRuleRun)
class TimeRuleRunAdmin(admin.ModelAdmin):
    list_display = ["rule", "ticket", "episode", "ran_at"]
    list_select_related = ["rule", "ticket"]
    raw_id_fields = ["ticket"]


class HeldFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "held"

    def lookups(self, request, model_admin):
        return [("yes", _("Held after failing")), ("no", _("Waiting"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(attempts__gte=queue.MAX_ATTEMPTS)
        if self.value() == "no":
            return queryset.filter(attempts__lt=queue.MAX_ATTEMPTS)
        return queryset


@admin.register(RuleWork)
class RuleWorkAdmin(admin.ModelAdmin):
    """The triggers waiting to run, and those held after failing again and again (their error
    says why): once the cause is fixed, "Run again" queues them."""

    list_display = ["ticket_id", "kinds", "depth", "attempts", "due_at", "created_at", "error"]
    list_filter = [HeldFilter]
    search_fields = ["=ticket_id"]
    actions = ["run_again"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_run_permission(self, request) -> bool:
        # The rows are read-only here; running them again is a change to them.
        return request.user.has_perm("automation.change_rulework")

    @admin.action(description=_("Run the selected rules again now"), permissions=["run"])
    def run_again(self, request, queryset):
        count = queue.rule_work_retry(ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext(
                "%(count)d entry queued again.",
                "%(count)d entries queued again.",
                count,
            )
            % {"count": count},
        )
