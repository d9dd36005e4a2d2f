"""The business calendar form: opening hours typed per weekday ("08:00-12:00, 13:00-18:00"),
holidays chosen by country and state, the company's own closed dates one per line."""

import re
import zoneinfo
from datetime import date

import holidays
from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .calendar import CalendarError, optional_holiday_names, parse_weekly_hours
from .models import BusinessCalendar

WEEKDAY_LABELS = [
    _("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"),
    _("Sunday"),
]  # fmt: skip
INTERVAL = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})\s*$")
CLOSED_DATE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*(.*)$")


def _day_text(intervals: list) -> str:
    return ", ".join(f"{start}-{end}" for start, end in intervals)


def _parse_day(text: str) -> list[list[str]]:
    intervals = []
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        match = INTERVAL.match(part)
        if not match:
            raise forms.ValidationError(
                gettext("“%(part)s” is not an interval such as 08:00-18:00.") % {"part": part}
            )
        intervals.append([match.group(1).zfill(5), match.group(2).zfill(5)])
    return intervals


def _day_field(index: int) -> forms.CharField:
    return forms.CharField(
        label=WEEKDAY_LABELS[index],
        required=False,
        help_text=_("e.g. 08:00-12:00, 13:00-18:00; empty: closed; 00:00-24:00: all day")
        if index == 0
        else "",
    )


class BusinessCalendarForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("time zone"))
    day_0, day_1, day_2, day_3 = _day_field(0), _day_field(1), _day_field(2), _day_field(3)
    day_4, day_5, day_6 = _day_field(4), _day_field(5), _day_field(6)
    closed_dates_text = forms.CharField(
        label=_("other closed dates"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "2026-12-24 Véspera de Natal"}),
        help_text=_("One per line: the date (YYYY-MM-DD), then what it is."),
    )
    optional_holidays = forms.MultipleChoiceField(
        label=_("also closed on"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Optional days off of the country's calendar that the company observes."),
    )

    class Meta:
        model = BusinessCalendar
        fields = ["name", "time_zone", "holiday_country", "holiday_subdivision"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        calendar = self.instance
        zones = sorted(zoneinfo.available_timezones())
        self.fields["time_zone"].choices = [(zone, zone) for zone in zones]
        self.fields["time_zone"].initial = calendar.time_zone
        weekly = calendar.weekly_hours or [[] for _ in WEEKDAY_LABELS]
        for index, name in enumerate(self.weekday_fields):
            self.fields[name].initial = _day_text(weekly[index])
        country = self.data.get(self.add_prefix("holiday_country"), calendar.holiday_country)
        subdivision = self.data.get(
            self.add_prefix("holiday_subdivision"), calendar.holiday_subdivision
        )
        names = _optional_names((country or "").upper(), subdivision or "")
        self.fields["optional_holidays"].choices = [(name, name) for name in names]
        self.fields["optional_holidays"].initial = calendar.optional_holidays
        self.fields["closed_dates_text"].initial = "\n".join(
            f"{entry['date']} {entry.get('name', '')}".strip() for entry in calendar.closed_dates
        )

    @property
    def weekday_fields(self) -> list[str]:
        return [f"day_{index}" for index in range(len(WEEKDAY_LABELS))]

    def clean_holiday_country(self) -> str:
        country = self.cleaned_data["holiday_country"].strip().upper()
        if country and country not in holidays.list_supported_countries():
            raise forms.ValidationError(gettext("No holiday calendar for this country."))
        return country

    def clean_closed_dates_text(self) -> list[dict[str, str]]:
        entries = []
        for line in filter(str.strip, self.cleaned_data["closed_dates_text"].splitlines()):
            match = CLOSED_DATE.match(line)
            try:
                day = date.fromisoformat(match.group(1)) if match else None
            except ValueError:
                day = None
            if day is None:
                raise forms.ValidationError(
                    gettext("“%(line)s”: start the line with a date as 2026-12-24.")
                    % {"line": line.strip()}
                )
            entries.append({"date": day.isoformat(), "name": match.group(2).strip()})
        return sorted(entries, key=lambda entry: entry["date"])

    def clean(self):
        cleaned = super().clean()
        country = cleaned.get("holiday_country", "")
        subdivision = cleaned.get("holiday_subdivision", "").strip()
        if country and subdivision:
            known = holidays.list_supported_countries().get(country, [])
            if subdivision not in known:
                self.add_error(
                    "holiday_subdivision",
                    gettext("Unknown state for %(country)s; known: %(known)s.")
                    % {"country": country, "known": ", ".join(known)},
                )
        weekly = []
        for name in self.weekday_fields:
            try:
                weekly.append(_parse_day(cleaned.get(name, "")))
            except forms.ValidationError as error:
                self.add_error(name, error)
                return cleaned
        try:
            parse_weekly_hours(weekly)
        except CalendarError as error:
            self.add_error(None, str(error))
            return cleaned
        # On the instance before the model's own validation runs (ModelForm._post_clean).
        calendar = self.instance
        calendar.weekly_hours = weekly
        calendar.time_zone = cleaned.get("time_zone", calendar.time_zone)
        calendar.optional_holidays = cleaned.get("optional_holidays", [])
        calendar.closed_dates = cleaned.get("closed_dates_text", [])
        return cleaned


def _optional_names(country: str, subdivision: str) -> list[str]:
    try:
        return optional_holiday_names(country, subdivision)
    except (NotImplementedError, KeyError, ValueError):  # unknown country or state
        return []
