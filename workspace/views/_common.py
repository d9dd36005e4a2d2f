"""What every workspace view shares."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from tickets import selectors


def agent_required(request: HttpRequest) -> None:
    """Only agents reach the workspace; customers and other users get 403."""
    if not selectors.is_agent(request.user):
        raise PermissionDenied
