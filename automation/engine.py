"""Running the triggers on tickets whose events arrived (the task queued by the subscriber):
the batch's tickets are checked together without a lock; those some rule matches, or that their
team's policy routes, are locked together (up to LOCK_CHUNK in one transaction, in id order) and
each, in a savepoint of its own, gets the active rules listening to its events in order (checked
again under the lock); a matching rule's actions go through the core's services and the run is
written on the timeline. Then, for a new ticket still without an agent, its team's policy
assigns one (a Router per transaction: each team's agents and their load read once).

Loop safety: the events an action publishes are marked as caused by that rule (and the rules
that led to it); they queue another round that skips those rules, and rounds stop at
MAX_DEPTH. A round fires at most MAX_RULES_PER_EVENT rules on a ticket."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction

from tickets import events, services
from tickets.models import Ticket

from . import conditions, routing
from .actions import Run
from .models import Rule, TeamRouting

logger = logging.getLogger(__name__)

MAX_DEPTH = 3
MAX_RULES_PER_EVENT = 10
# Tickets locked together in one transaction (each in a savepoint of its own): the locks of the
# tickets and of their teams' agents are held until the chunk commits.
LOCK_CHUNK = 50


@dataclass(frozen=True)
class Origin:
    """What caused an event: the rules whose actions published it, at that depth."""

    depth: int
    rules: tuple[int, ...] = ()


@dataclass
class Work:
    ticket_id: int
    kinds: set[str] = field(default_factory=set)
    depth: int = 0
    skip: frozenset[int] = frozenset()

    def as_json(self) -> list:
        return [self.ticket_id, sorted(self.kinds), self.depth, sorted(self.skip)]

    @classmethod
    def from_json(cls, item: list) -> "Work":
        return cls(item[0], set(item[1]), item[2], frozenset(item[3]))


def active_rules() -> list[Rule]:
    return list(Rule.objects.filter(is_active=True).order_by("position", "id"))


def _load(ids: list[int], *, lock: bool, with_text: bool = False) -> dict[int, Ticket]:
    query = Ticket.objects.select_related("customer__organization", "team")
    if lock:
        query = query.select_for_update(of=("self",))
    query = conditions.with_facts(query, with_text=with_text)
    return {t.pk: t for t in query.filter(pk__in=ids).order_by("pk")}


def process(
    items: Iterable[Work], *, rules: list[Rule] | None = None, failures: dict | None = None
) -> int:
    """Run the rules for each ticket's events; how many rule runs happened. A work that failed
    even alone is logged, its work undone, and put in `failures` ((ticket id, depth): the
    error) when given."""
    rules = active_rules() if rules is None else rules
    open_hours = conditions.default_open_hours() if _reads_hours(rules) else None
    items = list(items)
    routed_teams = set()
    if any("created" in work.kinds for work in items):
        routed_teams = set(
            TeamRouting.objects.exclude(policy=TeamRouting.Policy.MANUAL).values_list(
                "team_id", flat=True
            )
        )
    todo = _to_lock(items, rules, open_hours, routed_teams)
    total = 0
    for chunk in _chunks(todo):
        total += _process_chunk(chunk, open_hours, routed_teams, failures)
    return total


def _reads_hours(rules: list[Rule]) -> bool:
    return any(c.get("field") == "business_hours" for r in rules for c in r.conditions or [])


def _listening(work: Work, rules: list[Rule]) -> list[Rule]:
    return [r for r in rules if set(r.events or []) & work.kinds and r.pk not in work.skip]


def _to_lock(items: list[Work], rules, open_hours, routed_teams: set[int]) -> list[tuple]:
    """The works whose ticket some rule matches or its team's policy routes, with their
    listening rules, in order. Checked for the whole batch at once without a lock or a
    transaction (one SELECT): most events match no rule, and a locked row costs a write at
    commit. A ticket's rules are checked again under the lock."""
    wanted = [(work, _listening(work, rules)) for work in items]
    wanted = [(w, listening) for w, listening in wanted if listening or "created" in w.kinds]
    if not wanted:
        return []
    tickets, facts = _tickets_and_facts(wanted, lock=False, open_hours=open_hours)
    todo, seen = [], set()
    for work, listening in wanted:
        ticket = tickets.get(work.ticket_id)
        if ticket is None or ticket.status == Ticket.Status.CLOSED:
            continue
        # A ticket's second work in the batch runs after the first changed it: checked under
        # the lock only.
        again = work.ticket_id in seen
        seen.add(work.ticket_id)
        matching = any(conditions.matches(r.conditions, facts[ticket.pk]) for r in listening)
        to_route = (
            "created" in work.kinds
            and ticket.assignee_id is None
            and ticket.team_id in routed_teams
        )
        if again or matching or to_route:
            todo.append((work, listening))
    return todo


def _tickets_and_facts(works: list[tuple], *, lock: bool, open_hours) -> tuple[dict, dict]:
    """The works' tickets (by id) and their facts (by ticket id), read in one query, with the
    text only when one of their listening rules reads it."""
    with_text = conditions.needs_text(r for _, listening in works for r in listening)
    tickets = _load([w.ticket_id for w, _ in works], lock=lock, with_text=with_text)
    found = conditions.facts_for(list(tickets.values()), with_text=with_text, open_hours=open_hours)
    return tickets, {f.ticket.pk: f for f in found}


