"""The dashboard's rollups (manager.models.TicketFacts, DailyActivity): how they are computed.

Each rollup row is a function of source rows, recomputed whole with INSERT ... SELECT (the SELECT
written with the ORM, so it runs on PostgreSQL and SQLite alike):
- a ticket's facts, from the ticket, its customer, its clocks and its messages;
- a day's activity, from the messages written and the clocks decided that day (in the desk's time
  zone), grouped by the filters of their tickets as they are now (HeldDailyActivity, per assignee
  too; DailyActivity, its sum over the assignees, read unless one agent is asked for).
Marking is cheap (manager.pending); `rollups_refresh` does the work for the tickets marked, and
`rollups_rebuild` everything (`manage.py manager_rollup_rebuild`)."""

import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    F,
    FloatField,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import (
    Cast,
    Coalesce,
    ExtractHour,
    ExtractIsoWeekDay,
    TruncDate,
)
from django.utils import timezone

from sla.metrics import DONE_STATUSES, OPEN_STATUSES, Seconds
from sla.models import Target, TicketSLA
from tickets.models import Message, Ticket, TicketEvent

from .models import (
    CATCH_UP,
    REBUILDING,
    AgentDailyActivity,
    DailyActivity,
    DailyEscalation,
    HeldDailyActivity,
    RollupState,
    TicketFacts,
)


def desk_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _insert_from(model, queryset: QuerySet) -> int:
    """INSERT INTO model's table the rows of a values() queryset (its columns named as the
        model's fields, or "r_" and the field's name where that would clash with the source model's
    own field), in the order the SELECT lists them."""
    query = queryset.query
    names = [n.removeprefix("r_") for n in [*query.values_select, *query.annotation_select]]
    columns = ", ".join(connection.ops.quote_name(model._meta.get_field(n).column) for n in names)
    select, params = query.sql_with_params()
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) {select}", params)
        return cursor.rowcount


