"""{% load sla %}{% sla_clocks ticket %}: the ticket's SLA clocks, for the ticket page."""

from django import template

from .. import selectors
from ..display import clock_views

register = template.Library()


@register.inclusion_tag("sla/_ticket_clocks.html")
def sla_clocks(ticket) -> dict:
    """One query: the clocks with their policy and calendar (calendars are built once per
    process and version)."""
    return {"clocks": clock_views(selectors.clocks_for_ticket(ticket=ticket))}
