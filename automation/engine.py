"""Running the triggers on tickets whose events arrived (the task queued by the subscriber):
per ticket, in one transaction with the ticket locked, the active rules listening to those
events run in order; a matching rule's actions go through the core's services and the run is
written on the timeline. Then, for a new ticket still without an agent, its team's policy
assigns one.

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


def _load(ticket_id: int, *, lock: bool, with_text: bool = False) -> Ticket | None:
    query = Ticket.objects.select_related("customer__organization", "team")
    if lock:
        query = query.select_for_update(of=("self",))
    query = conditions.with_facts(query, with_text=with_text)
    return query.filter(pk=ticket_id).first()


def process(items: Iterable[Work], *, rules: list[Rule] | None = None) -> int:
    """Run the rules for each ticket's events; how many rule runs happened."""
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
    total = 0
    for work in items:
        try:
            total += _process_one(work, rules, open_hours, routed_teams)
        except Exception:
            logger.exception("Rules failed on ticket %s", work.ticket_id)
    return total


def _reads_hours(rules: list[Rule]) -> bool:
    return any(c.get("field") == "business_hours" for r in rules for c in r.conditions or [])


def _process_one(work: Work, rules: list[Rule], open_hours, routed_teams: set[int]) -> int:
    listening = [r for r in rules if set(r.events or []) & work.kinds and r.pk not in work.skip]
    routes = "created" in work.kinds
    if not listening and not routes:
        return 0
    with_text = conditions.needs_text(listening)
    # Checked first without a lock or a transaction (one SELECT): most events match no rule,
    # and a locked row costs a write at commit. Only a ticket that some rule matches, or that
    # its team's policy routes, is locked, and its rules checked again under the lock.
    ticket = _load(work.ticket_id, lock=False, with_text=with_text)
    if ticket is None or ticket.status == Ticket.Status.CLOSED:
        return 0
    facts = conditions.facts_for([ticket], with_text=with_text, open_hours=open_hours)[0]
    matching = any(conditions.matches(rule.conditions, facts) for rule in listening)
    to_route = routes and ticket.assignee_id is None and ticket.team_id in routed_teams
    if not matching and not to_route:
        return 0
    fired = 0
    with transaction.atomic():
        ticket = _load(work.ticket_id, lock=True, with_text=with_text)
        if ticket is None or ticket.status == Ticket.Status.CLOSED:
            return 0
        facts = conditions.facts_for([ticket], with_text=with_text, open_hours=open_hours)[0]
        for rule in listening:
            if fired >= MAX_RULES_PER_EVENT:
                logger.warning("Ticket %s: rule cap reached", ticket.pk)
                break
            if not conditions.matches(rule.conditions, facts):
                continue
            origin = Origin(depth=work.depth + 1, rules=tuple(sorted(work.skip | {rule.pk})))
            run = run_rule(rule, facts, origin=origin)
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
        if routes and facts.ticket.assignee_id is None:
            with events.caused_by(Origin(depth=work.depth + 1, rules=tuple(sorted(work.skip)))):
                routing.ticket_route_to_agent(ticket=facts.ticket, tags=facts.tags)
    return fired


def run_rule(rule, facts: conditions.Facts, *, origin: Origin | None) -> Run:
    """The rule's actions on the (locked) ticket, and its line on the timeline when it did
    something; the run (`did`: what it did, `ticket` and `tags` as they are now)."""
    run = Run(rule_id=rule.pk, rule_name=rule.name, ticket=facts.ticket, tags=set(facts.tags))
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
    (newest first). The same check as a real run."""
    open_hours = conditions.default_open_hours() if _reads_hours([rule]) else None
    with_text = conditions.needs_text([rule])
    query = conditions.with_facts(
        Ticket.objects.exclude(status=Ticket.Status.CLOSED)
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
