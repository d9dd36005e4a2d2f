"""Who may call the API's agent endpoints: agents (their own reach, as in the workspace), and
for a request made with a token, only within the token's scopes."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from tickets import selectors
from webhooks import services as webhook_services

from .models import ApiToken


def scope_level(request, view) -> str:
    level = getattr(view, "scope_level", None)
    if callable(level):
        level = level(request)
    return level or ("read" if request.method in SAFE_METHODS else "write")


class ScopedAgent(BasePermission):
    """An authenticated agent; with a token, one whose scopes grant the view's resource
    (`view.scope_resource`) at the level the method needs (read for GET, write otherwise)."""

    message = _("Only agents may use this endpoint, within their token's scopes.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and selectors.is_agent(user)):
            return False
        return self.token_allows(request, view)

    def token_allows(self, request, view) -> bool:
        token, level = request.auth, scope_level(request, view)
        if isinstance(token, ApiToken) and not token.allows(view.scope_resource, level):
            self.message = _("This token has no “%(scope)s” scope.") % {
                "scope": f"{view.scope_resource}:{level}"
            }
            return False
        return True


class ManagerOnly(ScopedAgent):
    """Figures about everyone's work: managers only (and superusers)."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        user = request.user
        return user.is_superuser or user.agent_profile.is_manager


class WebhookOwner(ScopedAgent):
    """Webhooks carry every ticket's events: superusers and users allowed to add webhook
    subscriptions (agents or not), within their token's scopes."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and webhook_services.may_subscribe(user)):
            self.message = _(
                "Only administrators and users allowed to add webhook subscriptions may use "
                "this endpoint."
            )
            return False
        return self.token_allows(request, view)
