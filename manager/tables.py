"""The per-agent and per-team tables: names, links to the matching inbox view, and the order
the reader chose (sorting a few dozen rows of already aggregated figures)."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.http import urlencode

from sla.metrics import GroupRow
from tickets.models import Team

COLUMNS = ("name", "workload", "replies", "solved", "first_response", "resolution", "compliance")


@dataclass
class Row:
    name: str
    inbox_url: str
    figures: GroupRow


def _inbox_url(**filters) -> str:
    return f"{reverse('inbox')}?{urlencode({'view': 'open', **filters})}"


def agent_rows(figures: list[GroupRow]) -> list[Row]:
    users = get_user_model().objects.in_bulk([f.key for f in figures if f.key is not None])
    rows = []
    for row in figures:
        if row.key is None or row.key not in users:
            continue  # unassigned tickets are no one's figures
        user = users[row.key]
        name = user.get_full_name() or user.get_username()
        rows.append(Row(name=name, inbox_url=_inbox_url(assignee=row.key), figures=row))
    return rows


def team_rows(figures: list[GroupRow], *, no_team: str) -> list[Row]:
    teams = Team.objects.in_bulk([f.key for f in figures if f.key is not None])
    rows = []
    for row in figures:
        if row.key is None:
            rows.append(Row(name=no_team, inbox_url=_inbox_url(), figures=row))
        elif row.key in teams:
            name = str(teams[row.key])
            rows.append(Row(name=name, inbox_url=_inbox_url(team=row.key), figures=row))
    return rows


def sort_rows(rows: list[Row], sort: str) -> tuple[list[Row], str]:
    """Rows in the order asked for ("workload", "-workload", ...; default: most workload
    first); empty figures last either way. Returns the rows and the sort applied."""
    column = sort.removeprefix("-")
    if column not in COLUMNS:
        sort, column = "-workload", "workload"
    descending = sort.startswith("-")

    def value(row: Row):
        return row.name.casefold() if column == "name" else getattr(row.figures, column)

    present = [row for row in rows if value(row) is not None]
    missing = [row for row in rows if value(row) is None]
    present.sort(key=value, reverse=descending)
    return present + missing, sort
