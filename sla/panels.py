"""What SLA adds to the agents' ticket page (registered in SlaConfig.ready()): the clocks panel and
the text of the SLA warning and breach entries of the timeline."""

from django.contrib.auth.models import AbstractBaseUser

from tickets.models import Ticket, TicketEvent
from tickets.registries import EventText, TicketPanel, event_texts, ticket_panels

from . import selectors
from .display import clock_views, sla_event_text


def clocks_context(ticket: Ticket, agent: AbstractBaseUser) -> dict:
    """One query: the clocks with their policy and calendar (calendars are built once per
    process and version). The page has already checked that the agent may see the ticket."""
    return {"clocks": clock_views(selectors.clocks_for_ticket(ticket=ticket))}


CLOCKS_PANEL = TicketPanel(
    name="sla-clocks", order=20, template_name="sla/_ticket_panel.html", context=clocks_context
)


def register() -> None:
    ticket_panels.register(CLOCKS_PANEL)
    for kind in (TicketEvent.Kind.SLA_WARNING, TicketEvent.Kind.SLA_BREACHED):
        event_texts.register(EventText(kind=kind, text=sla_event_text))
