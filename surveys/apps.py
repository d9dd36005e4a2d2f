from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    def ready(self) -> None:
        from channels_app.services import chat_survey_source_register

        from . import (
            chat,
            panels,
            subscribers,  # noqa: F401  (registers the domain-event subscribers)
        )

        panels.register()
        chat_survey_source_register(chat.chat_survey_for_ticket)
