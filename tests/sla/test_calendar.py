"""Business-time arithmetic: nights, weekends, Brazilian holidays, time zones with and without
daylight saving, and speed."""

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla.calendar import (
    ALWAYS_OPEN,
    BusinessHours,
    CalendarError,
    ClosedDays,
    parse_weekly_hours,
)
from sla.models import WORKDAYS_8_TO_18
from tests.sla.conftest import sp
from tests.sla.factories import BusinessCalendarFactory

H = timedelta(hours=1)
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS = parse_weekly_hours(WORKDAYS_8_TO_18)


def brazil(subdivision: str = "", optional=(), extra=()) -> BusinessHours:
    return BusinessHours(
        time_zone="America/Sao_Paulo",
        weekly=WEEKDAYS,
        closed=ClosedDays(
            country="BR",
            subdivision=subdivision,
            optional=frozenset(optional),
            extra=frozenset(extra),
        ),
    )


def ny(dt_args, **kwargs) -> datetime:
    return datetime(*dt_args, tzinfo=NEW_YORK, **kwargs)


# -- adding business time --------------------------------------------------------------------
def test_adding_within_the_day_stays_on_the_day():
    assert brazil().add(sp(2026, 11, 16, 9, 0), 4 * H) == sp(2026, 11, 16, 13, 0)


def test_adding_past_closing_time_continues_next_morning():
    assert brazil().add(sp(2026, 11, 16, 16, 0), 4 * H) == sp(2026, 11, 17, 10, 0)


def test_adding_on_friday_afternoon_continues_on_monday():
    assert brazil().add(sp(2026, 11, 13, 16, 0), 4 * H) == sp(2026, 11, 16, 10, 0)


def test_national_holiday_consciencia_negra_is_skipped():
    # Friday 20 November 2026 is the Dia Nacional de Zumbi e da Consciência Negra.
    assert brazil().add(sp(2026, 11, 19, 16, 0), 4 * H) == sp(2026, 11, 23, 10, 0)


def test_christmas_is_skipped_but_christmas_eve_is_a_working_day():
    assert brazil().add(sp(2026, 12, 24, 16, 0), 4 * H) == sp(2026, 12, 28, 10, 0)


def test_optional_days_off_count_only_when_chosen():
    friday = sp(2026, 2, 13, 16, 0)  # Carnival: Monday 16 and Tuesday 17 February 2026
    assert brazil().add(friday, 4 * H) == sp(2026, 2, 16, 10, 0)
    assert brazil(optional={"Carnival"}).add(friday, 4 * H) == sp(2026, 2, 18, 10, 0)


def test_state_holidays_need_the_state():
    # 9 July, Revolução Constitucionalista: a holiday in the state of São Paulo only.
    assert brazil().add(sp(2026, 7, 8, 16, 0), 4 * H) == sp(2026, 7, 9, 10, 0)
    assert brazil("SP").add(sp(2026, 7, 8, 16, 0), 4 * H) == sp(2026, 7, 10, 10, 0)


def test_company_closed_dates_are_skipped():
    hours = brazil(extra={date(2026, 11, 17)})
    assert hours.add(sp(2026, 11, 16, 16, 0), 4 * H) == sp(2026, 11, 18, 10, 0)


def test_starting_while_closed_counts_from_the_next_opening():
    saturday_night = sp(2026, 11, 14, 3, 0)
    assert brazil().add(saturday_night, H) == sp(2026, 11, 16, 9, 0)
    assert brazil().next_opening(saturday_night) == sp(2026, 11, 16, 8, 0)


def test_lunch_break_is_not_business_time():
    hours = BusinessHours(
        time_zone="America/Sao_Paulo",
        weekly=parse_weekly_hours([[["08:00", "12:00"], ["13:00", "18:00"]]] * 5 + [[], []]),
    )
    assert hours.add(sp(2026, 11, 16, 11, 0), 2 * H) == sp(2026, 11, 16, 14, 0)


def test_results_are_utc_instants():
    due = brazil().add(sp(2026, 11, 16, 9, 0), H)
    assert due.tzinfo is UTC
    assert due == datetime(2026, 11, 16, 13, 0, tzinfo=UTC)


def test_naive_datetimes_are_refused():
    with pytest.raises(CalendarError):
        brazil().add(datetime(2026, 11, 16, 9, 0), H)


# -- measuring business time -----------------------------------------------------------------
def test_between_over_a_weekend_counts_only_open_hours():
    assert brazil().between(sp(2026, 11, 13, 17, 0), sp(2026, 11, 16, 9, 0)) == 2 * H


def test_between_over_a_holiday_counts_nothing_for_it():
    assert brazil().between(sp(2026, 11, 19, 8, 0), sp(2026, 11, 23, 8, 0)) == 10 * H