# --- ticket facts ---------------------------------------------------------------------------
def _count_messages(direction: str) -> Coalesce:
    rows = (
        Message.objects.filter(ticket=OuterRef("pk"), direction=direction, kind="message")
        .order_by()
        .values("ticket")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def _message_time(first: bool) -> Subquery:
    rows = (
        Message.objects.filter(ticket=OuterRef("pk"), kind="message")
        .order_by("created_at" if first else "-created_at")
        .values("created_at")[:1]
    )
    return Subquery(rows)


def _clock_business(target: str) -> Subquery:
    rows = TicketSLA.objects.filter(ticket=OuterRef("pk"), target=target).values(
        "business_seconds"
    )[:1]
    return Subquery(rows, output_field=IntegerField())


def facts_select(tickets: QuerySet[Ticket]) -> QuerySet:
    done = Q(status__in=DONE_STATUSES)
    solved_at = Case(When(done, then=F("solved_at")), default=None)
    tz = desk_zone()
    slot = (ExtractIsoWeekDay("created_at", tzinfo=tz) - 1) * 24 + ExtractHour(
        "created_at", tzinfo=tz
    )
    return (
        tickets.filter(merged_into=None)
        .order_by()
        .values(
            "team_id",
            "tier",
            "assignee_id",
            "channel",
            "reopen_count",
            "created_at",
            ticket_id=F("pk"),
            segment=F("customer__segment"),
            organization_id=F("customer__organization_id"),
        )
        .annotate(
            is_open=Case(
                When(status__in=OPEN_STATUSES, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            created_day=TruncDate("created_at", tzinfo=tz),
            created_slot=slot,
            r_solved_at=solved_at,
            solved_day=Case(When(done, then=TruncDate("solved_at", tzinfo=tz)), default=None),
            first_response_seconds=Seconds(F("first_response_at"), F("created_at")),
            first_response_business=_clock_business(Target.FIRST_RESPONSE),
            resolution_seconds=Case(
                When(done, then=Seconds(F("solved_at"), F("created_at"))),
                default=None,
                output_field=FloatField(),
            ),
            resolution_business=Case(
                When(done, then=_clock_business(Target.RESOLUTION)), default=None
            ),
            replies=_count_messages("outbound"),
            inbound=_count_messages("inbound"),
            first_message_at=_message_time(first=True),
            last_message_at=_message_time(first=False),
            refreshed_at=Value(timezone.now()),
        )
    )


# Every transaction that writes rollup rows takes this lock first (PostgreSQL), so that two of
# them (two refreshes, a refresh during a rebuild) never both delete a day's rows before either
# inserts, which would leave them twice. SQLite writes one transaction at a time anyway.
ROLLUP_LOCK = 0x6A6F726E  # "jorn"


def _serialized() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ROLLUP_LOCK])


def facts_refresh(ticket_ids: Sequence[int]) -> int:
    with transaction.atomic():
        _serialized()
        TicketFacts.objects.filter(ticket_id__in=ticket_ids).delete()
        return _insert_from(TicketFacts, facts_select(Ticket.objects.filter(pk__in=ticket_ids)))


# --- daily activity -------------------------------------------------------------------------
DIMENSIONS = {
    "team_id": "ticket__team_id",
    "tier": "ticket__tier",
    "assignee_id": "ticket__assignee_id",
    "channel": "ticket__channel",
    "segment": "ticket__customer__segment",
}
ACTIVITY_INT = (
    "replies", "inbound", "contact_gaps", "met_first_response", "missed_first_response",
    "met_next_response", "missed_next_response", "met_resolution", "missed_resolution",
    "responses", "response_business_n",
)  # fmt: skip
ACTIVITY_FLOAT = ("contact_gap_seconds", "response_business_sum", "response_wall_sum")
AGENT_INT = ("replies", "met", "missed")


def day_bounds(days: Iterable[date]) -> tuple[datetime, datetime]:
    days = sorted(days)
    tz = desk_zone()
    return (
        datetime.combine(days[0], time.min, tzinfo=tz),
        datetime.combine(days[-1] + timedelta(days=1), time.min, tzinfo=tz),
    )


def _by_day(queryset: QuerySet, stamp: str, days: Sequence[date], agent=None) -> QuerySet:
    start, end = day_bounds(days)
    dims = {f"r_{name}": F(path) for name, path in DIMENSIONS.items()}
    if agent is not None:
        dims["r_agent_id"] = agent
    return (
        queryset.filter(**{f"{stamp}__gte": start, f"{stamp}__lt": end}, ticket__merged_into=None)
        .annotate(r_day=TruncDate(stamp, tzinfo=desk_zone()))
        .filter(r_day__in=list(days))
        .order_by()
        .values("r_day", **dims)
    )


def _measures(ints: Sequence[str], floats: Sequence[str], **given) -> dict:
    """Every measure column in a fixed order (a UNION lines them up), zero unless given."""
    zero_int, zero_float = Value(0, IntegerField()), Value(0.0, FloatField())
    return {
        **{name: given.get(name, zero_int) for name in ints},
        **{name: given.get(name, zero_float) for name in floats},
    }


def _previous_contact() -> Subquery:
    return Subquery(
        Message.objects.filter(
            ticket=OuterRef("ticket"),
            direction="inbound",
            kind="message",
            created_at__lt=OuterRef("created_at"),
        )
        .order_by("-created_at")
        .values("created_at")[:1]
    )


def activity_selects(days: Sequence[date]) -> list[QuerySet]:
    inbound, response = (
        Q(direction="inbound"),
        Q(target__in=[Target.FIRST_RESPONSE, Target.NEXT_RESPONSE]),
    )
    measures = lambda **given: _measures(ACTIVITY_INT, ACTIVITY_FLOAT, **given)  # noqa: E731
    messages = _by_day(
        Message.objects.filter(kind="message").annotate(previous=_previous_contact()),
        "created_at",
        days,
    ).annotate(
        **measures(
            replies=Count("pk", filter=Q(direction="outbound")),
            inbound=Count("pk", filter=inbound),
            contact_gaps=Count("pk", filter=inbound & Q(previous__isnull=False)),
            contact_gap_seconds=Coalesce(
                Sum(Seconds(F("created_at"), F("previous")), filter=inbound), 0.0
            ),
        )
    )
    met = {
        f"met_{target}": Count("pk", filter=Q(target=target, breached_at=None))
        for target in Target.values
    }
    stopped = _by_day(TicketSLA.objects.all(), "stopped_at", days).annotate(
        **measures(
            **met,
            responses=Count("pk", filter=response),
            response_business_n=Count("business_seconds", filter=response),
            response_business_sum=Coalesce(
                Sum("business_seconds", filter=response, output_field=FloatField()), 0.0
            ),
            response_wall_sum=Coalesce(
                Sum(Seconds(F("stopped_at"), F("started_at")), filter=response), 0.0
            ),
        )
    )
    missed = {f"missed_{target}": Count("pk", filter=Q(target=target)) for target in Target.values}
    breached = _by_day(TicketSLA.objects.all(), "breached_at", days).annotate(**measures(**missed))
    return [messages, stopped, breached]


def agent_selects(days: Sequence[date]) -> list[QuerySet]:
    """Per agent: the replies they wrote, the clocks of the tickets they hold met and missed."""
    measures = lambda **given: _measures(AGENT_INT, (), **given)  # noqa: E731
    replies = _by_day(
        Message.objects.filter(kind="message", direction="outbound"),
        "created_at",
        days,
        agent=F("author_user_id"),
    ).annotate(**measures(replies=Count("pk")))
    met = _by_day(
        TicketSLA.objects.filter(breached_at=None),
        "stopped_at",
        days,
        agent=F("ticket__assignee_id"),
    ).annotate(**measures(met=Count("pk")))
    missed = _by_day(
        TicketSLA.objects.all(), "breached_at", days, agent=F("ticket__assignee_id")
    ).annotate(**measures(missed=Count("pk")))
    return [replies, met, missed]


def escalation_selects(days: Sequence[date]) -> list[QuerySet]:
    escalated = TicketEvent.objects.filter(kind=TicketEvent.Kind.ESCALATED)
    rows = _by_day(escalated, "created_at", days).annotate(
        r_from_tier=Coalesce(Cast(KT("before__tier"), CharField()), Value("")),
        r_to_tier=Coalesce(Cast(KT("after__tier"), CharField()), Value("")),
        r_reason=F("reason"),
        count=Count("pk"),
    )
    return [rows]


def _insert_merged(model, selects: list[QuerySet]) -> int:
    """INSERT the rows of several values() querysets with the same columns, summed per key (the
    "r_" columns), so a key has one row whatever its sources."""
    first = selects[0].query
    names = [*first.values_select, *first.annotation_select]
    keys = [n for n in names if n.startswith("r_")]  # the measures have no prefix
    measures = [n for n in names if not n.startswith("r_")]
    union = selects[0].union(*selects[1:], all=True)
    inner, params = union.query.sql_with_params()
    q = connection.ops.quote_name
    columns = ", ".join(
        q(model._meta.get_field(n.removeprefix("r_")).column) for n in keys + measures
    )
    select = ", ".join([q(n) for n in keys] + [f"SUM({q(n)})" for n in measures])
    table = q(model._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) SELECT {select} FROM ({inner}) merged"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} GROUP BY {', '.join(q(n) for n in keys)}", params)
        return cursor.rowcount


