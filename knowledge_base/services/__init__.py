"""Every change to the knowledge base goes through these functions (one business verb each)."""

from .articles import (
    article_attach_file,
    article_create,
    article_create_draft_from_message,
    article_link_related,
    article_publish,
    article_save_draft,
    article_set_details,
    article_unlink_related,
    article_unpublish,
)
from .measurement import (
    DEFLECTION_SESSION_KEY,
    article_feedback_record,
    article_record_view,
    deflection_record_shown,
    deflection_record_submitted,
    reader_key,
    search_miss_record,
)

__all__ = [
    "DEFLECTION_SESSION_KEY",
    "article_attach_file",
    "article_create",
    "article_create_draft_from_message",
    "article_feedback_record",
    "article_link_related",
    "article_publish",
    "article_record_view",
    "article_save_draft",
    "article_set_details",
    "article_unlink_related",
    "article_unpublish",
    "deflection_record_shown",
    "deflection_record_submitted",
    "reader_key",
    "search_miss_record",
]
