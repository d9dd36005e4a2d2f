"""The satisfaction survey inside the chat widget (docs/chat.md, `survey`). The surveys app owns
the invitation: its row, its token, its one-response rule. The chat only rings the visitor's tabs
and asks the surveys app, through the source it registers in its `ready()`, what to show: the
database is the record, so a tab that was closed when the survey was offered sees it on its next
hello, and a ring lost changes nothing."""

from collections.abc import Callable
from typing import Any

from django.db import transaction

from ..models import ChatSession
from ..realtime import chat_group, send_many

# source(ticket_id=, language=) -> the survey frame's fields, or None when nothing is pending.
SurveySource = Callable[..., dict[str, Any] | None]
_sources: dict[str, SurveySource] = {}


def chat_survey_source_register(source: SurveySource) -> None:
    """The surveys app's answer to "is a survey waiting for this chat?" (registering again
    replaces it, so `ready()` may run twice)."""
    _sources["survey"] = source


def chat_survey_pending(*, ticket_id: int, language: str) -> dict[str, Any] | None:
    source = _sources.get("survey")
    if source is None or ticket_id is None:
        return None
    return source(ticket_id=ticket_id, language=language)


def chat_survey_offer(*, ticket_id: int) -> bool:
    """The chat sender of the surveys app (surveys.delivery): after commit, the visitor's open
    tabs are told a survey waits (`chat.survey`); each reads it through the source. Whether the
    ticket has a chat to offer it in."""
    session_id = (
        ChatSession.objects.filter(ticket_id=ticket_id).values_list("pk", flat=True).first()
    )
    if session_id is None:
        return False
    group = chat_group(session_id)
    transaction.on_commit(lambda: send_many([(group, {"type": "chat.survey"})]))
    return True
