from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from tickets import events

        from . import (
            outbox,
            subscribers,  # noqa: F401  (registers the fan-out after commit)
        )

        events.add_outbox_writer(outbox.outbox_record)
