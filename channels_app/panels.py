"""What the channels add to the agents' ticket page (registered in ChannelsAppConfig.ready()): the
WhatsApp window panel (nothing when the ticket does not talk WhatsApp), the live chat's state
with its "End chat" button (chat tickets only), the agent's own address
for adding notes to the ticket by email, under each message what its channel told us besides
the text (reactions, edits, media download state, a sender it could not verify...), and the
timeline text of a refused note by email."""

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext, gettext_lazy

from tickets.models import Channel, Ticket, TicketEvent
from tickets.note_addresses import note_address
from tickets.registries import (
    EventText,
    MessageExtra,
    TicketPanel,
    event_texts,
    message_extras,
    ticket_panels,
)

from . import selectors


def whatsapp_window_context(ticket: Ticket, agent: AbstractBaseUser) -> dict | None:
    window = selectors.whatsapp_window_for_ticket(ticket)
    if window is None:
        return None
    return {"ticket": ticket, "window": window, "templates": list(selectors.whatsapp_templates())}


def chat_context(ticket: Ticket, agent: AbstractBaseUser) -> dict | None:
    """A chat ticket's live chat (one query, none for other channels)."""
    if ticket.channel != Channel.CHAT:
        return None
    session = selectors.chat_session_for_ticket(ticket.pk)
    if session is None:
        return None
    return {"ticket": ticket, "chat": session, "chat_ended": session.state == "ended"}


def note_address_context(ticket: Ticket, agent: AbstractBaseUser) -> dict | None:
    """This agent's note address for this ticket (a secret of theirs: shown to them only). No
    query: the support address comes from the cache."""
    mailbox_address = selectors.note_mailbox_address()
    if not mailbox_address:
        return None
    address = note_address(
        mailbox_address=mailbox_address, agent_id=agent.pk, ticket_number=ticket.number
    )
    return {"ticket": ticket, "note_address": address}


REFUSALS = {
    "no_note_address": gettext_lazy("it was not sent to the agent's note address"),
    "invalid_note_address": gettext_lazy("the note address was altered or is not ours"),
    "not_the_agent": gettext_lazy("the note address belongs to another agent"),
    "unauthenticated": gettext_lazy("the sender could not be verified"),
    "not_visible": gettext_lazy("the agent is inactive or cannot see this ticket"),
}


def refused_note_text(event: TicketEvent) -> str:
    """For the timeline: who wrote as an agent, and why it did not become a note."""
    why = REFUSALS.get(event.data.get("refusal", ""), event.data.get("refusal", ""))
    return gettext("an email from %(sender)s: %(why)s") % {
        "sender": event.data.get("sender", "?"),
        "why": why,
    }


WHATSAPP_PANEL = TicketPanel(
    name="whatsapp-window",
    order=10,
    template_name="channels_app/_whatsapp_window.html",
    context=whatsapp_window_context,
)
CHAT_PANEL = TicketPanel(
    name="live-chat", order=5, template_name="channels_app/_chat.html", context=chat_context
)
NOTE_ADDRESS_PANEL = TicketPanel(
    name="note-by-email",
    order=90,
    template_name="channels_app/_note_address.html",
    context=note_address_context,
)
MESSAGE_EXTRAS = MessageExtra(
    name="channel-extras", order=10, template_name="channels_app/_message_extras.html"
)


def register() -> None:
    ticket_panels.register(WHATSAPP_PANEL)
    ticket_panels.register(CHAT_PANEL)
    ticket_panels.register(NOTE_ADDRESS_PANEL)
    message_extras.register(MESSAGE_EXTRAS)
    event_texts.register(
        EventText(kind=TicketEvent.Kind.NOTE_BY_EMAIL_REFUSED, text=refused_note_text)
    )
