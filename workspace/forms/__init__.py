"""Forms of the agent workspace, one module per subject: the ticket page's actions and the canned
responses (macros) editor."""

from .macros import PLACEHOLDER_HELP, CannedFilterForm, CannedResponseForm, ServiceErrorsMixin
from .ticket_actions import (
    AssignForm,
    MultipleFileField,
    NoteForm,
    PriorityForm,
    ReplyForm,
    SplitForm,
    StatusForm,
    TagsForm,
    TicketNumberForm,
    TierMoveForm,
)

__all__ = [
    "PLACEHOLDER_HELP",
    "AssignForm",
    "CannedFilterForm",
    "CannedResponseForm",
    "MultipleFileField",
    "NoteForm",
    "PriorityForm",
    "ReplyForm",
    "ServiceErrorsMixin",
    "SplitForm",
    "StatusForm",
    "TagsForm",
    "TicketNumberForm",
    "TierMoveForm",
]
