"""Admin for surveys: their wording in both languages and which tickets they follow; invitations,
responses and follow-ups are shown read-only (answers come from customers, not from the admin),
except a follow-up's outcome, which the manager records."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Survey, SurveyFollowUp, SurveyInvitation, SurveyResponse, SurveyRule


class SurveyRuleInline(admin.TabularInline):
    model = SurveyRule
    extra = 0
    autocomplete_fields = ["team"]


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "is_relationship", "follow_up", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    inlines = [SurveyRuleInline]


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(ReadOnly):
    list_display = ["survey", "customer", "ticket", "channel", "status", "scheduled_at"]
    list_filter = ["status", "channel", "survey"]
    list_select_related = ["survey", "customer", "ticket"]
    date_hierarchy = "created_at"


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ReadOnly):
    list_display = ["kind", "score", "customer", "ticket", "agent", "team", "channel", "created_at"]
    list_filter = ["kind", "channel", "tier", "segment", "team"]
    list_select_related = ["customer", "ticket", "agent", "team"]
    search_fields = ["comment"]
    date_hierarchy = "created_at"


@admin.register(SurveyFollowUp)
class SurveyFollowUpAdmin(admin.ModelAdmin):
    list_display = [
        "response",
        "kind",
        "follow_up_ticket",
        "ticket_status",
        "status",
        "outcome",
        "created_at",
        "closed_at",
    ]
    list_filter = ["status", "kind"]
    list_select_related = ["response__customer", "follow_up_ticket"]
    readonly_fields = ["response", "kind", "follow_up_ticket", "created_at"]
    fields = [*readonly_fields, "status", "outcome", "closed_at"]

    @admin.display(description=_("follow-up ticket status"))
    def ticket_status(self, obj: SurveyFollowUp) -> str:
        ticket = obj.follow_up_ticket
        return ticket.get_status_display() if ticket else "—"

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "closed_at"]

    def save_model(self, request, obj, form, change):
        if obj.status == SurveyFollowUp.Status.DONE:
            services.follow_up_close(follow_up=obj, outcome=obj.outcome)
        else:
            super().save_model(request, obj, form, change)

    def has_add_permission(self, request):
        return False
