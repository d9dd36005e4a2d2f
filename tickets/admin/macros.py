"""Canned responses and macros in the admin. Shared ones are kept here by managers; personal ones
belong to their agents (who keep them in the workspace) and are only shown. Saving goes through
the same services and checks as the workspace."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from tickets import services
from tickets.errors import InvalidCannedResponse, TicketError
from tickets.models import CannedResponse
from tickets.selectors.macros import can_manage_shared, canned_response_can_change
from tickets.services.macros import canned_response_clean

FIELDS = (
    "title",
    "body",
    "segment",
    "language",
    "set_status",
    "set_priority",
    "add_tags",
    "assign_to_me",
    "assign_team",
)


class CannedResponseAdminForm(forms.ModelForm):
    class Meta:
        model = CannedResponse
        fields = FIELDS

    def clean(self):
        cleaned = super().clean()
        values = {field: cleaned[field] for field in FIELDS if field in cleaned}
        try:
            cleaned.update(canned_response_clean(values))
        except TicketError as error:
            field = error.field if isinstance(error, InvalidCannedResponse) else None
            field = field or error.params.get("field")
            self.add_error(field if field in self.fields else None, error.message)
        return cleaned


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    form = CannedResponseAdminForm
    list_display = ("title", "kept_by", "segment", "language", "is_macro", "usage_count")
    list_filter = (("owner", admin.EmptyFieldListFilter), "segment", "language")
    list_select_related = ("owner",)
    search_fields = ("title", "body")
    readonly_fields = ("owner", "usage_count", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("title", "body", "owner", "segment", "language")}),
        (
            _("Macro: after the reply is sent"),
            {"fields": ("set_status", "set_priority", "add_tags", "assign_to_me", "assign_team")},
        ),
        (None, {"fields": ("usage_count", "created_at", "updated_at")}),
    )

    @admin.display(description=_("kept by"), ordering="owner__username")
    def kept_by(self, obj):
        return obj.owner.get_username() if obj.owner_id else _("Shared")

    @admin.display(description=_("macro"), boolean=True)
    def is_macro(self, obj):
        return obj.is_macro

    def has_add_permission(self, request):
        return super().has_add_permission(request) and can_manage_shared(request.user)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (
            obj is None or canned_response_can_change(user=request.user, canned=obj)
        )

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (
            obj is None or canned_response_can_change(user=request.user, canned=obj)
        )

    def get_actions(self, request):
        # Bulk delete would skip the per-response check (another agent's personal responses).
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        values = {field: form.cleaned_data[field] for field in FIELDS}
        if change:
            services.canned_response_update(canned=obj, by=request.user, **values)
        else:
            saved = services.canned_response_create(by=request.user, shared=True, **values)
            obj.pk = saved.pk
            obj._state.adding = False

    def delete_model(self, request, obj):
        services.canned_response_delete(canned=obj, by=request.user)
