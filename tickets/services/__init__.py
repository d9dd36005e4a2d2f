"""Every change to tickets, customers, conversations and agents' access goes through these
functions.

One function per business verb, named <entity>_<verb>, keyword-only arguments, one transaction,
an audit row (TicketEvent) in that transaction and a domain event after it commits.
"""

from .agents import agent_activate, agent_deactivate, agent_team_add, agent_team_remove
from .automation import (
    custom_event_publish,
    note_add_automatic,
    ticket_record_routed,
    ticket_record_rule_run,
)
from .availability import agent_seen, agent_set_availability
from .bulk import tickets_bulk_apply
from .chat import ticket_record_chat_state
from .customers import (
    customer_add_identity,
    customer_get_or_create_for_identity,
    customer_merge,
    customers_prefetch_for_identities,
)
from .delivery import DeliveryChange, message_update_delivery, messages_update_delivery
from .macros import (
    canned_response_create,
    canned_response_delete,
    canned_response_render,
    canned_response_update,
    macro_apply,
)
from .messages import (
    Notice,
    ReceiveResult,
    message_annotate,
    message_notify,
    message_receive,
    message_reply,
    messages_notify,
    note_add,
    whatsapp_window_closes_at,
)
from .new_tickets import ticket_create
from .notifications import notifications_mark_read
from .openings import messages_receive_openings
from .portal import (
    customer_portal_login_get_or_create,
    message_receive_from_portal,
    portal_identity_ensure,
    ticket_solve_by_customer,
)
from .relations import message_split, ticket_link, ticket_unlink
from .replies import messages_receive_replies
from .sla import (
    SLARecord,
    ticket_notify_sla,
    ticket_record_sla_event,
    tickets_record_sla_events,
    tickets_set_sla_due,
)
from .surveys import survey_response_publish, ticket_record_survey_sent, ticket_survey_follow_up
from .tickets import (
    team_for_tier,
    ticket_assign,
    ticket_change_priority,
    ticket_change_status,
    ticket_claim,
    ticket_deescalate,
    ticket_escalate,
    ticket_merge,
    ticket_tag,
    tickets_close_stale_solved,
)
from .views import saved_view_create, saved_view_delete, saved_view_rename

__all__ = [
    "DeliveryChange",
    "Notice",
    "ReceiveResult",
    "SLARecord",
    "agent_activate",
    "agent_deactivate",
    "agent_seen",
    "agent_set_availability",
    "agent_team_add",
    "agent_team_remove",
    "canned_response_create",
    "canned_response_delete",
    "canned_response_render",
    "canned_response_update",
    "custom_event_publish",
    "customer_add_identity",
    "customer_get_or_create_for_identity",
    "customer_merge",
    "customer_portal_login_get_or_create",
    "customers_prefetch_for_identities",
    "macro_apply",
    "message_annotate",
    "message_notify",
    "message_receive",
    "message_receive_from_portal",
    "message_reply",
    "message_split",
    "message_update_delivery",
    "messages_notify",
    "messages_receive_openings",
    "messages_receive_replies",
    "messages_update_delivery",
    "note_add",
    "note_add_automatic",
    "notifications_mark_read",
    "portal_identity_ensure",
    "saved_view_create",
    "saved_view_delete",
    "saved_view_rename",
    "survey_response_publish",
    "team_for_tier",
    "ticket_assign",
    "ticket_change_priority",
    "ticket_change_status",
    "ticket_claim",
    "ticket_create",
    "ticket_deescalate",
    "ticket_escalate",
    "ticket_link",
    "ticket_merge",
    "ticket_notify_sla",
    "ticket_record_chat_state",
    "ticket_record_routed",
    "ticket_record_rule_run",
    "ticket_record_sla_event",
    "ticket_record_survey_sent",
    "ticket_solve_by_customer",
    "ticket_survey_follow_up",
    "ticket_tag",
    "ticket_unlink",
    "tickets_bulk_apply",
    "tickets_close_stale_solved",
    "tickets_record_sla_events",
    "tickets_set_sla_due",
    "whatsapp_window_closes_at",
]
