"""The help desk's core data: customers and their identities, agents and teams, tickets and their
conversations, and the audit trail. Business flows live in tickets/services, not here."""

# ruff: noqa: I001
# Imported in the order the models were declared in when this was one file: it is the registry's
# order (content types and permissions are created in it).
from .choices import TIER_ORDER, Channel, Tier, tier_rank
from .customers import Customer, CustomerIdentity, Organization
from .agents import AgentProfile, Team
from .tickets import Tag, Ticket
from .messages import Attachment, Message, attachment_path
from .audit import TicketEvent
from .relations import TicketLink
from .saved_views import SavedView
from .macros import CannedResponse
from .notifications import AgentNotification

__all__ = [
    "TIER_ORDER",
    "AgentNotification",
    "AgentProfile",
    "Attachment",
    "CannedResponse",
    "Channel",
    "Customer",
    "CustomerIdentity",
    "Message",
    "Organization",
    "SavedView",
    "Tag",
    "Team",
    "Ticket",
    "TicketEvent",
    "TicketLink",
    "Tier",
    "attachment_path",
    "tier_rank",
]
