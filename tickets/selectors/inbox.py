"""The agent inbox: named views over the tickets an agent may see, filters, search, sorts and
keyset pages (stable and fast however deep: no OFFSET over a million rows)."""

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import reduce
from operator import and_, or_

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import Channel, Ticket, Tier
from . import search
from .tickets import agent_team_ids, ticket_scope_for_agent

S = Ticket.Status
P = Ticket.Priority
OPEN = [S.NEW, S.OPEN, S.PENDING, S.ON_HOLD]
PAGE_SIZE = 50
COUNTS_CACHE_KEY = "inbox-counts:{agent_id}"

CHOICE_FILTERS = {
    "status": S.values,
    "priority": P.values,
    "tier": Tier.values,
    "channel": Channel.values,
}
ID_FILTERS = {"team": "team_id", "assignee": "assignee_id", "customer": "customer_id"}
DATE_FILTERS = {
    "created_from": ("created_at", "from"),
    "created_to": ("created_at", "to"),
    "updated_from": ("updated_at", "from"),
    "updated_to": ("updated_at", "to"),
}
FILTER_FIELDS = (
    *CHOICE_FILTERS,
    *ID_FILTERS,
    "organization",
    "tag",
    *DATE_FILTERS,
)


# --- Views ---------------------------------------------------------------------------------------


def _views(agent: AbstractBaseUser, team_ids: list[int]) -> dict[str, tuple[str, Q]]:
    profile = agent.agent_profile
    now = timezone.now()
    return {
        "mine": (_("Mine"), Q(assignee=agent, status__in=OPEN)),
        "unassigned": (_("Unassigned"), Q(assignee=None, status__in=OPEN)),
        "team": (_("My teams"), Q(team_id__in=team_ids, status__in=OPEN)),
        "tier": (_("My tier"), Q(tier=profile.tier, status__in=OPEN)),
        # At risk from the moment the SLA timer warns (business time, set by the SLA app);
        # overdue ones stay (their warning time is past too).
        "sla": (_("SLA at risk"), Q(status__in=OPEN, sla_warn_at__lte=now)),
        "pending": (_("Pending"), Q(status=S.PENDING)),
        "open": (_("All open"), Q(status__in=OPEN)),
        "solved": (
            _("Solved recently"),
            Q(status=S.SOLVED, solved_at__gte=now - timedelta(days=7)),
        ),
    }


# The sort each view opens with when the agent has not chosen one.
DEFAULT_SORTS = {"sla": "sla"}


def _view_counts(
    agent: AbstractBaseUser, scope: QuerySet[Ticket], views: dict[str, tuple[str, Q]]
) -> dict[str, int]:
    """One COUNT per view, each able to use its own index (on PostgreSQL the open views are
    index-only scans of `ticket_open_scope`; one conditional aggregate over the open tickets
    measured slower), kept a few seconds per agent: the badges may lag that long, the page does
    not pay for them on every click."""
    key = COUNTS_CACHE_KEY.format(agent_id=agent.pk)
    counts = cache.get(key)
    if counts is None or set(counts) != set(views):
        counts = {name: scope.filter(condition).count() for name, (_l, condition) in views.items()}
        cache.set(key, counts, settings.JORNADA.get("INBOX_COUNTS_CACHE_SECONDS", 30))
    return counts


def forget_view_counts(*, agent: AbstractBaseUser) -> None:
    """After the agent changed tickets, their badges are recounted on the next page."""
    cache.delete(COUNTS_CACHE_KEY.format(agent_id=agent.pk))


# --- Sorts and keyset cursors --------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    """One column of a sort. Nullable keys put NULLs last."""

    field: str
    descending: bool = False
    nullable: bool = False
    kind: type = datetime


@dataclass(frozen=True)
class Sort:
    label: str
    keys: tuple[Key, ...]


