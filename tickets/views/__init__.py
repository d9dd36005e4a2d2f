"""Browser views of the tickets app (the agent workspace), one module per page."""

from .attachments import attachment_download
from .inbox import inbox
from .macros import (
    canned_create,
    canned_delete,
    canned_edit,
    canned_list,
    canned_picker,
    kb_picker,
)
from .ticket import ticket_detail

__all__ = [
    "attachment_download",
    "canned_create",
    "canned_delete",
    "canned_edit",
    "canned_list",
    "canned_picker",
    "inbox",
    "kb_picker",
    "ticket_detail",
]
