"""CSV downloads of the dashboard's charts and tables, the same figures as the page."""

import csv
from io import StringIO

from django.utils.translation import gettext as _

from .charts import WEEKDAYS
from .selectors import DashboardFigures

EXPORTS = ("per_day", "heatmap", "agents", "teams")


def export_rows(name: str, figures: DashboardFigures, rows_of_table=None) -> list[list]:
    if name == "per_day":
        header = [_("Day"), _("Created"), _("Solved")]
        body = [[d.isoformat(), c, s] for d, c, s in figures.volume.per_day]
        return [header, *body]
    if name == "heatmap":
        grid = figures.heatmap
        header = ["", *range(24)]
        return [header, *([str(WEEKDAYS[i]), *row] for i, row in enumerate(grid))]
    header = [
        _("Name"), _("Open now"), _("Replies"), _("Solved"),
        _("First response (average, wall-clock)") + " (s)",
        _("Resolution (average, wall-clock)") + " (s)",
        _("Met"), _("Missed"), _("CSAT") + " (%)", _("CSAT answers"),
    ]  # fmt: skip
    body = [
        [
            row.name,
            row.figures.workload,
            row.figures.replies,
            row.figures.solved,
            _round(row.figures.first_response),
            _round(row.figures.resolution),
            row.figures.met,
            row.figures.missed,
            "" if row.csat is None else row.csat,
            row.csat_answers,
        ]
        for row in rows_of_table
    ]
    return [header, *body]


def _round(seconds: float | None) -> int | str:
    return "" if seconds is None else round(seconds)


def to_csv(rows: list[list]) -> str:
    out = StringIO()
    writer = csv.writer(out)
    for row in rows:
        # A cell a spreadsheet would run as a formula (a name typed by a user) is quoted.
        writer.writerow(
            ["'" + c if isinstance(c, str) and c[:1] in ("=", "+", "-", "@") else c for c in row]
        )
    return out.getvalue()