PRIORITY_RANKS = {value: rank for rank, value in enumerate(reversed(P.values))}  # urgent 0 … low 3
# Written exactly like the expression index ticket_open_priority (migration 0005) on PostgreSQL.
PRIORITY_RANK = Case(
    *(When(priority=value, then=Value(rank)) for value, rank in PRIORITY_RANKS.items()),
    default=Value(len(PRIORITY_RANKS)),
    output_field=IntegerField(),
)

SORTS = {
    "updated": Sort(_("Last updated"), (Key("updated_at", True), Key("id", True, kind=int))),
    "created": Sort(_("Newest"), (Key("created_at", True), Key("id", True, kind=int))),
    "sla": Sort(_("SLA due"), (Key("sla_due_at", nullable=True), Key("id", kind=int))),
    "priority": Sort(
        _("Priority"),
        (Key("priority_rank", kind=int), Key("updated_at", True), Key("id", True, kind=int)),
    ),
}


def encode_cursor(sort: str, values: list) -> str:
    raw = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps([sort, raw]).encode()).decode()


def decode_cursor(sort: str, cursor: str) -> list | None:
    """The position a cursor points at, or None when it is damaged or made for another sort."""
    try:
        name, raw = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return None
    keys = SORTS[sort].keys
    if name != sort or not isinstance(raw, list) or len(raw) != len(keys):
        return None
    values = []
    for key, value in zip(keys, raw, strict=True):
        if value is None and key.nullable:
            values.append(None)
        elif key.kind is int and isinstance(value, int) and not isinstance(value, bool):
            values.append(value)
        elif key.kind is datetime and isinstance(value, str) and (moment := parse_datetime(value)):
            values.append(moment)
        else:
            return None
    return values


def _beyond(key: Key, value) -> Q | None:
    """Rows strictly after `value` in this key's order (NULLs last); None: nothing is."""
    if value is None:
        return None
    after = Q(**{f"{key.field}__{'lt' if key.descending else 'gt'}": value})
    return after | Q(**{f"{key.field}__isnull": True}) if key.nullable else after


def _equal(key: Key, value) -> Q:
    return Q(**{f"{key.field}__isnull": True} if value is None else {key.field: value})


def _after_position(keys: tuple[Key, ...], values: list) -> Q:
    """(k1, k2, ...) > (v1, v2, ...) in the sort's order, written out column by column so that
    NULLs and mixed directions work on every database."""
    alternatives, same_so_far = [], []
    for key, value in zip(keys, values, strict=True):
        beyond = _beyond(key, value)
        if beyond is not None:
            alternatives.append(reduce(and_, [*same_so_far, beyond]))
        same_so_far.append(_equal(key, value))
    condition = reduce(or_, alternatives) if alternatives else Q(pk__in=[])
    first, value = keys[0], values[0]
    if value is not None and not first.nullable:
        # Redundant, but a plain range on the leading column is what lets an index skip ahead.
        condition &= Q(**{f"{first.field}__{'lte' if first.descending else 'gte'}": value})
    return condition


def _ordering(keys: tuple[Key, ...]) -> list:
    return [
        F(k.field).desc() if k.descending else F(k.field).asc(nulls_last=k.nullable or None)
        for k in keys
    ]


# --- Filters -------------------------------------------------------------------------------------


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def apply_filters(
    tickets: QuerySet[Ticket], filters: Mapping[str, str]
) -> tuple[QuerySet[Ticket], list[str]]:
    """The tickets narrowed by every valid filter, and a message for each value that was not
    understood (that filter is left out rather than failing the page). Dates are whole days in
    the current time zone; "to" includes its day."""
    errors = []

    def refuse(name: str, value: str) -> None:
        errors.append(
            gettext("“%(value)s” is not a valid %(filter)s; that filter was left out.")
            % {"value": value, "filter": FILTER_LABELS.get(name, name)}
        )

    for name in FILTER_FIELDS:
        value = (filters.get(name) or "").strip()
        if not value:
            continue
        if name in CHOICE_FILTERS:
            if value in CHOICE_FILTERS[name]:
                tickets = tickets.filter(**{name: value})
            else:
                refuse(name, value)
        elif name in ID_FILTERS or name == "organization":
            if not value.isdigit() or len(value) > 18:
                refuse(name, value)
            elif name == "organization":
                tickets = tickets.filter(customer__organization_id=int(value))
            else:
                tickets = tickets.filter(**{ID_FILTERS[name]: int(value)})
        elif name == "tag":
            # EXISTS rather than a join: no duplicate rows, so no DISTINCT to sort them away.
            tagged = Ticket.tags.through.objects.filter(ticket_id=OuterRef("pk"), tag__name=value)
            tickets = tickets.filter(Exists(tagged))
        else:
            column, end = DATE_FILTERS[name]
            try:
                day = date.fromisoformat(value)
            except ValueError:
                refuse(name, value)
                continue
            if end == "from":
                tickets = tickets.filter(**{f"{column}__gte": _day_start(day)})
            else:
                tickets = tickets.filter(**{f"{column}__lt": _day_start(day + timedelta(days=1))})
    return tickets, errors


