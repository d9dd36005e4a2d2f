"""API tokens in the admin: created here (the token is shown once, in the confirmation message),
revoked by an action; only the digest is stored."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .models import ApiToken
from .tokens import api_token_create, api_token_revoke, check_scopes


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = [
        "prefix",
        "name",
        "user",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    readonly_fields = ["prefix", "created_at", "revoked_at", "last_used_at"]
    fields = ["user", "name", "scopes", "expires_at", *readonly_fields]
    autocomplete_fields = ["user"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        # A token's grant never changes after it is shown: revoke it and make another.
        if obj is not None:
            return [*self.readonly_fields, "user", "scopes", "expires_at"]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            ApiToken.objects.filter(pk=obj.pk).update(name=obj.name)
            return
        try:
            scopes = check_scopes(obj.scopes or [])
        except ValueError as exc:
            self.message_user(request, _("Unknown scopes: %s") % exc, messages.ERROR)
            scopes = []
        token, raw = api_token_create(user=obj.user, scopes=scopes, name=obj.name)
        if obj.expires_at:
            ApiToken.objects.filter(pk=token.pk).update(expires_at=obj.expires_at)
        obj.pk = token.pk
        obj._state.adding = False
        obj.refresh_from_db()
        self.message_user(
            request,
            _("Copy the token now, it will not be shown again: %(token)s") % {"token": raw},
            messages.WARNING,
        )

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        for token in queryset:
            api_token_revoke(token=token)
        self.message_user(request, _("Tokens revoked."), messages.SUCCESS)
