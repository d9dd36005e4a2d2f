"""A rule's conditions, checked against what is known of a ticket now (its Facts).

A condition is {"field": ..., "value": ..., "negate": false}; a rule matches when all of its
conditions hold (none: always). The same check serves the triggers, the dry run and the
dispatcher's suggestion, so a dry run shows exactly what the rule will do."""

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models import Message, Tag, Ticket

FIELDS = {
    "channel": _("channel"),
    "segment": _("customer segment"),
    "organization": _("organization"),
    "tag": _("tag"),
    "priority": _("priority"),
    "tier": _("tier"),
    "status": _("status"),
    "team": _("team"),
    "contains": _("subject or message contains"),
    "business_hours": _("within business hours"),
    "sla": _("SLA state"),
    "language": _("customer language"),
    "assigned": _("has an assignee"),
}
TEXT_FIELDS = {"contains"}


def fold(text: str) -> str:
    """Lower case without accents: "Ação" and "acao" are the same phrase."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@dataclass
class Facts:
    ticket: Ticket
    tags: set[str]
    text: str = ""  # folded subject + the customer's last message
    now: datetime = field(default_factory=timezone.now)
    open_hours: Any = None  # sla BusinessHours, or None: always open

    @property
    def sla_state(self) -> str:
        t = self.ticket
        if t.sla_due_at is None:
            return "none"
        if t.sla_due_at <= self.now:
            return "breached"
        if t.sla_warn_at is not None and t.sla_warn_at <= self.now:
            return "warning"
        return "ok"


def wanted_values(value: Any) -> list[str]:
    items = value if isinstance(value, list | tuple) else [value]
    return [str(item).strip().lower() for item in items if str(item).strip()]


def holds(condition: dict, facts: Facts) -> bool:
    name, value = condition.get("field"), condition.get("value")
    result = _check(name, value, facts)
    return not result if condition.get("negate") else result


def _check(name: str, value: Any, facts: Facts) -> bool:
    t = facts.ticket
    wanted = wanted_values(value)
    if name == "channel":
        return t.channel in wanted
    if name == "segment":
        return t.customer.segment in wanted
    if name == "organization":
        org = t.customer.organization
        return org is not None and org.name.lower() in wanted
    if name == "tag":
        return bool(facts.tags & set(wanted))
    if name == "priority":
        return t.priority in wanted
    if name == "tier":
        return t.tier.lower() in wanted
    if name == "status":
        return t.status in wanted
    if name == "team":
        return t.team is not None and t.team.name.lower() in wanted
    if name == "contains":
        return any(fold(phrase) in facts.text for phrase in as_list(value))
    if name == "business_hours":
        is_open = facts.open_hours is None or facts.open_hours.is_open(facts.now)
        return is_open == _truthy(value)
    if name == "sla":
        return facts.sla_state in wanted
    if name == "language":
        return t.language.lower() in wanted or t.customer.language.lower() in wanted
    if name == "assigned":
        return (t.assignee_id is not None) == _truthy(value)
    return False  # an unknown field never matches (a typo must not fire a rule everywhere)


def as_list(value: Any) -> list[str]:
    """A stored value as a list of strings (one value or several; None and "" left out)."""
    items = value if isinstance(value, list | tuple) else [value]
    return [str(item) for item in items if item is not None and str(item) != ""]


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true", "yes", "sim")


def matches(conditions: list[dict], facts: Facts) -> bool:
    return all(holds(condition, facts) for condition in conditions or [])


# Fields whose check is a ticket column (or a related one) among the wanted values: what a query
# can do for them. Compared lowered where the check lowers the ticket's side too.
_COLUMNS = {
    "channel": ("channel", False),
    "segment": ("customer__segment", False),
    "priority": ("priority", False),
    "status": ("status", False),
    "tier": ("tier", True),
    "team": ("team__name", True),
    "organization": ("customer__organization__name", True),
}


def narrow(query, conditions: list[dict]):
    """The ticket query restricted, in the database, to tickets that may match these conditions:
    never one the Python check (matches) would accept is left out, so the caller checks the
    survivors as usual. Only plain "is one of" conditions on columns narrow; the others (negated,
    tags, text, time, SLA, language) are left to the check."""
    for index, condition in enumerate(conditions or []):
        name, wanted = condition.get("field"), wanted_values(condition.get("value"))
        if condition.get("negate") or name not in _COLUMNS:
            continue
        column, lowered = _COLUMNS[name]
        if lowered:
            alias = f"_narrow_{index}"
            query = query.annotate(**{alias: Lower(column)}).filter(**{f"{alias}__in": wanted})
        else:
            query = query.filter(**{f"{column}__in": wanted})
    return query


def needs_text(rules: Iterable) -> bool:
    return any(c.get("field") in TEXT_FIELDS for rule in rules for c in rule.conditions or [])


def default_open_hours():
    """The business hours rules check: the first business calendar (by name); None when there
    is none (always open)."""
    from sla.models import BusinessCalendar

    calendar = BusinessCalendar.objects.order_by("name").first()
    return calendar.hours if calendar is not None else None


def _last_text():
    return Subquery(
        Message.objects.filter(
            ticket_id=OuterRef("pk"),
            direction=Message.Direction.INBOUND,
            kind=Message.Kind.MESSAGE,
        )
        .order_by("-created_at", "-id")
        .values("body_text")[:1]
    )


def with_facts(query, *, with_text: bool):
    """The ticket query with what facts_for() needs read in the same statement (the tags on
    PostgreSQL, the customer's last message when a rule reads text): one round trip per
    ticket on the per-event path."""
    if with_text:
        query = query.annotate(_last_text=_last_text())
    if connection.vendor == "postgresql":
        from django.contrib.postgres.expressions import ArraySubquery

        names = Tag.objects.filter(tickets=OuterRef("pk")).values("name")
        query = query.annotate(_tag_names=ArraySubquery(names))
    return query


def facts_for(
    tickets: list[Ticket], *, with_text: bool, now: datetime | None = None, open_hours=None
) -> list[Facts]:
    """Facts of these tickets (loaded with customer__organization and team, and with_facts()
    when it was used): up to two queries for the tags and the customers' last messages."""
    now = now or timezone.now()
    ids = [t.pk for t in tickets]
    tags: dict[int, set[str]] = {
        t.pk: set(t._tag_names) for t in tickets if hasattr(t, "_tag_names")
    }
    missing = [pk for pk in ids if pk not in tags]
    for pk in missing:
        tags[pk] = set()
    if missing:
        for ticket_id, name in Ticket.tags.through.objects.filter(
            ticket_id__in=missing
        ).values_list("ticket_id", "tag__name"):
            tags[ticket_id].add(name)
    texts: dict[int, str] = {}
    if with_text:
        texts = {t.pk: t._last_text or "" for t in tickets if hasattr(t, "_last_text")}
        missing = [pk for pk in ids if pk not in texts]
        if missing:
            rows = Ticket.objects.filter(pk__in=missing).annotate(last=_last_text())
            texts.update({pk: body or "" for pk, body in rows.values_list("pk", "last")})
    return [
        Facts(
            ticket=t,
            tags=tags[t.pk],
            text=fold(f"{t.subject}\n{texts.get(t.pk, '')[:5000]}"),
            now=now,
            open_hours=open_hours,
        )
        for t in tickets
    ]
