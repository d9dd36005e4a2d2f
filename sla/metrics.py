"""Service metrics for managers' dashboards (and the API): every figure is aggregated in the
database over the tickets a reader may see, narrowed by filters. Durations are wall-clock
seconds between two stored timestamps; SLA compliance comes from the clocks, which the engine
computed in business time. Each result says which kind of time it is in."""

import functools
import math
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    Count,
    DateTimeField,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, ExtractHour, ExtractIsoWeekDay, TruncDate

from tickets.models import Message, Ticket, TicketEvent

from .models import Target, TicketSLA

WALL_CLOCK = "wall_clock"
BUSINESS = "business"
OPEN_STATUSES = ["new", "open", "pending", "on_hold"]
DONE_STATUSES = ["solved", "closed"]


@dataclass(frozen=True)
class MetricFilters:
    """What the figures cover: a half-open range [start, end) and optional narrowing.
    `team_ids` is the reader's scope (None: every team, and tickets with no team)."""

    start: datetime
    end: datetime
    team_ids: Sequence[int] | None = None
    team: int | None = None
    tier: str = ""
    agent: int | None = None
    channel: str = ""
    segment: str = ""
    organization: int | None = None

    def tickets(self) -> QuerySet[Ticket]:
        tickets = Ticket.objects.filter(merged_into=None)
        if self.team_ids is not None:
            tickets = tickets.filter(team_id__in=list(self.team_ids))
        narrowing = {
            "team_id": self.team,
            "tier": self.tier,
            "assignee_id": self.agent,
            "channel": self.channel,
            "customer__segment": self.segment,
            "customer__organization_id": self.organization,
        }
        return tickets.filter(**{k: v for k, v in narrowing.items() if v not in (None, "")})

    @functools.cached_property
    def ticket_pks(self) -> QuerySet | list[int]:
        """The tickets' ids for the messages' and the clocks' queries: listed (one query, once)
        when an agent or an organization narrows them to a few thousand, so that the database
        reads each one's rows by index rather than every message of the range; a subquery
        otherwise."""
        if self.agent is None and self.organization is None:
            return self.tickets().values("pk")
        return list(self.tickets().values_list("pk", flat=True))


class Seconds(Func):
    """end - start in seconds, as a float, on PostgreSQL and SQLite."""

    output_field = FloatField()

    def __init__(self, end, start):
        super().__init__(end, start)

    def as_sql(self, compiler, connection, **extra):
        end, end_params = compiler.compile(self.source_expressions[0])
        start, start_params = compiler.compile(self.source_expressions[1])
        if connection.vendor == "postgresql":
            sql = f"EXTRACT(EPOCH FROM ({end} - {start}))::double precision"
        else:
            sql = f"((julianday({end}) - julianday({start})) * 86400.0)"
        return sql, (*end_params, *start_params)


class PercentileCont(Aggregate):
    """PostgreSQL's percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)."""

    function = "percentile_cont"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        self.fraction = float(fraction)
        super().__init__(expression, **extra)

    def as_sql(self, compiler, connection, **extra):
        inner, params = compiler.compile(self.source_expressions[0])
        return f"percentile_cont({self.fraction}) WITHIN GROUP (ORDER BY {inner})", params


def percentiles(values: QuerySet, expression, fractions: Sequence[float]) -> list[float | None]:
    """Continuous percentiles of `expression` over `values` (None when there is none): one
    percentile_cont query on PostgreSQL; elsewhere a count and the one or two middle rows per
    fraction, interpolated the same way (still no loop over the rows)."""
    values = values.annotate(_v=expression).filter(_v__isnull=False)
    if connection.vendor == "postgresql":
        row = values.aggregate(
            **{f"p{i}": PercentileCont("_v", fraction) for i, fraction in enumerate(fractions)}
        )
        return [row[f"p{i}"] for i in range(len(fractions))]
    n = values.count()
    if not n:
        return [None] * len(fractions)
    ordered = values.order_by("_v").values_list("_v", flat=True)
    result = []
    for fraction in fractions:
        rank = fraction * (n - 1)
        low = math.floor(rank)
        pair = list(ordered[low : low + 2])
        high_value = pair[1] if len(pair) > 1 else pair[0]
        result.append(pair[0] + (high_value - pair[0]) * (rank - low))
    return result


@dataclass
class Duration:
    """A time figure in seconds with the kind of time it is measured in."""

    median: float | None = None
    p90: float | None = None
    average: float | None = None
    count: int = 0
    kind: str = WALL_CLOCK


