"""Every change to tickets, customers and conversations goes through these functions.

One function per business verb, named <entity>_<verb>, keyword-only arguments, one transaction,
an audit row (TicketEvent) in that transaction and a domain event after it commits.
"""

from .customers import customer_add_identity, customer_get_or_create_for_identity, customer_merge
from .messages import (
    ReceiveResult,
    message_notify,
    message_receive,
    message_reply,
    message_update_delivery,
    note_add,
)
from .tickets import (
    team_for_tier,
    ticket_assign,
    ticket_change_priority,
    ticket_change_status,
    ticket_claim,
    ticket_create,
    ticket_deescalate,
    ticket_escalate,
    ticket_merge,
    ticket_tag,
    tickets_close_stale_solved,
)

__all__ = [
    "ReceiveResult",
    "customer_add_identity",
    "customer_get_or_create_for_identity",
    "customer_merge",
    "message_notify",
    "message_receive",
    "message_reply",
    "message_update_delivery",
    "note_add",
    "team_for_tier",
    "ticket_assign",
    "ticket_change_priority",
    "ticket_change_status",
    "ticket_claim",
    "ticket_create",
    "ticket_deescalate",
    "ticket_escalate",
    "ticket_merge",
    "ticket_tag",
    "tickets_close_stale_solved",
]