def _desk_activity(days: Sequence[date]) -> QuerySet:
    """DailyActivity's rows of these days: HeldDailyActivity's summed over the assignees."""
    dims = [name for name in DIMENSIONS if name != "assignee_id"]
    return (
        HeldDailyActivity.objects.filter(day__in=list(days))
        .order_by()
        .values("day", *dims)
        .annotate(**{f"r_{name}": Sum(name) for name in (*ACTIVITY_INT, *ACTIVITY_FLOAT)})
    )


def _refresh_days(days: Sequence[date]) -> int:
    inserted = 0
    for model, selects in (
        (HeldDailyActivity, activity_selects),
        (AgentDailyActivity, agent_selects),
        (DailyEscalation, escalation_selects),
    ):
        model.objects.filter(day__in=days).delete()
        inserted += _insert_merged(model, selects(days))
    DailyActivity.objects.filter(day__in=days).delete()
    return inserted + _insert_from(DailyActivity, _desk_activity(days))


def activity_refresh(days: Iterable[date]) -> int:
    days = sorted(set(days))
    if not days:
        return 0
    with transaction.atomic():
        _serialized()
        return _refresh_days(days)


def days_of_tickets(ticket_ids: Sequence[int]) -> set[date]:
    """Every day these tickets have activity on: their messages and decided clocks."""
    tz = desk_zone()
    days: set[date] = set()
    for queryset, stamp in (
        (Message.objects.filter(ticket_id__in=ticket_ids, kind="message"), "created_at"),
        (TicketSLA.objects.filter(ticket_id__in=ticket_ids), "stopped_at"),
        (TicketSLA.objects.filter(ticket_id__in=ticket_ids), "breached_at"),
        (
            TicketEvent.objects.filter(ticket_id__in=ticket_ids, kind=TicketEvent.Kind.ESCALATED),
            "created_at",
        ),
    ):
        days.update(
            queryset.filter(**{f"{stamp}__isnull": False})
            .annotate(day=TruncDate(stamp, tzinfo=tz))
            .order_by()
            .values_list("day", flat=True)
            .distinct()
        )
    return days


