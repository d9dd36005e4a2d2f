"""Business-time arithmetic: opening hours per weekday in a time zone, minus holidays.

Everything is computed on UTC instants built from local wall-clock times, so a day with a daylight
saving change has the real number of hours and no clock "jumps" count twice. The loops walk one
day at a time (never minute by minute): adding ten business days costs a few dozen steps.
"""

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.utils.translation import gettext

MINUTES_PER_DAY = 24 * 60
WEEKDAYS = 7
# A calendar open so rarely that this many days hold no business time is a configuration error.
MAX_DAYS = 3 * 366
ZERO = timedelta(0)

Interval = tuple[int, int]  # minutes since local midnight: start inclusive, end exclusive (<= 1440)
WeeklyHours = tuple[tuple[Interval, ...], ...]  # Monday first, seven entries


class CalendarError(ValueError):
    pass


def parse_clock(text: str) -> int:
    """ "08:30" -> 510 minutes; "24:00" is the end of the day."""
    try:
        hours, minutes = (int(part) for part in text.strip().split(":"))
    except ValueError as exc:
        raise CalendarError(_not_a_time(text)) from exc
    if not (0 <= minutes < 60 and 0 <= hours <= 24) or (hours == 24 and minutes):
        raise CalendarError(_not_a_time(text))
    return hours * 60 + minutes


def _not_a_time(text: str) -> str:
    return gettext("“%(text)s” is not a time of day (HH:MM).") % {"text": text}


def format_clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_weekly_hours(raw: Sequence[Sequence[Sequence[str]]]) -> WeeklyHours:
    """[[["08:00", "12:00"], ["13:00", "18:00"]], ...] (Monday first) -> sorted minute intervals.
    Intervals of one day must not overlap; a night shift is two intervals on two days."""
    if len(raw) != WEEKDAYS:
        raise CalendarError(gettext("Weekly hours need seven days, Monday first."))
    week = []
    for day in raw:
        intervals = sorted((parse_clock(start), parse_clock(end)) for start, end in day)
        for start, end in intervals:
            if start >= end:
                raise CalendarError(
                    gettext("%(start)s–%(end)s ends before it starts.")
                    % {"start": format_clock(start), "end": format_clock(end)}
                )
        for (_, end), (next_start, _) in itertools.pairwise(intervals):
            if next_start < end:
                raise CalendarError(gettext("Intervals of one day overlap."))
        week.append(tuple(intervals))
    return tuple(week)


def format_weekly_hours(week: WeeklyHours) -> list[list[list[str]]]:
    return [[[format_clock(s), format_clock(e)] for s, e in day] for day in week]


ALWAYS_OPEN: WeeklyHours = tuple(((0, MINUTES_PER_DAY),) for _ in range(WEEKDAYS))


@lru_cache(maxsize=256)
def _public_holidays(country: str, subdivision: str, year: int) -> frozenset[date]:
    return frozenset(
        holidays.country_holidays(country, subdiv=subdivision or None, years=year).keys()
    )


@lru_cache(maxsize=256)
def _optional_holidays(country: str, subdivision: str, year: int) -> tuple[tuple[date, str], ...]:
    """(date, English name) of the optional days off (in Brazil: Carnival, Corpus Christi...)."""
    found = holidays.country_holidays(
        country, subdiv=subdivision or None, years=year, categories=("optional",), language="en_US"
    )
    return tuple((day, name) for day in sorted(found) for name in found.get_list(day))


def optional_holiday_names(country: str, subdivision: str = "", year: int = 2026) -> list[str]:
    """The names a calendar may pick to close on, besides the public holidays."""
    if not country:
        return []
    return sorted({name for _, name in _optional_holidays(country, subdivision, year)})


def holiday_names(
    country: str, subdivision: str, start: date, end: date, language: str | None = None
) -> dict[date, str]:
    """Public holidays between two dates with their names, in a language the library knows
    ("pt_BR", "en_US"), for people to check a calendar."""
    if not country:
        return {}
    found = holidays.country_holidays(
        country,
        subdiv=subdivision or None,
        years=range(start.year, end.year + 1),
        language=language,
    )
    return {day: name for day, name in sorted(found.items()) if start <= day <= end}


