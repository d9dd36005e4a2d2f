from django.contrib import admin

from tickets.admin._common import ChangesRoutingMixin

from .models import AgentRouting, Rule, TeamRouting, TimeRule, TimeRuleRun


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
