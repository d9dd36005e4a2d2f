"""The dashboard's figures, read from the rollups (manager.models.TicketFacts, DailyActivity) when
they can answer: the same figures as sla.metrics computes live from tickets, clocks and messages
(tests/manager/test_selectors.py holds them equal), in a fixed and small number of queries whatever
the number of tickets. The rollups hold whole days in the desk's time zone and no organization:
a range that does not start and end at the desk's midnight, or an organization filter (a few
tickets: fast live), is answered live by sla.metrics, and so is everything until the rollups have
been built once."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, time

from django.db import connection, transaction
from django.db.models import Avg, Count, DateTimeField, F, FloatField, Q, QuerySet, Sum, Value

from sla import metrics
from sla.metrics import (
    BUSINESS,
    WALL_CLOCK,
    Compliance,
    Duration,
    GroupRow,
    MetricFilters,
    PercentileCont,
    Responsiveness,
    Seconds,
    TimeFigure,
    Volume,
)
from sla.models import Target

from . import together
from .models import (
    CATCH_UP,
    AgentDailyActivity,
    DailyActivity,
    DailyEscalation,
    HeldDailyActivity,
    RollupState,
    TicketFacts,
)
from .rollups import desk_zone

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class DashboardFigures:
    frt: TimeFigure
    resolution: TimeFigure
    volume: Volume
    responsiveness: Responsiveness
    compliance: list[Compliance]
    backlog: metrics.Backlog
    escalations: list[metrics.Escalation]
    heatmap: list[list[int]]
    agents: list[GroupRow] = field(default_factory=list)
    teams: list[GroupRow] = field(default_factory=list)
    from_rollup: bool = True


def rollup_answers(filters: MetricFilters) -> bool:
    """Whether the rollups can answer: they have been built (by the rebuild command, or the
    first periodic refresh on a new desk), the range is whole days and no organization is asked
    for."""
    tz = desk_zone()

    def midnight(moment: datetime) -> bool:
        return moment.astimezone(tz).timetz().replace(tzinfo=None) == time.min

    return (
        filters.organization is None
        and midnight(filters.start)
        and midnight(filters.end)
        and RollupState.objects.filter(name=CATCH_UP).exists()
    )


def _narrow(rows: QuerySet, filters: MetricFilters) -> QuerySet:
    if filters.team_ids is not None:
        rows = rows.filter(team_id__in=list(filters.team_ids))
    narrowing = {
        "team_id": filters.team,
        "tier": filters.tier,
        "assignee_id": filters.agent,
        "channel": filters.channel,
        "segment": filters.segment,
    }
    return rows.filter(**{k: v for k, v in narrowing.items() if v not in (None, "")})


def _days(filters: MetricFilters) -> tuple:
    tz = desk_zone()
    return filters.start.astimezone(tz).date(), filters.end.astimezone(tz).date()


def _time_figures(
    rows: QuerySet, columns: dict[str, tuple[str, str]], fractions=(0.5, 0.9), **extra
) -> tuple:
    """Count, average and the two percentiles (`fractions`: median and p90) of each column (None
    ignored), and the `extra` aggregates: one query on PostgreSQL; elsewhere
    sla.metrics.percentiles' few more per column."""
    aggregates = {}
    for name, (column, _kind) in columns.items():
        aggregates[f"{name}_n"] = Count(column)
        aggregates[f"{name}_avg"] = Avg(column)
        if connection.vendor == "postgresql":
            aggregates[f"{name}_p50"] = PercentileCont(column, fractions[0])
            aggregates[f"{name}_p90"] = PercentileCont(column, fractions[1])
    row = rows.aggregate(**aggregates, **extra)
    figures = {}
    for name, (column, kind) in columns.items():
        n = row[f"{name}_n"]
        if connection.vendor == "postgresql" or not n:
            p50, p90 = row.get(f"{name}_p50"), row.get(f"{name}_p90")
        else:
            p50, p90 = metrics.percentiles(rows, F(column), list(fractions))
        figures[name] = Duration(
            median=p50, p90=p90, average=row[f"{name}_avg"], count=n, kind=kind
        )
    return figures, row


