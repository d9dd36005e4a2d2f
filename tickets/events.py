"""Domain events: what happened in the tickets core, as typed payloads with public dotted names.

Services `publish()` an event inside their transaction; nothing is delivered unless it commits.
After the commit, the events of that transaction are delivered together, and inside `batch()`
(one drain of inbound deliveries, a bulk action) those of every transaction of the batch:

- `subscribe(*types)`: the function is called once per event. It must do constant work: queue a
  task, remember an id. Never work that grows with a ticket's history.
- `subscribe_batch(*types)`: the function is called once per delivery with the list of events of
  those types. Work that several events of one ticket would repeat (SLA clock sync, live pushes)
  is done there, once per ticket per batch.

Subscribers register in their AppConfig.ready(), which keeps `tickets` free of imports from the
apps that react to it. An app that must not lose an event between the commit and the delivery
(webhooks) adds an outbox writer (`add_outbox_writer`): it is given the events inside the
publishing transaction, so what it writes commits or rolls back with the change. By default
`publish()` hands it each event; inside `outbox_deferred()` (a transaction doing many changes,
such as a drain's batch) it gets all of the block's events in one call at the block's end.

The names and payloads (`DomainEvent.payload()`) are a public contract: outbound webhooks deliver
them, so a field is added, never renamed or removed, without a new `version`.
"""

import dataclasses
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ClassVar, TypeVar

from django.db import transaction

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, kw_only=True)
class DomainEvent:
    name: ClassVar[str] = ""
    version: ClassVar[int] = 1
    ticket_id: int | None = None
    by_id: int | None = None  # the acting user; None for the customer, a provider or the clock

    def payload(self) -> dict[str, Any]:
        return {"event": self.name, "version": self.version, **dataclasses.asdict(self)}

    def related_ticket_ids(self) -> list[int]:
        """Other tickets this event changed as well (both ends of a link, a merge's source)."""
        return []


E = TypeVar("E", bound=type[DomainEvent])
EVENT_TYPES: dict[str, type[DomainEvent]] = {}


def _event(name: str) -> Callable[[E], E]:
    def register(cls: E) -> E:
        if name in EVENT_TYPES:
            raise ValueError(f"Two events named {name}")
        cls.name = name
        EVENT_TYPES[name] = cls
        return dataclasses.dataclass(frozen=True, kw_only=True)(cls)

    return register


@_event("ticket.created")
class TicketCreated(DomainEvent):
    channel: str


@_event("message.created")
class MessageCreated(DomainEvent):
    """A message on a ticket: a customer's (inbound), a reply or system message on its way out
    (outbound, queued), or an internal note."""

    message_id: int
    direction: str  # inbound | outbound
    kind: str  # message | internal_note | system
    channel: str
    created_ticket: bool = False  # this message opened its ticket
    auto_reply: bool = False

    @property
    def from_customer(self) -> bool:
        return self.direction == "inbound" and self.kind == "message"

    @property
    def outgoing(self) -> bool:
        """A reply or system message for the customer, queued for delivery."""
        return self.direction == "outbound" and self.kind != "internal_note"

    @property
    def note(self) -> bool:
        return self.kind == "internal_note"


@_event("message.delivery_updated")
class DeliveryUpdated(DomainEvent):
    message_id: int
    status: str


@_event("ticket.status_changed")
class StatusChanged(DomainEvent):
    before: str
    after: str


@_event("ticket.priority_changed")
class PriorityChanged(DomainEvent):
    before: str
    after: str


@_event("ticket.assigned")
class TicketAssigned(DomainEvent):
    assignee_id: int | None
    team_id: int | None


@_event("ticket.escalated")
class TicketEscalated(DomainEvent):
    from_tier: str
    to_tier: str
    by_system: bool = False


@_event("ticket.deescalated")
class TicketDeescalated(DomainEvent):
    from_tier: str
    to_tier: str


@_event("ticket.tags_changed")
class TagsChanged(DomainEvent):
    before: list[str]
    after: list[str]


@_event("ticket.merged")
class TicketMerged(DomainEvent):
    """`source_id` was merged into `ticket_id` (and closed)."""

    source_id: int
    messages_moved: int

    def related_ticket_ids(self) -> list[int]:
        return [self.source_id]


@_event("ticket.linked")
class TicketLinked(DomainEvent):
    other_id: int

    def related_ticket_ids(self) -> list[int]:
        return [self.other_id]


@_event("ticket.unlinked")
class TicketUnlinked(DomainEvent):
    other_id: int

    def related_ticket_ids(self) -> list[int]:
        return [self.other_id]


