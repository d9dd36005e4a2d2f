"""Template context every workspace page shares: the agent's unread notifications."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from tickets import selectors


def workspace(request: HttpRequest) -> dict:
    """Lazy: only a page that shows the count (the top bar) pays its query; admin pages and htmx
    fragments do not."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notifications": SimpleLazyObject(
            lambda: (
                selectors.unread_notification_count(agent=user) if selectors.is_agent(user) else 0
            )
        )
    }
