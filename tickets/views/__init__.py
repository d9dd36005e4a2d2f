"""Browser views of the tickets app (the agent workspace), one module per page."""

from .attachments import attachment_download
from .inbox import inbox
from .ticket import ticket_detail

__all__ = ["attachment_download", "inbox", "ticket_detail"]