@_event("ticket.split")
class TicketSplit(DomainEvent):
    new_ticket_id: int

    def related_ticket_ids(self) -> list[int]:
        return [self.new_ticket_id]


@_event("customer.merged")
class CustomerMerged(DomainEvent):
    source_id: int
    target_id: int
    identities_moved: int
    tickets_moved: int


@_event("agent.notified")
class AgentNotified(DomainEvent):
    recipient_id: int
    notification_id: int
    kind: str


@_event("agent.deactivated")
class AgentDeactivated(DomainEvent):
    """The agent's account can no longer sign in; their sessions were ended."""

    agent_id: int  # the agent's user id
    sessions_ended: int


@_event("agent.activated")
class AgentActivated(DomainEvent):
    agent_id: int


@_event("agent.team_added")
class AgentTeamAdded(DomainEvent):
    agent_id: int
    team_id: int


@_event("agent.team_removed")
class AgentTeamRemoved(DomainEvent):
    agent_id: int
    team_id: int


@_event("sla.warning")
class SLAWarned(DomainEvent):
    target: str
    due_at: str  # ISO 8601
    event_id: int


@_event("sla.breached")
class SLABreached(DomainEvent):
    target: str
    due_at: str  # ISO 8601
    event_id: int


@_event("survey.responded")
class SurveyResponded(DomainEvent):
    """A customer answered a survey (or changed their answer before its deadline). `ticket_id`
    is None for a relationship survey, which follows no ticket."""

    response_id: int
    customer_id: int
    survey_kind: str  # csat | nps | ces
    score: int
    comment: str
    changed: bool = False  # an earlier answer to the same invitation was replaced


@_event("chat.ended")
class ChatEnded(DomainEvent):
    """A live chat is over: the visitor ended it, an agent ended it (or solved its ticket), or
    the bot's articles answered it ("Isso resolveu"). `by_id` is the agent who pressed "End
    chat"; None for the visitor, the bot, or an end that followed the ticket being solved or
    closed (outcome "agent", done by the chat's follow-up task)."""

    session_id: int
    outcome: str  # deflected | visitor | agent


@_event("automation.custom")
class CustomEvent(DomainEvent):
    """An automation rule's own event, for outbound webhooks: `key` is what the rule names it."""

    rule_id: int
    rule_name: str
    key: str


ALL: tuple[type[DomainEvent], ...] = tuple(EVENT_TYPES.values())

Subscriber = Callable[[DomainEvent], None]
BatchSubscriber = Callable[[list[DomainEvent]], None]
_each: dict[type[DomainEvent], list[Subscriber]] = defaultdict(list)
# (types, subscriber, first): those registered with first=True at the head, in their order.
_batches: list[tuple[tuple[type[DomainEvent], ...], BatchSubscriber, bool]] = []
OutboxWriter = Callable[[list[DomainEvent]], None]
_outbox_writers: list[OutboxWriter] = []
# The arrivals published inside the open outbox_deferred() block (None: no block open).
_deferred: ContextVar[list | None] = ContextVar("outbox_deferred", default=None)
_suppressed: ContextVar[bool] = ContextVar("domain_events_suppressed", default=False)
# What caused the events published now (an automation rule's run), kept on each event.
_origin: ContextVar[Any] = ContextVar("domain_event_origin", default=None)
# Events delivered later, at the end of the enclosing batch() (None: no batch open).
# Inside batch(): the events held, one list per transaction that committed them.
_batch: ContextVar[list[list[DomainEvent]] | None] = ContextVar("domain_events_batch", default=None)


def _check(types: Sequence[type]) -> tuple[type[DomainEvent], ...]:
    unknown = [t for t in types if not (isinstance(t, type) and issubclass(t, DomainEvent))]
    if unknown or not types:
        raise ValueError(f"Not domain events: {unknown or 'none given'}")
    return tuple(t for t in ALL if any(issubclass(t, wanted) for wanted in types))


def subscribe(*types: type[DomainEvent]) -> Callable[[Subscriber], Subscriber]:
    """Decorator: call the function after commit for each event of these types (DomainEvent
    itself: every event)."""
    matched = _check(types)

    def register(func: Subscriber) -> Subscriber:
        for event_type in matched:
            if func not in _each[event_type]:
                _each[event_type].append(func)
        return func

    return register


def subscribe_batch(
    *types: type[DomainEvent], first: bool = False
) -> Callable[[BatchSubscriber], BatchSubscriber]:
    """Decorator: call the function once per delivery with the events of these types. `first`:
    before the subscribers registered without it (what a person is waiting for, such as the
    live pushes, does not wait behind the tasks others queue)."""
    matched = _check(types)

    def register(func: BatchSubscriber) -> BatchSubscriber:
        if all(func != registered for _, registered, _ in _batches):  # == : bound methods
            firsts = sum(1 for *_, head in _batches if head)
            _batches.insert(firsts if first else len(_batches), (matched, func, first))
        return func

    return register


