from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    name = "automation"
    verbose_name = _("Automation")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tickets import events

        from . import (
            birth,
            panels,
            queue,
            subscribers,  # noqa: F401  (registers the domain-event subscribers)
        )

        panels.register()
        birth.register()
        events.add_outbox_writer(queue.rule_work_record)
