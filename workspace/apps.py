from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkspaceConfig(AppConfig):
    name = "workspace"
    verbose_name = _("Agent workspace")

    def ready(self) -> None:
        from .live import pushes  # noqa: F401  (registers the live-push subscribers)