def _chunks(todo: list[tuple]) -> Iterable[list[tuple]]:
    """Runs of at most LOCK_CHUNK works, each ticket at most once in a run."""
    chunk, ids = [], set()
    for item in todo:
        if len(chunk) >= LOCK_CHUNK or item[0].ticket_id in ids:
            yield chunk
            chunk, ids = [], set()
        chunk.append(item)
        ids.add(item[0].ticket_id)
    if chunk:
        yield chunk


def _process_chunk(
    chunk: list[tuple], open_hours, routed_teams: set[int], failures: dict | None = None
) -> int:
    """The chunk's tickets locked together (in id order) and their rules and routing run in one
    transaction (a savepoint, inside the caller's). Should one of them fail, the chunk is rolled
    back and each of its tickets tried again alone, so that a failing ticket costs the others a
    retry, never their work. No savepoint for each ticket: two round trips each, for a failure
    that seldom comes."""
    try:
        with transaction.atomic():
            return _run_chunk(chunk, open_hours, routed_teams)
    except Exception as exc:
        if len(chunk) == 1:
            logger.exception("Rules failed on ticket %s", chunk[0][0].ticket_id)
            _failed(failures, chunk[0][0], exc)
            return 0
        logger.warning("Rules failed on %s tickets together", len(chunk), exc_info=True)
    return sum(_process_chunk([item], open_hours, routed_teams, failures) for item in chunk)


def _failed(failures: dict | None, work: Work, exc: Exception) -> None:
    if failures is not None:
        failures[(work.ticket_id, work.depth)] = f"{type(exc).__name__}: {exc}"[:2000]


def _run_chunk(chunk: list[tuple], open_hours, routed_teams: set[int]) -> int:
    tickets, facts = _tickets_and_facts(chunk, lock=True, open_hours=open_hours)
    router = routing.Router()
    # The teams the chunk routes in, locked together in id order (a team a rule moves a ticket
    # to is locked when it comes).
    router.prepare(
        t.team_id
        for w, _ in chunk
        if (t := tickets.get(w.ticket_id)) is not None
        and "created" in w.kinds
        and t.assignee_id is None
        and t.team_id in routed_teams
    )
    total = 0
    for work, listening in chunk:
        ticket = tickets.get(work.ticket_id)
        if ticket is None or ticket.status == Ticket.Status.CLOSED:
            continue
        total += _process_one(work, listening, facts[ticket.pk], open_hours, router)
    return total


def _process_one(work: Work, listening: list[Rule], facts, open_hours, router) -> int:
    """One ticket's rules, on its row locked and loaded with the batch, and its routing."""
    before = routing.load_key(facts.ticket)
    fired = 0
    for rule in listening:
        if fired >= MAX_RULES_PER_EVENT:
            logger.warning("Ticket %s: rule cap reached", facts.ticket.pk)
            break
        if not conditions.matches(rule.conditions, facts):
            continue
        origin = Origin(depth=work.depth + 1, rules=tuple(sorted(work.skip | {rule.pk})))
        run = run_rule(rule, facts, origin=origin, router=router)
        fired += 1
        if run.did:
            # What the actions changed, as the run reloaded it (the customer's message and
            # the subject are as they were).
            facts = conditions.Facts(
                ticket=run.ticket, tags=run.tags, text=facts.text, now=facts.now,
                open_hours=open_hours,
            )  # fmt: skip
        if rule.stop:
            break
    after = routing.load_key(facts.ticket)
    if "created" in work.kinds and facts.ticket.assignee_id is None:
        with events.caused_by(Origin(depth=work.depth + 1, rules=tuple(sorted(work.skip)))):
            user = routing.ticket_route_to_agent(
                ticket=facts.ticket, tags=facts.tags, router=router
            )
        if user is not None:
            after = (user.pk, *after[1:])
    router.settle(facts.ticket.pk, before=before, after=after)
    return fired


def run_rule(
    rule, facts: conditions.Facts, *, origin: Origin | None, router: routing.Router | None = None
) -> Run:
    """The rule's actions on the (locked) ticket, and its line on the timeline when it did
    something; the run (`did`: what it did, `ticket` and `tags` as they are now)."""
    run = Run(
        rule_id=rule.pk, rule_name=rule.name, ticket=facts.ticket, tags=set(facts.tags),
        router=router,
    )  # fmt: skip
    with events.caused_by(origin):
        for action in rule.actions or []:
            done = run.apply(action)
            if done is not None:
                run.did.append(done)
        if run.did:
            services.ticket_record_rule_run(
                ticket=run.ticket, rule_id=rule.pk, rule_name=rule.name, did=run.did
            )
    return run


def dry_run(rule: Rule, *, limit: int = 20, chunk: int = 500) -> tuple[int, list[Ticket]]:
    """Which open tickets the rule's conditions match now: how many, and the first `limit`
    (newest first). The same check as a real run, on the tickets the database could not rule
    out (conditions.narrow): a rule about one channel or team reads only those."""
    open_hours = conditions.default_open_hours() if _reads_hours([rule]) else None
    with_text = conditions.needs_text([rule])
    query = conditions.with_facts(
        conditions.narrow(Ticket.objects.exclude(status=Ticket.Status.CLOSED), rule.conditions)
        .select_related("customer__organization", "team")
        .order_by("-id"),
        with_text=with_text,
    )
    count, first = 0, []
    last_id = None
    while True:
        page = query if last_id is None else query.filter(pk__lt=last_id)
        tickets = list(page[:chunk])
        if not tickets:
            break
        last_id = tickets[-1].pk
        for facts in conditions.facts_for(tickets, with_text=with_text, open_hours=open_hours):
            if conditions.matches(rule.conditions, facts):
                count += 1
                if len(first) < limit:
                    first.append(facts.ticket)
    return count, first
