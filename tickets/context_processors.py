"""Template context every workspace page shares: the agent's unread notifications."""

from django.http import HttpRequest

from . import selectors


def workspace(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not selectors.is_agent(user):
        return {}
    return {"unread_notifications": selectors.unread_notification_count(agent=user)}
