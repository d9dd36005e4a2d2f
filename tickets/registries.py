"""What other apps add to the ticket page, without the page (or the core) importing them: each app
registers its pieces in its AppConfig.ready(), and the agent workspace shows whatever is registered.

- ticket_panels: side panels (the SLA clocks, the WhatsApp window...). A panel's `context` is called
  with the ticket and the acting agent and returns its template's context, or None to show nothing.
- message_extras: templates rendered under each message of the timeline, with `message` in their
  context (reactions, edits, media state...). They read what the message row already holds: one
  included per message must never cost a query.
- event_texts: the text of a TicketEvent kind owned by another app (an SLA warning names its
  target and due time).
- reply_tools: pickers next to the reply box; `url_name` is reversed with the ticket number and
  answers an htmx fragment of choices (the knowledge base's articles).
- answer_suggestions: who can answer a customer's question with published material (the
  knowledge base's public articles), asked by the chat's bot before a person joins
  (`suggest_answers`). Suggestions are plain text and links, never made-up answers.

Registering the same name again replaces the entry, so a ready() run twice changes nothing.
"""

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.contrib.auth.models import AbstractBaseUser

from .models import Ticket, TicketEvent

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TicketPanel:
    name: str
    order: int
    template_name: str
    context: Callable[[Ticket, AbstractBaseUser], dict[str, Any] | None]


@dataclass(frozen=True)
class MessageExtra:
    name: str
    order: int
    template_name: str


@dataclass(frozen=True)
class EventText:
    kind: str  # a TicketEvent kind
    text: Callable[[TicketEvent], str]

    @property
    def name(self) -> str:
        return self.kind

    order = 0


@dataclass(frozen=True)
class ReplyTool:
    name: str  # also names the tool's element ids: "<box>-<name>-search", "<box>-<name>-results"
    order: int
    label: str
    search_label: str
    url_name: str


@dataclass(frozen=True)
class Suggestion:
    """One answer offered to a customer: a published page (title, absolute path, plain-text
    snippet) and how well it matches (higher is better)."""

    title: str
    url: str
    snippet: str
    score: float = 0.0


@dataclass(frozen=True)
class AnswerSource:
    name: str
    order: int
    # suggest(query=..., language=..., limit=...) -> the best matches, best first
    suggest: Callable[..., list[Suggestion]]


Entry = TypeVar("Entry", TicketPanel, MessageExtra, EventText, ReplyTool, AnswerSource)


class Registry(Generic[Entry]):
    """Entries by name, listed in their order (then name)."""

    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}

    def register(self, entry: Entry) -> None:
        self._entries[entry.name] = entry

    def unregister(self, name: str) -> None:
        self._entries.pop(name, None)

    def get(self, name: str) -> Entry | None:
        return self._entries.get(name)

    def __iter__(self) -> Iterator[Entry]:
        return iter(sorted(self._entries.values(), key=lambda entry: (entry.order, entry.name)))


ticket_panels: Registry[TicketPanel] = Registry()
message_extras: Registry[MessageExtra] = Registry()
event_texts: Registry[EventText] = Registry()
reply_tools: Registry[ReplyTool] = Registry()
answer_suggestions: Registry[AnswerSource] = Registry()


@dataclass(frozen=True)
class ShownPanel:
    name: str
    template_name: str
    context: dict[str, Any]


def panels_for(*, ticket: Ticket, agent: AbstractBaseUser) -> list[ShownPanel]:
    """The side panels this ticket shows to this agent, in order."""
    shown = []
    for panel in ticket_panels:
        context = panel.context(ticket, agent)
        if context is not None:
            shown.append(ShownPanel(panel.name, panel.template_name, context))
    return shown


def event_text(event: TicketEvent) -> str:
    """The registered text of this event's kind; "" when no app claims the kind."""
    entry = event_texts.get(event.kind)
    return entry.text(event) if entry else ""


def suggest_answers(*, query: str, language: str, limit: int = 3) -> list[Suggestion]:
    """The best public answers every registered source has for a customer's question, best
    first; [] when no source is registered or none matches. A failing source is skipped."""
    found: list[Suggestion] = []
    for source in answer_suggestions:
        try:
            found += source.suggest(query=query, language=language, limit=limit)
        except Exception:
            logger.exception("Answer source %s failed", source.name)
    return sorted(found, key=lambda suggestion: -suggestion.score)[:limit]
