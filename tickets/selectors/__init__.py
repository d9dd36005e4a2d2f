"""Reads of the core, always scoped to who is asking, one module per subject: tickets (and their
customers, links, notifications), macros (canned responses), inbox (views, filters, sorts, keyset
pages) and search. The names below are the public ones: `from tickets import selectors` and
`selectors.ticket_get_for_agent(...)` is how other apps read the core."""

from . import inbox, macros, portal, search
from .inbox import InboxPage, forget_view_counts, inbox_page
from .macros import (
    can_manage_shared,
    canned_response_can_change,
    canned_response_get_for_agent,
    canned_responses_for,
)
from .portal import (
    attachment_visible_to_customer,
    customer_for_user,
    customer_survivor,
    customer_visible_messages,
    ticket_conversation_for_customer,
    ticket_get_for_customer,
    ticket_list_for_customer,
    ticket_scope_for_customer,
)
from .search import search_tickets, ticket_number
from .tickets import (
    PRIORITY_ORDER,
    REPLYABLE_CHANNELS,
    WORK_QUEUE_SIZE,
    agent_team_ids,
    agents_who_can_hold,
    attachment_get_for_user,
    customer_panel,
    is_agent,
    next_ticket_for_agent,
    notifications_for,
    reply_channels,
    ticket_get_for_agent,
    ticket_links,
    ticket_list_for_agent,
    ticket_scope_for_agent,
    ticket_status_counts_for_agent,
    ticket_timeline,
    ticket_visible_to,
    unread_notification_count,
)

__all__ = [
    "PRIORITY_ORDER",
    "REPLYABLE_CHANNELS",
    "WORK_QUEUE_SIZE",
    "InboxPage",
    "agent_team_ids",
    "agents_who_can_hold",
    "attachment_get_for_user",
    "attachment_visible_to_customer",
    "can_manage_shared",
    "canned_response_can_change",
    "canned_response_get_for_agent",
    "canned_responses_for",
    "customer_for_user",
    "customer_panel",
    "customer_survivor",
    "customer_visible_messages",
    "forget_view_counts",
    "inbox",
    "inbox_page",
    "is_agent",
    "macros",
    "next_ticket_for_agent",
    "notifications_for",
    "portal",
    "reply_channels",
    "search",
    "search_tickets",
    "ticket_conversation_for_customer",
    "ticket_get_for_agent",
    "ticket_get_for_customer",
    "ticket_links",
    "ticket_list_for_agent",
    "ticket_list_for_customer",
    "ticket_number",
    "ticket_scope_for_agent",
    "ticket_scope_for_customer",
    "ticket_status_counts_for_agent",
    "ticket_timeline",
    "ticket_visible_to",
    "unread_notification_count",
]
