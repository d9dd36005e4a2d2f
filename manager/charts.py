"""The dashboard's charts: the figures Chart.js draws in the browser (vendored under
static/vendor/chartjs, static/js/manager_charts.js), and the geometry of the SVG the server draws
first, which stays for a browser without JavaScript; the templates print the same numbers as a
table for screen readers."""

from dataclasses import dataclass
from datetime import date

from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

BAR_AREA_HEIGHT = 120
BAR_WIDTH = 8
CELL = 22
WEEKDAYS = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]


@dataclass
class DayBars:
    day: date
    label: str
    created: int
    solved: int
    x: float
    created_height: float
    solved_height: float

    @property
    def created_y(self) -> float:
        return BAR_AREA_HEIGHT - self.created_height

    @property
    def solved_y(self) -> float:
        return BAR_AREA_HEIGHT - self.solved_height


def per_day_bars(rows: list[tuple[date, int, int]]) -> dict:
    """Two bars per day (created, solved), scaled to the busiest day."""
    peak = max((max(c, s) for _d, c, s in rows), default=0) or 1
    step = 2 * BAR_WIDTH + 4
    days = [
        DayBars(
            day=day,
            label=date_format(day, "SHORT_DATE_FORMAT"),
            created=created,
            solved=solved,
            x=index * step,
            created_height=BAR_AREA_HEIGHT * created / peak,
            solved_height=BAR_AREA_HEIGHT * solved / peak,
        )
        for index, (day, created, solved) in enumerate(rows)
    ]
    return {
        "days": days,
        "width": max(len(days) * step, step),
        "height": BAR_AREA_HEIGHT,
        "bar": BAR_WIDTH,
        "peak": peak,
    }


def heatmap(grid: list[list[int]]) -> dict:
    """7 × 24 cells shaded by their share of the busiest hour."""
    peak = max((max(row) for row in grid), default=0) or 1
    rows = [
        {
            "label": WEEKDAYS[weekday],
            "y": weekday * CELL,
            "cells": [
                {"hour": hour, "x": 40 + hour * CELL, "n": n, "shade": round(n / peak, 2)}
                for hour, n in enumerate(counts)
            ],
            "counts": counts,
        }
        for weekday, counts in enumerate(grid)
    ]
    return {
        "rows": rows,
        "hours": [{"hour": hour, "x": 40 + hour * CELL + CELL / 2} for hour in range(24)],
        "cell": CELL - 2,
        "width": 40 + 24 * CELL,
        "height": 7 * CELL + 16,
        "label_y": 7 * CELL + 12,
    }


def chart_data(rows: list[tuple[date, int, int]], grid: list[list[int]]) -> dict:
    """What static/js/manager_charts.js draws (json_script): per-day bars, weekday × hour."""
    return {
        "per_day": {
            "labels": [date_format(day, "SHORT_DATE_FORMAT") for day, _c, _s in rows],
            "created": [created for _d, created, _s in rows],
            "solved": [solved for _d, _c, solved in rows],
            "names": {"created": str(_("Tickets created")), "solved": str(_("Tickets solved"))},
        },
        "heatmap": {
            "weekdays": [str(day) for day in WEEKDAYS],
            "grid": grid,
            "name": str(_("Tickets created")),
        },
    }
