"""Links that sort one table of the dashboard and keep every other parameter; the tables' and
the heatmap's cells."""

from django import template
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext

from .manager_format import duration, percent, points

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


# The tables and the heatmap hold a few thousand cells at a big desk (200 agents × 9 columns, 7 ×
# 24 hours twice): written here in one pass rather than through the template engine's lookups,
# which cost more than the figures' queries. The markup is the same as a template's.
def _count(n: int) -> str:
    return str(n) if -1000 < n < 1000 else localize(n)


@register.simple_tag
def group_rows(rows) -> str:
    if not rows:
        return format_html('<tr><td colspan="9">{}</td></tr>', gettext("Nothing in this range."))
    open_label = gettext("Open in the inbox")
    lines = []
    for row in rows:
        f = row.figures
        csat = "—" if row.csat is None else format_html("{}&nbsp;%", points(row.csat))
        if row.csat_answers:
            answers = ngettext("%(n)s answer", "%(n)s answers", row.csat_answers) % {
                "n": _count(row.csat_answers)
            }
            csat = format_html('{} <span class="muted">({})</span>', csat, answers)
        lines.append(
            format_html(
                '<tr>\n      <th scope="row">{}</th>\n      <td>{}</td>\n      <td>{}</td>\n'
                "      <td>{}</td>\n      <td>{}</td>\n      <td>{}</td>\n"
                '      <td>{} <span class="muted">({}/{})</span></td>\n'
                "      <td data-csat>{}</td>\n"
                '      <td><a href="{}">{}</a></td>\n    </tr>',
                row.name,
                _count(f.workload),
                _count(f.replies),
                _count(f.solved),
                duration(f.first_response),
                duration(f.resolution),
                percent(f.compliance),
                _count(f.met),
                _count(f.met + f.missed),
                csat,
                row.inbox_url,
                open_label,
            )
        )
    return mark_safe("".join(lines))  # each piece escaped by format_html


@register.simple_tag
def heatmap_cells(heatmap: dict) -> str:
    """The SVG's rectangles, one per weekday and hour, with the count as its title."""
    size = heatmap["cell"]
    return format_html_join(
        "",
        '<rect class="heat" x="{}" y="{}" width="{}" height="{}" fill-opacity="{}">'
        "<title>{} {}h: {}</title></rect>",
        (
            (c["x"], row["y"], size, size, f"{c['shade']:.2f}", row["label"], c["hour"],
             _count(c["n"]))
            for row in heatmap["rows"]
            for c in row["cells"]
        ),
    )  # fmt: skip


@register.simple_tag
def heatmap_table_rows(heatmap: dict) -> str:
    return mark_safe(  # each piece escaped by format_html
        "".join(
            format_html(
                '<tr><th scope="row">{}</th>{}</tr>',
                row["label"],
                format_html_join("", "<td>{}</td>", ((_count(n),) for n in row["counts"])),
            )
            for row in heatmap["rows"]
        )
    )
