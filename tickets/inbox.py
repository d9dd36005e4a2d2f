"""The agent inbox: named views over the tickets an agent may see, filters, and keyset pages
(stable and fast however deep: no OFFSET over a million rows)."""

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from . import selectors
from .models import Ticket

S = Ticket.Status
OPEN = [S.NEW, S.OPEN, S.PENDING, S.ON_HOLD]
SORTS = {"updated": "updated_at", "created": "created_at"}
FILTER_FIELDS = ("status", "priority", "tier", "channel", "team", "assignee", "tag")
PAGE_SIZE = 50


def _views(agent: AbstractBaseUser) -> dict[str, tuple[str, Q]]:
    profile = agent.agent_profile
    team_ids = list(profile.teams.values_list("pk", flat=True))
    return {
        "mine": (_("Mine"), Q(assignee=agent, status__in=OPEN)),
        "unassigned": (_("Unassigned"), Q(assignee=None, status__in=OPEN)),
        "team": (_("My teams"), Q(team_id__in=team_ids, status__in=OPEN)),
        "tier": (_("My tier"), Q(tier=profile.tier, status__in=OPEN)),
        "pending": (_("Pending"), Q(status=S.PENDING)),
        "open": (_("All open"), Q(status__in=OPEN)),
        "solved": (
            _("Solved recently"),
            Q(status=S.SOLVED, solved_at__gte=timezone.now() - timedelta(days=7)),
        ),
    }


@dataclass
class InboxPage:
    views: list[tuple[str, str, int]]  # (key, label, count)
    view: str
    tickets: list[Ticket]
    next_cursor: str | None


def encode_cursor(moment: datetime, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{moment.isoformat()}|{pk}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    try:
        moment, pk = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        parsed = parse_datetime(moment)
        return (parsed, int(pk)) if parsed else None
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def _filtered(tickets: QuerySet[Ticket], filters: dict[str, str]) -> QuerySet[Ticket]:
    for field in FILTER_FIELDS:
        value = filters.get(field)
        if not value:
            continue
        if field == "tag":
            tickets = tickets.filter(tags__name=value)
        elif field in ("team", "assignee"):
            tickets = tickets.filter(**{f"{field}_id": int(value)}) if value.isdigit() else tickets
        else:
            tickets = tickets.filter(**{field: value})
    return tickets


def inbox_page(
    *,
    agent: AbstractBaseUser,
    view: str = "open",
    filters: dict[str, str] | None = None,
    sort: str = "updated",
    cursor: str = "",
) -> InboxPage:
    views = _views(agent)
    view = view if view in views else "open"
    order_field = SORTS.get(sort, "updated_at")
    scope = selectors.ticket_scope_for_agent(agent=agent)
    counts = scope.aggregate(
        **{key: Count("pk", filter=condition) for key, (_label, condition) in views.items()}
    )
    tickets = _filtered(scope.filter(views[view][1]), filters or {})
    position = decode_cursor(cursor) if cursor else None
    if position:
        moment, pk = position
        tickets = tickets.filter(
            Q(**{f"{order_field}__lt": moment}) | Q(**{order_field: moment, "pk__lt": pk})
        )
    rows = list(
        tickets.select_related("customer", "assignee", "team")
        .order_by(f"-{order_field}", "-pk")
        .distinct()[: PAGE_SIZE + 1]
    )
    next_cursor = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        next_cursor = encode_cursor(getattr(rows[-1], order_field), rows[-1].pk)
    return InboxPage(
        views=[(key, label, counts[key]) for key, (label, _condition) in views.items()],
        view=view,
        tickets=rows,
        next_cursor=next_cursor,
    )