@dataclass(frozen=True)
class ClosedDays:
    """Days with no business at all: a country's (and state's) public holidays, the optional
    days off the company chose by name, and its own extra dates."""

    country: str = ""
    subdivision: str = ""
    optional: frozenset[str] = frozenset()
    extra: frozenset[date] = frozenset()
    _years: dict[int, frozenset[date]] = field(default_factory=dict, compare=False, repr=False)

    def of_year(self, year: int) -> frozenset[date]:
        days = self._years.get(year)
        if days is None:
            days = {day for day in self.extra if day.year == year}
            if self.country:
                days |= _public_holidays(self.country, self.subdivision, year)
                if self.optional:
                    days |= {
                        day
                        for day, name in _optional_holidays(self.country, self.subdivision, year)
                        if name in self.optional
                    }
            days = frozenset(days)
            self._years[year] = days
        return days

    def __contains__(self, day: date) -> bool:
        return day in self.of_year(day.year)

    @property
    def none(self) -> bool:
        return not (self.country or self.extra)


class BusinessHours:
    """Opening hours in a time zone, minus closed days. All inputs and outputs are aware
    datetimes; results are in UTC."""

    def __init__(
        self,
        *,
        time_zone: str | ZoneInfo,
        weekly: WeeklyHours = ALWAYS_OPEN,
        closed: ClosedDays | None = None,
    ):
        self.tz = time_zone if isinstance(time_zone, ZoneInfo) else ZoneInfo(time_zone)
        self.weekly = weekly
        self.closed = closed or ClosedDays()
        if not any(self.weekly):
            raise CalendarError(gettext("A calendar needs opening hours on at least one weekday."))
        self.always_open = weekly == ALWAYS_OPEN and self.closed.none
        self._weekly_minutes = [sum(end - start for start, end in day) for day in weekly]
        # Tickets of the same weeks ask about the same days over and over.
        self.spans = lru_cache(maxsize=4096)(self._spans)

    # -- the day by day walk ---------------------------------------------------------------
    def _instant(self, day: date, minute: int) -> datetime:
        if minute >= MINUTES_PER_DAY:
            day, minute = day + timedelta(days=1), minute - MINUTES_PER_DAY
        local = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=self.tz)
        return local.astimezone(UTC)

    def _spans(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The open intervals of a local date, as UTC instants (empty on a closed day)."""
        intervals = self.weekly[day.weekday()]
        if not intervals or day in self.closed:
            return ()
        found = []
        for start, end in intervals:
            opens, closes = self._instant(day, start), self._instant(day, end)
            if closes > opens:  # an interval swallowed by a daylight saving gap is no time
                found.append((opens, closes))
        return tuple(found)

    def _days_from(self, moment: datetime) -> Iterable[date]:
        day = moment.astimezone(self.tz).date()
        for _ in range(MAX_DAYS):
            yield day
            day += timedelta(days=1)
        raise CalendarError(gettext("No business hours in %(days)d days.") % {"days": MAX_DAYS})

    # -- the arithmetic ----------------------------------------------------------------------
    def add(self, start: datetime, amount: timedelta) -> datetime:
        """The instant when `amount` of business time has passed since `start`."""
        start = _aware_utc(start)
        if amount <= ZERO:
            return start
        if self.always_open:
            return start + amount
        left = amount
        for day in self._days_from(start):
            if not self._weekly_minutes[day.weekday()]:
                continue
            for opens, closes in self.spans(day):
                if closes <= start:
                    continue
                opens = max(opens, start)
                if left <= closes - opens:
                    return opens + left
                left -= closes - opens
        raise AssertionError("unreachable")  # pragma: no cover

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Business time from `a` to `b` (zero when `b` is not after `a`)."""
        a, b = _aware_utc(a), _aware_utc(b)
        if b <= a:
            return ZERO
        if self.always_open:
            return b - a
        total = ZERO
        first_day, last_day = a.astimezone(self.tz).date(), b.astimezone(self.tz).date()
        for offset in range((last_day - first_day).days + 1):
            for opens, closes in self.spans(first_day + timedelta(days=offset)):
                opens, closes = max(opens, a), min(closes, b)
                if closes > opens:
                    total += closes - opens
        return total

    def is_open(self, moment: datetime) -> bool:
        moment = _aware_utc(moment)
        day = moment.astimezone(self.tz).date()
        return any(opens <= moment < closes for opens, closes in self.spans(day))

    def next_opening(self, moment: datetime) -> datetime:
        """`moment` itself when open, else when business resumes."""
        moment = _aware_utc(moment)
        for day in self._days_from(moment):
            for opens, closes in self.spans(day):
                if closes > moment:
                    return max(opens, moment)
        raise AssertionError("unreachable")  # pragma: no cover


def _aware_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise CalendarError("business-time arithmetic needs aware datetimes")  # a bug, not input
    return moment.astimezone(UTC)
