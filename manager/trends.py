"""The trend detector: new tickets per channel and per tag in one hour, against the same hour
of the previous weeks (so that a Monday-morning peak that comes every week is no news). Two
grouped queries whatever the volume."""

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Case, Count, IntegerField, Q, Value, When

from tickets.models import Ticket

WEEK = timedelta(days=7)
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Rise:
    dimension: str
    value: str
    count: int
    baseline: float
    weeks: int


@dataclass(frozen=True)
class Thresholds:
    weeks: int = 4  # the baseline: the same hour in these many previous weeks
    min_count: int = 5  # fewer new tickets than this is never a trend
    ratio: float = 2.0  # at least this many times the baseline
    deviations: float = 3.0  # and this many standard deviations above it


def _counts(window_start: datetime, weeks: int, column: str) -> dict[str, list[int]]:
    """Per value of `column`: new tickets in the hour, then in the same hour 1..weeks ago."""
    starts = [window_start - week * WEEK for week in range(weeks + 1)]
    which = Case(
        *(
            When(created_at__gte=start, created_at__lt=start + HOUR, then=Value(index))
            for index, start in enumerate(starts)
        ),
        output_field=IntegerField(),
    )
    in_any = Q()
    for start in starts:
        in_any |= Q(created_at__gte=start, created_at__lt=start + HOUR)
    rows = (
        Ticket.objects.filter(in_any)
        .exclude(**{f"{column}__isnull": True})
        .annotate(week=which)
        .order_by()
        .values_list(column, "week")
        .annotate(n=Count("pk"))
    )
    counts: dict[str, list[int]] = {}
    for value, week, n in rows:
        counts.setdefault(value, [0] * (weeks + 1))[week] = n
    return counts


def rises(*, window_start: datetime, thresholds: Thresholds = Thresholds()) -> list[Rise]:
    """The channels and tags whose new tickets in [window_start, +1 h) rose unusually: at least
    `min_count`, `ratio` times their baseline and `deviations` standard deviations above it."""
    found = []
    for dimension, column in (("channel", "channel"), ("tag", "tags__name")):
        for value, (now, *before) in _counts(window_start, thresholds.weeks, column).items():
            baseline = statistics.fmean(before)
            spread = statistics.pstdev(before)
            needed = max(
                thresholds.min_count,
                math.ceil(baseline * thresholds.ratio),
                baseline + thresholds.deviations * max(spread, 1.0),
            )
            if now >= needed:
                found.append(Rise(dimension, value, now, baseline, thresholds.weeks))
    return found
