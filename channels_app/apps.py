from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsAppConfig(AppConfig):
    name = "channels_app"
    verbose_name = _("Channels")

    def ready(self) -> None:
        from anymail.signals import inbound

        from . import (
            panels,
            subscribers,  # noqa: F401  (registers the domain-event subscribers)
        )
        from .adapters.email.webhooks import store_anymail_inbound

        panels.register()

        inbound.connect(store_anymail_inbound, dispatch_uid="jornada-anymail-inbound")
