"""Links that sort one table of the dashboard and keep every other parameter."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def sort_query(context, table: str, column: str, current: str) -> str:
    """The query string with `<table>_sort` set to the column, reversed if already sorted by it
    (names start ascending, figures descending)."""
    query = context["request"].GET.copy()
    first = column if column == "name" else f"-{column}"
    flipped = column if current == f"-{column}" else f"-{column}"
    query[f"{table}_sort"] = flipped if current.removeprefix("-") == column else first
    return query.urlencode()
