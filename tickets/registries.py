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
- routing_hooks: who may choose the N1 team a new ticket is born in (automation's rules), asked
  by ticket_open when its caller gave no team, with a NewTicket (what is known before the row
  exists: no query needed to read it). The first Route naming an existing N1 team wins; its
  reason (the rule's name) goes into the "created" audit row. Without one, the N1 teams take
  new tickets in turn. Hooks run on the inbound path: a hook keeps what it reads in the
  process, valid while routing_inputs_version() (one cache read) is unchanged; whoever changes
  what hooks read (rules, teams, organizations, calendars) calls routing_inputs_changed().

Registering the same name again replaces the entry, so a ready() run twice changes nothing.
"""

import logging
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import transaction

from .models import Team, Ticket, TicketEvent

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


@dataclass(frozen=True)
class NewTicket:
    """A ticket about to be opened, as routing hooks see it (read-only; tags as stored, text:
    the opening message's plain text, "" when the caller does not know it)."""

    channel: str
    priority: str
    language: str  # the ticket's
    subject: str
    customer_segment: str
    customer_language: str
    organization_id: int | None
    tags: frozenset[str] = frozenset()
    text: str = ""

    @property
    def is_vip(self) -> bool:
        return self.customer_segment == "vip"


@dataclass(frozen=True)
class Route:
    """A hook's answer: the N1 team to be born in, and why (a rule's name)."""

    team_id: int
    reason: str = ""


@dataclass(frozen=True)
class RoutingHook:
    name: str
    order: int
    route: Callable[[NewTicket], Route | None]


Entry = TypeVar("Entry", TicketPanel, MessageExtra, EventText, ReplyTool, AnswerSource, RoutingHook)


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

    def has_entries(self) -> bool:
        return bool(self._entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(sorted(self._entries.values(), key=lambda entry: (entry.order, entry.name)))


ticket_panels: Registry[TicketPanel] = Registry()
message_extras: Registry[MessageExtra] = Registry()
event_texts: Registry[EventText] = Registry()
reply_tools: Registry[ReplyTool] = Registry()
answer_suggestions: Registry[AnswerSource] = Registry()
routing_hooks: Registry[RoutingHook] = Registry()


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


def route_new_ticket(*, ticket: NewTicket, teams: Sequence[Team]) -> tuple[Team, str] | None:
    """The N1 team (one of `teams`, the N1 teams as they are now) the first hook answers for
    this new ticket, and the hook's reason; None when no hook answers. An answer naming a team
    not among them (gone, or of another tier: new tickets start at N1) counts as no answer, and
    so does a failing hook."""
    by_id = {team.pk: team for team in teams}
    for hook in routing_hooks:
        try:
            answer = hook.route(ticket)
        except Exception:
            logger.exception("Routing hook %s failed", hook.name)
            continue
        if answer is not None and answer.team_id in by_id:
            return by_id[answer.team_id], answer.reason
    return None


ROUTING_VERSION_KEY = "jornada:routing-inputs-version"


# The version read from the cache is kept this long in the process: a new ticket costs no cache
# round trip, and a change made by another process is seen this much later at most (one made in
# this process, at once).
ROUTING_VERSION_SECONDS = 1.0
_version_seen: list = [None, float("-inf")]  # version, when read (time.monotonic)


def routing_inputs_version() -> int:
    """The version of what routing hooks read: at most one cache read a second per process. A
    lost key starts again from a random number, so no process takes it for a version it already
    saw."""
    version, read_at = _version_seen
    now = time.monotonic()
    if version is not None and now - read_at < ROUTING_VERSION_SECONDS:
        return version
    version = cache.get(ROUTING_VERSION_KEY)
    if version is None:
        cache.add(ROUTING_VERSION_KEY, secrets.randbits(48), timeout=None)
        version = cache.get(ROUTING_VERSION_KEY)
    _version_seen[:] = [version, now]
    return version


def routing_version_forget() -> None:
    """Read the version from the cache next time (a change made here; tests)."""
    _version_seen[:] = [None, float("-inf")]


def routing_inputs_changed() -> None:
    """What routing hooks read changed (a rule, a team...): now, and again after the commit (a
    process that read the old rows in between keeps them no longer than that)."""
    _bump_routing_version()
    transaction.on_commit(_bump_routing_version)


def _bump_routing_version() -> None:
    routing_version_forget()
    try:
        cache.incr(ROUTING_VERSION_KEY)
    except ValueError:  # lost: any new number differs from the ones seen
        cache.add(ROUTING_VERSION_KEY, secrets.randbits(48), timeout=None)