FILTER_LABELS = {
    "status": _("status"),
    "priority": _("priority"),
    "tier": _("tier"),
    "channel": _("channel"),
    "team": _("team"),
    "assignee": _("assignee"),
    "customer": _("customer"),
    "organization": _("organization"),
    "created_from": _("“created from” date"),
    "created_to": _("“created until” date"),
    "updated_from": _("“updated from” date"),
    "updated_to": _("“updated until” date"),
}


# --- The page ------------------------------------------------------------------------------------


@dataclass
class InboxPage:
    views: list[tuple[str, str, int]] = field(default_factory=list)  # (key, label, count)
    view: str = "open"
    sort: str = "updated"
    tickets: list[Ticket] = field(default_factory=list)
    next_cursor: str | None = None
    errors: list[str] = field(default_factory=list)
    search_truncated: bool = False
    jump_to: int | None = None  # a ticket number typed into the search box


def inbox_page(
    *,
    agent: AbstractBaseUser,
    view: str = "open",
    filters: Mapping[str, str] | None = None,
    sort: str = "",
    q: str = "",
    cursor: str = "",
) -> InboxPage:
    scope = ticket_scope_for_agent(agent=agent)
    q = (q or "").strip()
    number = search.ticket_number(q)
    if number is not None and scope.filter(number=number).exists():
        return InboxPage(view=view, jump_to=number)

    team_ids = agent_team_ids(agent.agent_profile)
    views = _views(agent, team_ids)
    view = view if view in views else "open"
    sort = sort if sort in SORTS else DEFAULT_SORTS.get(view, "updated")
    counts = _view_counts(agent, scope, views)

    tickets, errors = apply_filters(scope.filter(views[view][1]), filters or {})
    truncated = False
    if q:
        tickets, truncated = search.search_tickets(tickets, q)
    keys = SORTS[sort].keys
    if sort == "priority":
        tickets = tickets.annotate(priority_rank=PRIORITY_RANK)
    position = decode_cursor(sort, cursor) if cursor else None
    if position:
        tickets = tickets.filter(_after_position(keys, position))
    # Ids first, rows after: joining customers, agents and teams to every candidate before the
    # LIMIT (which the planner does when it misjudges how many rows a view holds) costs more
    # than one more query for the 50 rows shown.
    ids = list(tickets.order_by(*_ordering(keys)).values_list("pk", flat=True)[: PAGE_SIZE + 1])
    loaded = (
        Ticket.objects.select_related("customer", "assignee", "team")
        .prefetch_related("tags")
        .in_bulk(ids)
    )
    rows = [loaded[pk] for pk in ids if pk in loaded]
    for row in rows:
        row.priority_rank = PRIORITY_RANKS.get(row.priority, len(PRIORITY_RANKS))
    next_cursor = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        next_cursor = encode_cursor(sort, [getattr(rows[-1], key.field) for key in keys])
    return InboxPage(
        views=[(key, label, counts[key]) for key, (label, _condition) in views.items()],
        view=view,
        sort=sort,
        tickets=rows,
        next_cursor=next_cursor,
        errors=errors,
        search_truncated=truncated,
    )