def test_between_backwards_is_zero():
    assert brazil().between(sp(2026, 11, 16, 12, 0), sp(2026, 11, 16, 9, 0)) == timedelta(0)


def test_adding_then_measuring_gives_back_the_amount():
    hours = brazil("SP", optional={"Carnival"})
    rng = random.Random(7)
    for _ in range(300):
        start = sp(2026, 1, 1, 0, 0) + timedelta(minutes=rng.randrange(0, 365 * 24 * 60))
        amount = timedelta(minutes=rng.randrange(1, 20 * 10 * 60))
        assert hours.between(start, hours.add(start, amount)) == amount


# -- time zones ------------------------------------------------------------------------------
def test_sao_paulo_has_no_daylight_saving_any_more():
    # The first Sunday of November started daylight saving time until 2018; not since 2019.
    all_day = BusinessHours(time_zone="America/Sao_Paulo", closed=ClosedDays(country="BR"))
    assert all_day.between(sp(2026, 11, 1, 0, 0), sp(2026, 11, 2, 0, 0)) == 24 * H
    assert all_day.between(sp(2018, 11, 4, 0, 0), sp(2018, 11, 5, 0, 0)) == 23 * H


def test_a_day_with_daylight_saving_change_has_its_real_length():
    # A holiday country forces the day-by-day walk over an all-day calendar.
    all_day = BusinessHours(time_zone=NEW_YORK, weekly=ALWAYS_OPEN, closed=ClosedDays("US"))
    assert all_day.between(ny((2026, 3, 8)), ny((2026, 3, 9))) == 23 * H
    assert all_day.between(ny((2026, 11, 1)), ny((2026, 11, 2))) == 25 * H
    assert all_day.add(ny((2026, 3, 7, 12, 0)), 24 * H) == ny((2026, 3, 8, 13, 0))


def test_opening_hours_follow_the_wall_clock_across_daylight_saving():
    hours = BusinessHours(time_zone=NEW_YORK, weekly=WEEKDAYS, closed=ClosedDays("US"))
    # Friday 17:00 EST + 2 h -> Monday 09:00 EDT (the clocks moved on Sunday).
    due = hours.add(ny((2026, 3, 6, 17, 0)), 2 * H)
    assert due == ny((2026, 3, 9, 9, 0))
    assert due == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)


def test_hours_inside_the_spring_forward_gap_do_not_exist():
    sunday_2_to_3 = parse_weekly_hours([[]] * 6 + [[["02:00", "03:00"]]])
    hours = BusinessHours(time_zone=NEW_YORK, weekly=sunday_2_to_3)
    assert hours.spans(date(2026, 3, 8)) == ()
    assert len(hours.spans(date(2026, 3, 15))) == 1


def test_a_24x7_calendar_is_plain_elapsed_time():
    always = BusinessHours(time_zone="America/Sao_Paulo")
    assert always.always_open
    start = sp(2026, 11, 20, 23, 0)
    assert always.add(start, 10 * 24 * H) == start + 10 * 24 * H
    assert always.between(start, start + 5 * H) == 5 * H


# -- rules -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "week",
    [
        [[["09:00", "08:00"]]] + [[]] * 6,  # ends before it starts
        [[["08:00", "12:00"], ["11:00", "13:00"]]] + [[]] * 6,  # overlap
        [[["8h", "12:00"]]] + [[]] * 6,  # not a time
        [[["08:00", "24:30"]]] + [[]] * 6,  # past midnight
        [[]] * 6,  # six days
    ],
)
def test_bad_weekly_hours_are_refused(week):
    with pytest.raises(CalendarError):
        parse_weekly_hours(week)


def test_a_calendar_never_open_is_refused():
    with pytest.raises(CalendarError):
        BusinessHours(time_zone="America/Sao_Paulo", weekly=((),) * 7)


# -- the model ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_calendar_model_adds_and_measures_in_minutes():
    calendar = BusinessCalendarFactory()
    assert calendar.add_business_time(sp(2026, 11, 19, 17, 0), 120) == sp(2026, 11, 23, 9, 0)
    assert calendar.business_minutes_between(sp(2026, 11, 19, 17, 0), sp(2026, 11, 23, 9, 0)) == 120


@pytest.mark.django_db
def test_a_saved_change_of_hours_is_used_at_once():
    calendar = BusinessCalendarFactory()
    assert calendar.add_business_time(sp(2026, 11, 16, 17, 0), 120) == sp(2026, 11, 17, 9, 0)
    calendar.weekly_hours = [[["08:00", "20:00"]]] * 5 + [[], []]
    calendar.save()
    assert calendar.add_business_time(sp(2026, 11, 16, 17, 0), 120) == sp(2026, 11, 16, 19, 0)
