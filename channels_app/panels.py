"""What the channels add to the agents' ticket page (registered in ChannelsAppConfig.ready()): the
WhatsApp window panel (nothing when the ticket does not talk WhatsApp) and, under each message,
what its channel told us besides the text (reactions, edits, media download state...)."""

from django.contrib.auth.models import AbstractBaseUser

from tickets.models import Ticket
from tickets.registries import MessageExtra, TicketPanel, message_extras, ticket_panels

from . import selectors


def whatsapp_window_context(ticket: Ticket, agent: AbstractBaseUser) -> dict | None:
    window = selectors.whatsapp_window_for_ticket(ticket)
    if window is None:
        return None
    return {"ticket": ticket, "window": window, "templates": list(selectors.whatsapp_templates())}


WHATSAPP_PANEL = TicketPanel(
    name="whatsapp-window",
    order=10,
    template_name="channels_app/_whatsapp_window.html",
    context=whatsapp_window_context,
)
MESSAGE_EXTRAS = MessageExtra(
    name="channel-extras", order=10, template_name="channels_app/_message_extras.html"
)


def register() -> None:
    ticket_panels.register(WHATSAPP_PANEL)
    message_extras.register(MESSAGE_EXTRAS)