def _duration(values: QuerySet, expression, kind: str = WALL_CLOCK) -> Duration:
    measured = values.annotate(_m=expression).filter(_m__isnull=False)
    row = measured.aggregate(average=Avg("_m"), count=Count("pk"))
    median, p90 = percentiles(measured, expression, [0.5, 0.9]) if row["count"] else (None, None)
    return Duration(median=median, p90=p90, average=row["average"], count=row["count"], kind=kind)


def _clock_durations(tickets: QuerySet, target: str) -> Duration:
    """The business time the clocks of a target took on these tickets (stopped ones only)."""
    clocks = TicketSLA.objects.filter(target=target, ticket__in=tickets.values("pk"))
    return _duration(clocks, F("business_seconds"), BUSINESS)


@dataclass
class TimeFigure:
    wall_clock: Duration
    business: Duration


def _created_in_range(filters: MetricFilters) -> QuerySet[Ticket]:
    return filters.tickets().filter(created_at__gte=filters.start, created_at__lt=filters.end)


def _solved_in_range(filters: MetricFilters) -> QuerySet[Ticket]:
    return filters.tickets().filter(
        solved_at__gte=filters.start, solved_at__lt=filters.end, status__in=DONE_STATUSES
    )


def first_response_time(filters: MetricFilters) -> TimeFigure:
    """From creation to the first agent reply, tickets created in the range: wall-clock, and
    in business time from their first-response clocks."""
    created = _created_in_range(filters)
    return TimeFigure(
        wall_clock=_duration(created, Seconds(F("first_response_at"), F("created_at"))),
        business=_clock_durations(created, Target.FIRST_RESPONSE),
    )


def resolution_time(filters: MetricFilters) -> TimeFigure:
    """From creation to solved, tickets solved in the range: wall-clock, and in business time
    without the pauses (pending, on hold) from their resolution clocks."""
    solved = _solved_in_range(filters)
    return TimeFigure(
        wall_clock=_duration(solved, Seconds(F("solved_at"), F("created_at"))),
        business=_clock_durations(solved, Target.RESOLUTION),
    )


@dataclass
class Responsiveness:
    """Average response time (every agent response, first or next, the clocks measured) and
    average time between two messages of a customer on the same ticket."""

    response_business: float | None = None
    response_wall_clock: float | None = None
    responses: int = 0
    between_contacts: float | None = None
    between_contacts_kind: str = WALL_CLOCK


