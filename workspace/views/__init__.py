"""Browser views of the tickets app (the agent workspace), one module per page."""

from .attachments import attachment_download
from .inbox import inbox, inbox_bulk, saved_view_create, saved_view_delete, saved_view_rename
from .macros import (
    canned_create,
    canned_delete,
    canned_edit,
    canned_list,
    canned_picker,
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
    "inbox_bulk",
    "saved_view_create",
    "saved_view_delete",
    "saved_view_rename",
    "ticket_detail",
]
