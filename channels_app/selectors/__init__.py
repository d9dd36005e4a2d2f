"""Reads of the channels: for the agent workspace (WhatsApp's window, templates, the note
address; the chat state of inbox rows), for the portal (what became of a request a customer
sent) and for the chat's visitors (their own conversation)."""

from .chat import (
    MESSAGES_PAGE,
    SEEN_WITHIN,
    agent_display_name,
    chat_attachment_for_visitor,
    chat_available_agents,
    chat_channel_by_key,
    chat_messages_after,
    chat_mode,
    chat_queue_position,
    chat_session_for_ticket,
    chat_session_for_visitor,
    chat_sessions_by_ticket,
    chat_visitor_for_token,
)
from .portal import portal_submission
from .whatsapp import (
    NOTE_MAILBOX_KEY,
    WindowState,
    note_mailbox_address,
    ticket_uses_whatsapp,
    whatsapp_templates,
    whatsapp_window_for_ticket,
)

__all__ = [
    "MESSAGES_PAGE",
    "NOTE_MAILBOX_KEY",
    "SEEN_WITHIN",
    "WindowState",
    "agent_display_name",
    "chat_attachment_for_visitor",
    "chat_available_agents",
    "chat_channel_by_key",
    "chat_messages_after",
    "chat_mode",
    "chat_queue_position",
    "chat_session_for_ticket",
    "chat_session_for_visitor",
    "chat_sessions_by_ticket",
    "chat_visitor_for_token",
    "note_mailbox_address",
    "portal_submission",
    "ticket_uses_whatsapp",
    "whatsapp_templates",
    "whatsapp_window_for_ticket",
]
