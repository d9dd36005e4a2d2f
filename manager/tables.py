"""The per-agent and per-team tables: names, links to the matching inbox view, and the order
the reader chose (sorting a few dozen rows of already aggregated figures)."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.http import urlencode

from sla.metrics import GroupRow
from tickets.models import Team

COLUMNS = (
    "name", "workload", "replies", "solved", "first_response", "resolution", "compliance", "csat",
)  # fmt: skip
Csat = dict[int | None, tuple[float, int]]  # key -> (CSAT %, answers): surveys.reports.csat_by


@dataclass
class Row:
    name: str
    inbox_url: str
    figures: GroupRow
    csat: float | None = None
    csat_answers: int = 0

    def with_csat(self, csat: Csat, key: int | None) -> "Row":
        self.csat, self.csat_answers = csat.get(key, (None, 0))
        return self


def _inbox_url(**filters) -> str:
    return f"{reverse('inbox')}?{urlencode({'view': 'open', **filters})}"


def agent_rows(figures: list[GroupRow], csat: Csat | None = None) -> list[Row]:
    users = get_user_model().objects.in_bulk([f.key for f in figures if f.key is not None])
    rows = []
    for row in figures:
        if row.key is None or row.key not in users:
            continue  # unassigned tickets are no one's figures
        user = users[row.key]
        name = user.get_full_name() or user.get_username()
        shown = Row(name=name, inbox_url=_inbox_url(assignee=row.key), figures=row)
        rows.append(shown.with_csat(csat or {}, row.key))
    return rows


def team_rows(figures: list[GroupRow], *, no_team: str, csat: Csat | None = None) -> list[Row]:
    teams = Team.objects.in_bulk([f.key for f in figures if f.key is not None])
    rows = []
    for row in figures:
        if row.key is None:
            name, url = no_team, _inbox_url()
        elif row.key in teams:
            name, url = str(teams[row.key]), _inbox_url(team=row.key)
        else:
            continue
        rows.append(Row(name=name, inbox_url=url, figures=row).with_csat(csat or {}, row.key))
    return rows


def sort_rows(rows: list[Row], sort: str) -> tuple[list[Row], str]:
    """Rows in the order asked for ("workload", "-workload", ...; default: most workload
    first); empty figures last either way. Returns the rows and the sort applied."""
    column = sort.removeprefix("-")
    if column not in COLUMNS:
        sort, column = "-workload", "workload"
    descending = sort.startswith("-")

    def value(row: Row):
        if column == "name":
            return row.name.casefold()
        return row.csat if column == "csat" else getattr(row.figures, column)

    present = [row for row in rows if value(row) is not None]
    missing = [row for row in rows if value(row) is None]
    present.sort(key=value, reverse=descending)
    return present + missing, sort
