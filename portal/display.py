"""How the portal names things for customers: statuses in their words, not the agents'."""

from django.utils.translation import gettext_lazy as _

from tickets.models import Ticket

S = Ticket.Status

CUSTOMER_STATUS = {
    S.NEW: (_("Received"), "received"),
    S.OPEN: (_("In progress"), "progress"),
    S.ON_HOLD: (_("In progress"), "progress"),
    S.PENDING: (_("Awaiting your reply"), "waiting"),
    S.SOLVED: (_("Solved"), "solved"),
    S.CLOSED: (_("Closed"), "closed"),
}


def customer_status(status: str) -> tuple[str, str]:
    """The label a customer reads for a ticket status, and a CSS class for its badge."""
    return CUSTOMER_STATUS.get(status, (status, "progress"))


def with_customer_status(tickets):
    for ticket in tickets:
        ticket.customer_status, ticket.status_class = customer_status(ticket.status)
    return tickets


def with_shown_text(messages):
    """The text a customer reads of each message: an email's own words, without the quoted
    earlier messages (as the channel split them), else the whole text."""
    for message in messages:
        message.shown_text = message.metadata.get("reply_text") or message.body_text
    return messages