def grouped(rows: QuerySet, sets: dict[str, tuple[str, ...]], **measures) -> dict[str, list]:
    """Rows counted and summed by several groupings at once: {set name: [(keys..., measures...)]}.
    One scan with GROUPING SETS on PostgreSQL, one grouped query per set elsewhere. `measures`
    are ("count", column or "*") or ("sum", column)."""
    if connection.vendor != "postgresql":
        orm = {
            name: Count("pk") if column == "*" else (Count if how == "count" else Sum)(column)
            for name, (how, column) in measures.items()
        }
        return {
            name: list(rows.order_by().values_list(*keys).annotate(**orm))
            for name, keys in sets.items()
        }
    q = connection.ops.quote_name
    columns = sorted({column for keys in sets.values() for column in keys})
    sources = sorted({c for _how, c in measures.values() if c != "*"})
    inner, params = rows.order_by().values_list(*columns, *sources).query.sql_with_params()
    aggregates = ", ".join(
        f"{how}({'*' if column == '*' else q(column)})" for how, column in measures.values()
    )
    flags = ", ".join(q(c) for c in columns)
    group_sets = ", ".join("(" + ", ".join(q(c) for c in keys) + ")" for keys in sets.values())
    sql = (
        f"SELECT GROUPING({flags}), {flags}, {aggregates} FROM ({inner}) f "  # noqa: S608
        f"GROUP BY GROUPING SETS ({group_sets})"
    )
    result: dict[str, list] = {name: [] for name in sets}
    # GROUPING() has one bit per column, the first column the highest; 0 where it is grouped.
    masks = {
        sum(1 << (len(columns) - 1 - i) for i, c in enumerate(columns) if c not in keys): name
        for name, keys in sets.items()
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for flag, *values in cursor.fetchall():
            name = masks[flag]
            by_column = dict(zip(columns, values[: len(columns)], strict=True))
            result[name].append((*(by_column[c] for c in sets[name]), *values[len(columns) :]))
    return result


def dashboard_figures(filters: MetricFilters, *, now: datetime) -> DashboardFigures:
    if not rollup_answers(filters):
        return _live(filters, now=now)
    if connection.vendor != "postgresql" or together.in_parallel():
        return _rolled_up(filters, now=now)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(together.WORK_MEM)
        return _rolled_up(filters, now=now)


def _live(filters: MetricFilters, *, now: datetime) -> DashboardFigures:
    return DashboardFigures(
        frt=metrics.first_response_time(filters),
        resolution=metrics.resolution_time(filters),
        volume=metrics.volume(filters),
        responsiveness=metrics.responsiveness(filters),
        compliance=metrics.sla_compliance(filters),
        backlog=metrics.backlog(filters, now=now),
        escalations=metrics.escalations(filters),
        heatmap=metrics.volume_heatmap(filters),
        agents=metrics.figures_by(filters, group="assignee"),
        teams=metrics.figures_by(filters, group="team"),
        from_rollup=False,
    )


def _rolled_up(filters: MetricFilters, *, now: datetime) -> DashboardFigures:
    facts = _narrow(TicketFacts.objects.all(), filters)
    created = facts.filter(created_at__gte=filters.start, created_at__lt=filters.end)
    solved = facts.filter(solved_at__gte=filters.start, solved_at__lt=filters.end)
    wall, business = metrics.WALL_CLOCK, BUSINESS
    # The scans of the range's tickets (sorts and groupings: most of the page's time) and of the
    # agents' activity start at once on connections of their own (manager.together) while this
    # one reads the rest.
    reads = together.Reads(
        frt=lambda: _time_figures(
            created,
            {
                "wall": ("first_response_seconds", wall),
                "business": ("first_response_business", business),
            },
        )[0],
        res=lambda: _time_figures(
            solved,
            {"wall": ("resolution_seconds", wall), "business": ("resolution_business", business)},
            solved=Count("pk"),
            fcr=Count("pk", filter=Q(replies=1, reopen_count=0)),
            inbound=Sum("inbound"),
        ),
        by_created=lambda: grouped(
            created,
            {
                "groups": ("team_id", "assignee_id"),
                "day": ("created_day",),
                "slot": ("created_slot",),
            },
            n=("count", "*"),
            s=("sum", "first_response_seconds"),
            c=("count", "first_response_seconds"),
        ),
        by_solved=lambda: grouped(
            solved,
            {"groups": ("team_id", "assignee_id"), "day": ("solved_day",)},
            n=("count", "*"),
            s=("sum", "resolution_seconds"),
        ),
        agents=lambda: _agent_activity(filters),
    )
    conversations = facts.filter(
        last_message_at__gte=filters.start, first_message_at__lt=filters.end
    ).count()
    first_day, end_day = _days(filters)
    # One agent's: the rows per assignee; otherwise their sum, a fraction of the rows.
    model = DailyActivity if filters.agent is None else HeldDailyActivity
    activity = _narrow(model.objects.filter(day__gte=first_day, day__lt=end_day), filters)
    sums = {
        name: Sum(name)
        for name in (
            "replies", "inbound", "contact_gaps", "responses", "response_business_n",
            *(f"{kind}_{target}" for kind in ("met", "missed") for target in Target.values),
        )
    }  # fmt: skip
    for name in ("contact_gap_seconds", "response_business_sum", "response_wall_sum"):
        sums[name] = Sum(name, output_field=FloatField())
    totals = {k: v or 0 for k, v in activity.aggregate(**sums).items()}
    backlog = _backlog(filters, facts.filter(is_open=True), now=now)
    escalations = _escalations(filters)
    group_reads = _group_reads(filters, facts.filter(is_open=True), activity)

    res, solved_row = reads["res"]
    volume = Volume(
        solved=solved_row["solved"],
        first_contact_resolved=solved_row["fcr"],
        inbound_on_solved=solved_row["inbound"] or 0,
        conversations=conversations,
        replies=totals["replies"],
    )
    by_created, by_solved = reads["by_created"], reads["by_solved"]
    days: dict = {}
    for column, rows in enumerate((by_created["day"], by_solved["day"])):
        for day_, n, *_sums in rows:
            days.setdefault(day_, [0, 0])[column] = n
    volume.created = sum(c for c, _s in days.values())
    volume.per_day = [(day, c, s) for day, (c, s) in sorted(days.items())]
    responsiveness = Responsiveness(
        response_business=(
            totals["response_business_sum"] / totals["response_business_n"]
            if totals["response_business_n"]
            else None
        ),
        response_wall_clock=(
            totals["response_wall_sum"] / totals["responses"] if totals["responses"] else None
        ),
        responses=totals["responses"],
        between_contacts=(
            totals["contact_gap_seconds"] / totals["contact_gaps"]
            if totals["contact_gaps"]
            else None
        ),
    )
    compliance = [
        Compliance(target=t, met=totals[f"met_{t}"], missed=totals[f"missed_{t}"])
        for t in Target.values
    ]
    group_reads["agent"] = reads["agents"]
    agents, teams = _groups(group_reads, by_created["groups"], by_solved["groups"])
    frt = reads["frt"]
    return DashboardFigures(
        frt=TimeFigure(wall_clock=frt["wall"], business=frt["business"]),
        resolution=TimeFigure(wall_clock=res["wall"], business=res["business"]),
        volume=volume,
        responsiveness=responsiveness,
        compliance=compliance,
        backlog=backlog,
        escalations=escalations,
        heatmap=_heatmap(by_created["slot"]),
        agents=agents,
        teams=teams,
    )


def _escalations(filters: MetricFilters, limit: int = 20) -> list[metrics.Escalation]:
    first_day, end_day = _days(filters)
    rows = (
        _narrow(DailyEscalation.objects.filter(day__gte=first_day, day__lt=end_day), filters)
        .order_by()
        .values("from_tier", "to_tier", "reason")
        .annotate(n=Sum("count"))
        .order_by("-n", "from_tier", "reason")[:limit]
    )
    return [
        metrics.Escalation(
            from_tier=row["from_tier"], to_tier=row["to_tier"], reason=row["reason"], count=row["n"]
        )
        for row in rows
    ]


def _heatmap(slots: list) -> list[list[int]]:
    grid = [[0] * 24 for _ in range(7)]
    for slot, n, *_sums in slots:
        grid[slot // 24][slot % 24] = n
    return grid


def _backlog(filters: MetricFilters, open_facts: QuerySet, *, now: datetime) -> metrics.Backlog:
    """Open tickets now: how many and how old from the rollup (as fresh as its last refresh),
    how many overdue from the tickets themselves (the SLA timer moves that every few seconds).
    The ages' figures are now minus those of the creation times (the median's, the average's;
    the oldest tenth's for p90): sorting the times as the index holds them, not ages computed
    row by row."""
    born = Seconds(F("created_at"), Value(EPOCH, output_field=DateTimeField()))
    figures, _row = _time_figures(
        open_facts.annotate(born=born), {"born": ("born", WALL_CLOCK)}, fractions=(0.5, 0.1)
    )
    times, at = figures["born"], (now - EPOCH).total_seconds()
    age = Duration(
        median=None if times.median is None else at - times.median,
        p90=None if times.p90 is None else at - times.p90,
        average=None if times.average is None else at - times.average,
        count=times.count,
        kind=WALL_CLOCK,
    )
    overdue = filters.tickets().filter(status__in=metrics.OPEN_STATUSES, sla_due_at__lt=now).count()
    return metrics.Backlog(open=age.count, age=age, overdue=overdue)


def _group_reads(filters: MetricFilters, open_facts: QuerySet, activity: QuerySet) -> dict:
    """What the per-agent and per-team tables read besides the range's tickets: the open
    tickets by (team, assignee), the teams' daily activity."""
    met = sum(F(f"met_{t}") for t in Target.values)
    missed = sum(F(f"missed_{t}") for t in Target.values)
    # COUNT(*), not of the key: the partial index holds every column read (an index-only scan).
    return {
        "open": list(
            open_facts.order_by().values_list("team_id", "assignee_id").annotate(n=Count("*"))
        ),
        "team": list(
            activity.order_by()
            .values_list("team_id")
            .annotate(r=Sum("replies"), met=Sum(met), missed=Sum(missed))
        ),
    }


def _agent_activity(filters: MetricFilters) -> list:
    """The per-agent table's replies written and clocks met and missed (a few thousand rows a
    day: the agents' share of the page's reads)."""
    first_day, end_day = _days(filters)
    agents = _narrow(
        AgentDailyActivity.objects.filter(day__gte=first_day, day__lt=end_day), filters
    )
    return list(
        agents.order_by()
        .values_list("agent_id")
        .annotate(r=Sum("replies"), met=Sum("met"), missed=Sum("missed"))
    )


def _groups(reads: dict, created: list, solved: list) -> tuple[list[GroupRow], list[GroupRow]]:
    """The per-agent and per-team tables together: the open tickets and the tickets' facts
    grouped by (team, assignee) and folded twice in Python (a few hundred rows), then each
    table's own daily activity."""
    tables: dict[str, dict] = {"assignee": {}, "team": {}}

    def add(group: str, key, **values) -> None:
        row = tables[group].setdefault(key, GroupRow(key=key))
        for name, value in values.items():
            setattr(row, name, (getattr(row, name) or 0) + value)

    for team, assignee, n in reads["open"]:
        add("assignee", assignee, workload=n)
        add("team", team, workload=n)
    sums: dict[tuple, list] = {}
    for team, assignee, _n, frt_sum, frt_n in created:
        for group, key in (("assignee", assignee), ("team", team)):
            tables[group].setdefault(key, GroupRow(key=key))
            total = sums.setdefault((group, "first_response", key), [0.0, 0])
            total[0] += frt_sum or 0
            total[1] += frt_n
    for team, assignee, n, res_sum in solved:
        for group, key in (("assignee", assignee), ("team", team)):
            add(group, key, solved=n)
            total = sums.setdefault((group, "resolution", key), [0.0, 0])
            total[0] += res_sum or 0
            total[1] += n
    for (group, attribute, key), (total, n) in sums.items():
        if n:
            row = tables[group].setdefault(key, GroupRow(key=key))
            setattr(row, attribute, total / n)
    for group, rows in (("team", reads["team"]), ("assignee", reads["agent"])):
        for key, replies, met_n, missed_n in rows:
            if replies:
                add(group, key, replies=replies)
            if met_n or missed_n:
                add(group, key, met=met_n, missed=missed_n)
    return list(tables["assignee"].values()), list(tables["team"].values())
