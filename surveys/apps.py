from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    def ready(self) -> None:
        from . import (
            panels,
            subscribers,  # noqa: F401  (registers the domain-event subscribers)
        )

        panels.register()
