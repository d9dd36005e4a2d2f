"""The team a new ticket is born in, chosen by the triggers before the ticket exists: the routing
hook automation registers in the core (tickets.registries.routing_hooks).

The active rules listening to "created" are walked in their order, on the ticket as it will be
born (tickets.registries.NewTicket; N1, new, nobody assigned), with the same check the rules'
task uses (conditions.matches). A rule with a condition the description cannot decide (the SLA
state, the team; a phrase before the opening message is known) is passed over when whatever it
does leaves the ticket as later rules read it (no stop, side effects only); otherwise the walk
ends there without an answer, and the task decides. The first matching rule whose actions set an
N1 team answers it; a matching rule that stops the rules, or whose actions change what later
rules read (priority, tags, tier...), ends the walk without an answer, as the task would see the
ticket changed from there on. The task later runs the same rule: its set_team finds the ticket
in that team already and changes nothing.

Cost on the inbound path: one cache read (tickets.registries.routing_inputs_version()). The
rules, the N1 teams by name, the organizations and the business hours the rules name are read
from the database once per process and per version, bumped by whatever saves them, and at the
latest every ROUTING_RULES_SECONDS (rows changed behind the services; a local-memory cache, not
shared between processes)."""

import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from tickets import registries
from tickets.models import Customer, Organization, Team, Ticket, Tier

from . import conditions
from .models import Rule

HOOK_NAME = "automation.rules"
# What is known of every ticket as it is born, besides the description: N1, new, unassigned.
DECIDABLE = frozenset(
    {"channel", "segment", "organization", "tag", "priority", "contains", "language",
     "business_hours", "tier", "status", "assigned"}
)  # fmt: skip
# Actions that leave the ticket as the next rule reads it; any other changes it.
SIDE_EFFECTS = frozenset({"reply", "note", "notify", "webhook", "event"})


@dataclass(frozen=True)
class Snapshot:
    """What the hook reads from the database, as of one version."""

    version: Any
    rules: tuple[Rule, ...] = ()  # active, listening to "created", in order
    n1_teams: dict[str, int] = field(default_factory=dict)  # id by name
    organizations: dict[int, str] = field(default_factory=dict)  # the ones rules name
    open_hours: Any = None
    read_at: float = field(default_factory=time.monotonic)


_snapshot: Snapshot | None = None


def snapshot() -> Snapshot:
    global _snapshot
    version = registries.routing_inputs_version()
    if (
        _snapshot is None
        or _snapshot.version != version
        or time.monotonic() - _snapshot.read_at >= settings.JORNADA["ROUTING_RULES_SECONDS"]
    ):
        # In a savepoint: a database error here (a statement timeout) must not abort the
        # transaction of the ticket being opened; registries.route_new_ticket takes it as no
        # answer.
        with transaction.atomic():
            _snapshot = _read(version)
    return _snapshot


def _read(version: Any) -> Snapshot:
    rules = tuple(
        rule
        for rule in Rule.objects.filter(is_active=True).order_by("position", "id")
        if "created" in (rule.events or [])
    )
    if not rules:
        return Snapshot(version=version)
    named = {
        value
        for rule in rules
        for c in rule.conditions or []
        if c.get("field") == "organization"
        for value in conditions.wanted_values(c.get("value"))
    }
    organizations = {}
    if named:
        found = Organization.objects.all()
        # SQLite's LOWER() folds ASCII only: there (embedded, few rows) Python compares them all.
        if connection.vendor == "postgresql":
            found = found.annotate(lowered=Lower("name")).filter(lowered__in=named)
        organizations = {
            pk: name for pk, name in found.values_list("pk", "name") if name.lower() in named
        }
    hours = any(c.get("field") == "business_hours" for r in rules for c in r.conditions or [])
    return Snapshot(
        version=version,
        rules=rules,
        n1_teams=dict(Team.objects.filter(tier=Tier.N1).values_list("name", "pk")),
        organizations=organizations,
        open_hours=conditions.default_open_hours() if hours else None,
    )


def forget_rules() -> None:
    """For tests: no rule exists (each test starts from an empty database; rules saved through
    the services tell the version)."""
    global _snapshot
    registries.routing_version_forget()
    _snapshot = Snapshot(version=registries.routing_inputs_version())


def decidable(rule: Rule, new: registries.NewTicket) -> bool:
    for condition in rule.conditions or []:
        field = condition.get("field")
        if field not in DECIDABLE:
            return False
        if field == "contains" and not new.text:
            return False  # the opening message is not known yet (a split, a ticket opened bare)
    return True


def passable(rule: Rule) -> bool:
    """Whether a rule the hook cannot decide may be passed over: whatever the task later finds,
    it neither stops the rules after it nor changes the team or what they read."""
    return not rule.stop and all(a.get("type") in SIDE_EFFECTS for a in rule.actions or [])


def facts_of(new: registries.NewTicket, found: Snapshot) -> conditions.Facts:
    """The new ticket as the conditions read a ticket: rows built in memory, never saved."""
    organization = None
    if new.organization_id is not None:
        name = found.organizations.get(new.organization_id, "")
        organization = Organization(pk=new.organization_id, name=name)
    customer = Customer(
        segment=new.customer_segment, language=new.customer_language, organization=organization
    )
    ticket = Ticket(
        channel=new.channel,
        priority=new.priority,
        language=new.language,
        subject=new.subject,
        customer=customer,
    )
    return conditions.Facts(
        ticket=ticket,
        tags=set(new.tags),
        text=conditions.fold(f"{new.subject}\n{new.text[:5000]}"),
        now=timezone.now(),
        open_hours=found.open_hours,
    )


def _answer(rule: Rule, n1_teams: dict[str, int]) -> tuple[int | None, bool]:
    """The N1 team the rule's actions set (its id, or None), and whether an action before it
    (or any, when none sets an N1 team) changes what later rules read."""
    for action in rule.actions or []:
        kind = action.get("type")
        if kind == "set_team" and action.get("team") in n1_teams:
            return n1_teams[action["team"]], False
        if kind not in SIDE_EFFECTS:
            return None, True
    return None, False


def route_new_ticket(new: registries.NewTicket) -> registries.Route | None:
    found = snapshot()
    if not found.rules:
        return None
    facts = facts_of(new, found)
    for rule in found.rules:
        if not decidable(rule, new):
            if passable(rule):
                continue
            return None  # the rules' task decides from this rule on, as it would have
        if not conditions.matches(rule.conditions, facts):
            continue
        team_id, changes = _answer(rule, found.n1_teams)
        if team_id is not None:
            return registries.Route(team_id=team_id, reason=rule.name)
        if changes or rule.stop:
            return None
    return None


def register() -> None:
    registries.routing_hooks.register(
        registries.RoutingHook(name=HOOK_NAME, order=0, route=route_new_ticket)
    )