def add_outbox_writer(func: OutboxWriter) -> OutboxWriter:
    """Call the function with the events published (not suppressed ones), inside their
    transaction: one event at a time, or a whole `outbox_deferred()` block's at its end. It must
    cost nothing (no query) for events nobody wants; an exception it raises rolls the change
    back, which is the point: the change and its record go together."""
    if func not in _outbox_writers:
        _outbox_writers.append(func)
    return func


def unsubscribe(func: Callable) -> None:
    for subscribers in _each.values():
        if func in subscribers:
            subscribers.remove(func)
    _batches[:] = [entry for entry in _batches if entry[1] != func]
    if func in _outbox_writers:
        _outbox_writers.remove(func)


@contextmanager
def suppressed() -> Iterator[None]:
    """Publish nothing inside this block: for loading history (demo data, imports), whose
    side effects (deliveries, acknowledgements, pushes) must not be replayed."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


@contextmanager
def outbox_deferred() -> Iterator[None]:
    """Inside a transaction that makes many changes (enter it inside the atomic block): the
    outbox writers get the block's events in one call when it ends, before the commit, instead of
    one call per publish(): one INSERT for the batch instead of one per event. Events published
    in a savepoint that rolled back are left out. Nothing is written if the block raises (its
    transaction is rolled back)."""
    if not _outbox_writers or _deferred.get() is not None:
        yield
        return
    token = _deferred.set([])
    try:
        yield
        held = _deferred.get() or []
    finally:
        _deferred.reset(token)
    # Django drops the on_commit callbacks of a rolled-back savepoint: the arrivals still
    # registered are the events that will commit.
    registered = {id(func) for _, func, _ in transaction.get_connection().run_on_commit}
    surviving = [arrival.event for arrival in held if id(arrival) in registered]
    held.clear()  # let dropped arrivals go now (_Arrival.__del__)
    if surviving:
        for write in _outbox_writers:
            write(surviving)


@contextmanager
def caused_by(origin: Any) -> Iterator[None]:
    """Mark the events published inside this block with `origin` (read with origin_of()): an
    automation rule marks its actions' events, so that they do not fire that rule again. The
    mark is taken at publish time, so it holds however late the events are delivered."""
    token = _origin.set(origin)
    try:
        yield
    finally:
        _origin.reset(token)


def origin_of(event: DomainEvent) -> Any:
    """What caused this event (caused_by()), None for most."""
    return getattr(event, "_origin", None)


@contextmanager
def batch() -> Iterator[None]:
    """Hold back the delivery of events committed inside this block until it ends, then deliver
    them together (nested blocks join the outermost one)."""
    if _batch.get() is not None:
        yield
        return
    token = _batch.set([])
    try:
        yield
    finally:
        transactions = _batch.get() or []
        _batch.reset(token)
        held = [event for events in transactions for event in events]
        if len(transactions) > 1:
            # Rows in hand are as their own transaction committed them: another transaction of
            # the batch, or of another process meanwhile, may have changed them since.
            for event in held:
                object.__setattr__(event, "_ticket_in_hand", None)
        dispatch(held)


class HeldEvents:
    """A batch() opened and closed by time, for a loop that handles one item at a time (a drain
    of inbound events, an import): the events of the items handled so far are delivered together
    (one SLA sync and one push per ticket for all of them) at most `seconds` after the first was
    held. Call hold() before each item, deliver_if_due() after it, deliver() at the end."""

    def __init__(self, *, seconds: float):
        self.seconds = seconds
        self.block, self.since = None, 0.0

    def hold(self) -> None:
        if self.block is None:
            self.block, self.since = batch(), time.monotonic()
            self.block.__enter__()

    def deliver_if_due(self) -> None:
        if time.monotonic() - self.since > self.seconds:
            self.deliver()

    def deliver(self) -> None:
        if self.block is not None:
            block, self.block = self.block, None
            block.__exit__(None, None, None)


def publish(event: DomainEvent, *, ticket: Any = None) -> None:
    """Deliver the event to subscribers once the current transaction commits. `ticket`: the
    ticket's row as the publishing service leaves it (see ticket_in_hand); never part of the
    payload."""
    if not isinstance(event, DomainEvent) or not event.name:
        raise ValueError(f"Not a domain event: {event!r}")
    if _suppressed.get():
        return
    if ticket is not None:
        object.__setattr__(event, "_ticket_in_hand", ticket)
    origin = _origin.get()
    if origin is not None:
        object.__setattr__(event, "_origin", origin)  # not a field: not in the payload
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        for write in _outbox_writers:
            write([event])
        _arrived([event])
        return
    arrival = _Arrival(_commit_group(connection), event)
    deferred = _deferred.get()
    if deferred is not None:
        deferred.append(arrival)
    else:
        for write in _outbox_writers:
            write([event])
    transaction.on_commit(arrival, robust=True)


class _CommitGroup:
    """The events of one transaction, delivered together when the newest of them has arrived.

    Each event arrives through its own on_commit callback, so Django drops the events published
    inside a savepoint that rolled back (the dropped callback is freed at once, nothing else
    refers to it, and leaves the group in __del__). Callbacks run in the order they were
    registered, so the newest one still alive arrives last."""

    def __init__(self, pending_list: list):
        # Django's list of this transaction's callbacks, by id: holding the list itself would
        # keep the callbacks of a rolled-back savepoint alive.
        self.list_id = id(pending_list)
        self.events: list[DomainEvent] = []
        self.alive: set[int] = set()  # arrivals not run (nor dropped) yet
        self.newest = -1
        self.delivered = False

    def join(self) -> int:
        self.newest += 1
        self.alive.add(self.newest)
        return self.newest

    def arrived(self, seq: int, event: DomainEvent | None) -> None:
        self.alive.discard(seq)
        if event is not None:
            self.events.append(event)
        if seq == self.newest:
            self.newest = max(self.alive, default=-1)
        last = seq > self.newest
        if last and self.events and not self.delivered:
            self.delivered = True
            _arrived(self.events)


class _Arrival:
    __slots__ = ("event", "group", "seq")

    def __init__(self, group: _CommitGroup, event: DomainEvent):
        self.group, self.event, self.seq = group, event, group.join()

    def __call__(self) -> None:
        group, self.group = self.group, None
        group.arrived(self.seq, self.event)

    def __del__(self) -> None:
        if self.group is not None:  # dropped with its savepoint, never run
            self.group.arrived(self.seq, None)


def _commit_group(connection) -> _CommitGroup:
    # A transaction is known by its list of on_commit callbacks (`run_on_commit`, a new list
    # after each commit or rollback): the events published while it is the same list share a
    # group, until that group is delivered. (While a committed transaction's callbacks run, its
    # list is alive, so a transaction they open cannot get the same id.)
    group = getattr(connection, "_domain_event_group", None)
    if group is None or group.delivered or group.list_id != id(connection.run_on_commit):
        group = _CommitGroup(connection.run_on_commit)
        connection._domain_event_group = group
    return group


def _arrived(events: list[DomainEvent]) -> None:
    held = _batch.get()
    if held is not None:
        held.append(events)  # one list per transaction (see batch())
    else:
        dispatch(events)


def ticket_in_hand(event: DomainEvent) -> Any:
    """The ticket row the event's publisher passed along, for a subscriber that would read it
    again (the live pushes): only when the delivery is one transaction's and every event of that
    ticket in it brought the same row (one service's work on it, such as a new ticket and its
    first message), where that row is the ticket as committed: a change of it that did not bring
    the row, or brought another copy, would be newer. Else None: read it."""
    return getattr(event, "_ticket_in_hand", None)


def _drop_stale_rows_in_hand(events: list[DomainEvent]) -> None:
    rows: dict[int, Any] = {}
    for event in events:
        for pk in (event.ticket_id, *event.related_ticket_ids()):
            row = ticket_in_hand(event) if pk == event.ticket_id else None
            if pk in rows and rows[pk] is not row:
                row = None
            rows[pk] = row
    for event in events:
        if ticket_in_hand(event) is not None and rows.get(event.ticket_id) is None:
            object.__setattr__(event, "_ticket_in_hand", None)


def dispatch(events: list[DomainEvent]) -> None:
    """Deliver committed events: to each one's subscribers in order, then to batch
    subscribers once. A failing subscriber is logged and does not stop the others (whatever it
    left undone is found again by its app's sweeper)."""
    if not events:
        return
    if len(events) > 1:
        _drop_stale_rows_in_hand(events)
    for event in events:
        for subscriber in list(_each.get(type(event), ())):
            _call(subscriber, event, event.name)
    for types, subscriber, _ in list(_batches):
        wanted = [event for event in events if isinstance(event, types)]
        if wanted:
            _call(subscriber, wanted, f"a batch of {len(wanted)}")


def _call(subscriber: Callable, argument: Any, what: str) -> None:
    try:
        subscriber(argument)
    except Exception:
        logger.exception("Subscriber %r failed on %s", subscriber, what)