# --- refresh and rebuild --------------------------------------------------------------------
def rollups_refresh(*, ticket_ids: Iterable[int]) -> tuple[int, int]:
    """Recompute the facts of these tickets and every day they have activity on; returns
    (tickets, days)."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return 0, 0
    days = days_of_tickets(ids)
    facts_refresh(ids)
    activity_refresh(days)
    return len(ids), len(days)


def rollups_rebuild(
    *, batch: int = 100_000, progress: Callable[[str], None] = lambda _line: None
) -> dict[str, int]:
    """Recompute both rollups from scratch, in batches of ticket ids and of months. The
    dashboard answers live while they are rebuilt (no state), then reads them; what changed
    since the start is caught up by the next periodic refresh. One at a time: RebuildRunning
    while another runs (or failed less than REBUILD_STALE ago)."""
    counts = {"tickets": 0, "days": 0, "activity_rows": 0}
    started = timezone.now()
    _claim_rebuild(started)
    try:
        _rebuild(counts, batch, progress)
    except BaseException:
        # The claim stays, stamped now: no rebuild starts by itself for REBUILD_STALE.
        RollupState.objects.filter(name=REBUILDING).update(refreshed_until=timezone.now())
        raise
    with transaction.atomic():
        RollupState.objects.update_or_create(name=CATCH_UP, defaults={"refreshed_until": started})
        RollupState.objects.filter(name=REBUILDING).delete()
    return counts


# A rebuild claimed this long ago is taken for dead (a worker killed), or for failed long
# enough ago, and another may start.
REBUILD_STALE = timedelta(hours=1)


class RebuildRunning(Exception):
    """Another rebuild runs (or failed less than REBUILD_STALE ago)."""


def rebuild_claimed(now: datetime) -> bool:
    return RollupState.objects.filter(
        name=REBUILDING, refreshed_until__gt=now - REBUILD_STALE
    ).exists()


def _claim_rebuild(now: datetime) -> None:
    with transaction.atomic():
        _serialized()
        claim = RollupState.objects.select_for_update().filter(name=REBUILDING).first()
        if claim is not None and claim.refreshed_until > now - REBUILD_STALE:
            raise RebuildRunning(claim.refreshed_until)
        RollupState.objects.update_or_create(name=REBUILDING, defaults={"refreshed_until": now})
        RollupState.objects.filter(name=CATCH_UP).delete()  # answered live meanwhile


def _rebuild(counts: dict, batch: int, progress: Callable[[str], None]) -> None:
    with transaction.atomic():
        _serialized()
        TicketFacts.objects.all().delete()
    last = Ticket.objects.aggregate(n=Max("pk"))["n"] or 0
    for low in range(0, last, batch):
        with transaction.atomic():
            _serialized()
            # A refresh between two batches may have written some of these already.
            TicketFacts.objects.filter(ticket_id__gt=low, ticket_id__lte=low + batch).delete()
            counts["tickets"] += _insert_from(
                TicketFacts, facts_select(Ticket.objects.filter(pk__gt=low, pk__lte=low + batch))
            )
        progress(f"ticket facts: {counts['tickets']:,} tickets (ids up to {low + batch:,})")
    with transaction.atomic():
        _serialized()
        for model in (HeldDailyActivity, DailyActivity, AgentDailyActivity, DailyEscalation):
            model.objects.all().delete()
    first = Message.objects.order_by("created_at").values_list("created_at", flat=True).first()
    tz = desk_zone()
    if first is not None:
        day = timezone.localtime(first, tz).date()
        today = timezone.localtime(timezone.now(), tz).date()
        while day <= today:
            days = [day + timedelta(days=n) for n in range(31)]
            counts["activity_rows"] += activity_refresh(days)
            counts["days"] += len(days)
            progress(f"daily activity: up to {days[-1]} ({counts['activity_rows']:,} rows)")
            day += timedelta(days=31)
