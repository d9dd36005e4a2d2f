"""System checks of the core's configuration (`manage.py check`, run by every command)."""

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, register

from .storage import attachment_storage


@register(Tags.security)
def attachments_stay_private(app_configs, **kwargs):
    """Attachments must not be stored where a web server serves files as they are."""
    location = getattr(attachment_storage(), "location", None)
    if not location:
        return []
    location = Path(location).resolve()
    served = [Path(root).resolve() for root in (settings.MEDIA_ROOT, settings.STATIC_ROOT) if root]
    if any(location.is_relative_to(root) for root in served):
        return [
            Error(
                f"Ticket attachments are stored in {location}, inside MEDIA_ROOT or STATIC_ROOT.",
                hint="Set PRIVATE_MEDIA_ROOT to a folder no web server serves.",
                id="tickets.E001",
            )
        ]
    return []