def responsiveness(filters: MetricFilters) -> Responsiveness:
    """Response clocks (first and next response) stopped in the range; the gaps between a
    customer's message sent in the range and their previous one on the same ticket (sent in the
    range or before), averaged over all such gaps."""
    clocks = TicketSLA.objects.filter(
        ticket__in=filters.ticket_pks,
        target__in=[Target.FIRST_RESPONSE, Target.NEXT_RESPONSE],
        stopped_at__gte=filters.start,
        stopped_at__lt=filters.end,
    ).aggregate(
        business=Avg("business_seconds"),
        wall=Avg(Seconds(F("stopped_at"), F("started_at"))),
        n=Count("pk"),
    )
    inbound = Q(direction="inbound", kind="message")
    previous = (
        Message.objects.filter(
            inbound, ticket=OuterRef("ticket"), created_at__lt=OuterRef("created_at")
        )
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    gaps = (
        Message.objects.filter(
            inbound,
            ticket__in=filters.ticket_pks,
            created_at__gte=filters.start,
            created_at__lt=filters.end,
        )
        .annotate(previous=Subquery(previous))
        .filter(previous__isnull=False)
        .aggregate(total=Sum(Seconds(F("created_at"), F("previous"))), gaps=Count("pk"))
    )
    return Responsiveness(
        response_business=clocks["business"],
        response_wall_clock=clocks["wall"],
        responses=clocks["n"],
        between_contacts=gaps["total"] / gaps["gaps"] if gaps["gaps"] else None,
    )


@dataclass
class Volume:
    created: int = 0
    solved: int = 0
    first_contact_resolved: int = 0
    inbound_on_solved: int = 0
    conversations: int = 0
    replies: int = 0
    per_day: list[tuple[date, int, int]] = field(default_factory=list)  # day, created, solved

    @property
    def first_contact_resolution_rate(self) -> float | None:
        return self.first_contact_resolved / self.solved if self.solved else None

    @property
    def contacts_per_resolution(self) -> float | None:
        return self.inbound_on_solved / self.solved if self.solved else None


def _replies(ticket_ref) -> Subquery:
    """How many replies an agent sent on the ticket (internal notes are not contacts)."""
    replies = (
        Message.objects.filter(ticket=ticket_ref, direction="outbound", kind="message")
        .order_by()
        .values("ticket")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(replies, output_field=IntegerField()), 0)


def volume(filters: MetricFilters, *, time_zone: str | None = None) -> Volume:
    """Created and solved (in total and per day in the desk's time zone), first-contact
    resolution (solved with one reply and never reopened), customer messages per solved
    ticket, conversations open during the range (their first message before its end, their
    last one after its start) and agents' replies in it."""
    tz = zoneinfo.ZoneInfo(time_zone or settings.TIME_ZONE)
    created, solved = _created_in_range(filters), _solved_in_range(filters)
    result = Volume()
    row = solved.annotate(replies=_replies(OuterRef("pk"))).aggregate(
        solved=Count("pk"),
        fcr=Count("pk", filter=Q(replies=1, reopen_count=0)),
    )
    result.solved, result.first_contact_resolved = row["solved"], row["fcr"]
    result.inbound_on_solved = Message.objects.filter(
        ticket__in=solved.values("pk"), direction="inbound", kind="message"
    ).count()
    # Read from the range's start on: a conversation open during the range has its first
    # message after the start before the end, or (rarer) one before the start as well.
    earlier = Message.objects.filter(
        ticket=OuterRef("ticket"), kind="message", created_at__lt=filters.start
    )
    messages = (
        Message.objects.filter(
            ticket__in=filters.ticket_pks, kind="message", created_at__gte=filters.start
        )
        .order_by()
        .values("ticket")
        .annotate(
            first_after=Min("created_at"),
            in_range_replies=Count(
                "pk", filter=Q(created_at__lt=filters.end, direction="outbound")
            ),
        )
        .annotate(open_before=Exists(earlier))
        .aggregate(
            conversations=Count(
                "ticket", filter=Q(first_after__lt=filters.end) | Q(open_before=True)
            ),
            replies=Sum("in_range_replies"),
        )
    )
    result.conversations, result.replies = messages["conversations"], messages["replies"] or 0
    days: dict[date, list[int]] = {}
    for column, (tickets_of_day, stamp) in enumerate(
        ((created, "created_at"), (solved, "solved_at"))
    ):
        for day, n in (
            tickets_of_day.annotate(day=TruncDate(stamp, tzinfo=tz))
            .order_by()
            .values_list("day")
            .annotate(n=Count("pk"))
        ):
            days.setdefault(day, [0, 0])[column] = n
    result.created = sum(c for c, _s in days.values())
    result.per_day = [(day, c, s) for day, (c, s) in sorted(days.items())]
    return result


@dataclass
class Compliance:
    target: str
    met: int
    missed: int
    kind: str = BUSINESS

    @property
    def rate(self) -> float | None:
        total = self.met + self.missed
        return self.met / total if total else None


def _decided(filters: MetricFilters) -> tuple[Q, Q]:
    """Clocks met (stopped in the range, never breached) and missed (breached in the range)."""
    return (
        Q(breached_at=None, stopped_at__gte=filters.start, stopped_at__lt=filters.end),
        Q(breached_at__gte=filters.start, breached_at__lt=filters.end),
    )


def sla_compliance(filters: MetricFilters) -> list[Compliance]:
    """Per target, the clocks decided in the range: met (stopped before its due time, no breach)
    or missed (breach recorded in the range). Due times are business time."""
    clocks = TicketSLA.objects.filter(ticket__in=filters.ticket_pks)
    met, missed = _decided(filters)
    rows = {
        row["target"]: row
        for row in clocks.filter(missed | met)
        .order_by()
        .values("target")
        .annotate(met=Count("pk", filter=met), missed=Count("pk", filter=missed))
    }
    return [
        Compliance(
            target=target,
            met=rows.get(target, {}).get("met", 0),
            missed=rows.get(target, {}).get("missed", 0),
        )
        for target in Target.values
    ]


@dataclass
class Backlog:
    open: int = 0
    age: Duration = field(default_factory=Duration)
    overdue: int = 0


def backlog(filters: MetricFilters, *, now: datetime) -> Backlog:
    """Open tickets now (the range does not apply): how many, how old, how many overdue."""
    open_tickets = filters.tickets().filter(status__in=OPEN_STATUSES)
    row = open_tickets.aggregate(n=Count("pk"), overdue=Count("pk", filter=Q(sla_due_at__lt=now)))
    age = _duration(
        open_tickets, Seconds(Value(now, output_field=DateTimeField()), F("created_at"))
    )
    return Backlog(open=row["n"], age=age, overdue=row["overdue"])


@dataclass
class Escalation:
    from_tier: str
    to_tier: str
    reason: str
    count: int


def escalations(filters: MetricFilters, *, limit: int = 20) -> list[Escalation]:
    """Escalations in the range by step (N1 → N2, N2 → N3, ...) and reason, most frequent first."""
    rows = (
        TicketEvent.objects.filter(
            kind=TicketEvent.Kind.ESCALATED,
            created_at__gte=filters.start,
            created_at__lt=filters.end,
        )
        .filter(Exists(filters.tickets().filter(pk=OuterRef("ticket_id"))))
        .order_by()
        .values("before__tier", "after__tier", "reason")
        .annotate(n=Count("pk"))
        .order_by("-n", "before__tier", "reason")[:limit]
    )
    return [
        Escalation(
            from_tier=row["before__tier"] or "",
            to_tier=row["after__tier"] or "",
            reason=row["reason"],
            count=row["n"],
        )
        for row in rows
    ]


def volume_heatmap(filters: MetricFilters, *, time_zone: str | None = None) -> list[list[int]]:
    """Tickets created in the range by weekday (Monday first) and hour of day, in the desk's
    time zone (its daylight-saving rules included): 7 rows of 24 counts."""
    tz = zoneinfo.ZoneInfo(time_zone or settings.TIME_ZONE)
    grid = [[0] * 24 for _ in range(7)]
    rows = (
        filters.tickets()
        .filter(created_at__gte=filters.start, created_at__lt=filters.end)
        .annotate(
            weekday=ExtractIsoWeekDay("created_at", tzinfo=tz),
            hour=ExtractHour("created_at", tzinfo=tz),
        )
        .order_by()
        .values_list("weekday", "hour")
        .annotate(n=Count("pk"))
    )
    for weekday, hour, n in rows:
        grid[weekday - 1][hour] = n
    return grid


def at_risk_now(filters: MetricFilters, *, now: datetime, limit: int = 25) -> list[Ticket]:
    """Open tickets past their SLA warning time (the horizon the timer warns at, in business
    time), least time left first; overdue ones lead. The range does not apply."""
    return list(
        filters.tickets()
        .filter(status__in=OPEN_STATUSES, sla_warn_at__lte=now, sla_due_at__isnull=False)
        .select_related("team", "assignee")
        .only(
            "number", "subject", "priority", "sla_due_at", "team__name",
            "assignee__username", "assignee__first_name", "assignee__last_name",
        )
        .order_by("sla_due_at", "id")[:limit]
    )  # fmt: skip


@dataclass
class GroupRow:
    """One agent's or team's figures: open workload now; in the range, replies sent, tickets
    solved, average first response and resolution time (wall-clock), SLA clocks met and missed
    (business time)."""

    key: int | None
    workload: int = 0
    replies: int = 0
    solved: int = 0
    first_response: float | None = None
    resolution: float | None = None
    met: int = 0
    missed: int = 0

    @property
    def compliance(self) -> float | None:
        total = self.met + self.missed
        return self.met / total if total else None


def figures_by(filters: MetricFilters, *, group: str) -> list[GroupRow]:
    """The figures per agent (`group="assignee"`) or per team (`group="team"`), five grouped
    queries whatever the number of tickets; rows with nothing to show are left out."""
    if group not in ("assignee", "team"):
        raise ValueError(group)
    key = f"{group}_id"
    tickets = filters.tickets()
    rows: dict[int | None, GroupRow] = {}

    def merge(query, **names: str) -> None:
        for values in query:
            row = rows.setdefault(values[key], GroupRow(key=values[key]))
            for attribute, column in names.items():
                setattr(row, attribute, values[column])

    merge(
        tickets.filter(status__in=OPEN_STATUSES).order_by().values(key).annotate(n=Count("pk")),
        workload="n",
    )
    merge(
        _created_in_range(filters)
        .order_by()
        .values(key)
        .annotate(frt=Avg(Seconds(F("first_response_at"), F("created_at")))),
        first_response="frt",
    )
    merge(
        _solved_in_range(filters)
        .order_by()
        .values(key)
        .annotate(n=Count("pk"), res=Avg(Seconds(F("solved_at"), F("created_at")))),
        solved="n",
        resolution="res",
    )
    replies = Message.objects.filter(
        ticket__in=filters.ticket_pks,
        direction="outbound",
        kind="message",
        created_at__gte=filters.start,
        created_at__lt=filters.end,
    )
    # An agent's replies are the ones they wrote; a team's, those on its tickets.
    reply_key = "author_user_id" if group == "assignee" else "ticket__team_id"
    merge(
        replies.order_by().values(**{key: F(reply_key)}).annotate(n=Count("pk")),
        replies="n",
    )
    met, missed = _decided(filters)
    merge(
        TicketSLA.objects.filter(ticket__in=filters.ticket_pks)
        .filter(met | missed)
        .order_by()
        .values(**{key: F(f"ticket__{key}")})
        .annotate(met=Count("pk", filter=met), missed=Count("pk", filter=missed)),
        met="met",
        missed="missed",
    )
    return list(rows.values())
