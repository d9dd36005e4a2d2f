"""The managers' dashboards (/manager/): thin views over sla.metrics, scoped by manager.access."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from sla import metrics
from surveys import reports as survey_reports

from . import charts, exports, selectors, services, tables
from .access import dashboard_scope
from .forms import DashboardFilterForm
from .models import TrendAlert


def _columns() -> list[tuple[str, str]]:
    return [
        ("name", _("Name")),
        ("workload", _("Open now")),
        ("replies", _("Replies")),
        ("solved", _("Solved")),
        ("first_response", _("First response (average, wall-clock)")),
        ("resolution", _("Resolution (average, wall-clock)")),
        ("compliance", _("SLA compliance")),
        ("csat", _("CSAT")),
    ]


def _filters(request) -> tuple[DashboardFilterForm, metrics.MetricFilters]:
    scope = dashboard_scope(user=request.user)
    form = DashboardFilterForm(request.GET or None, scope=scope)
    if form.is_valid():
        return form, form.metric_filters()
    fallback = DashboardFilterForm({}, scope=scope)
    fallback.is_valid()
    return form, fallback.metric_filters()


def _table_rows(
    figures: selectors.DashboardFigures, filters: metrics.MetricFilters, name: str
) -> list[tables.Row]:
    if name == "agents":
        csat = survey_reports.csat_by(filters, group="agent")
        return tables.agent_rows(figures.agents, csat)
    csat = survey_reports.csat_by(filters, group="team")
    return tables.team_rows(figures.teams, no_team=_("No team"), csat=csat)


def _at_risk_rows(filters: metrics.MetricFilters, now) -> list:
    rows = metrics.at_risk_now(filters, now=now)
    for ticket in rows:
        ticket.overdue = ticket.sla_due_at <= now
        ticket.time_left = abs((ticket.sla_due_at - now).total_seconds())
    return rows


@require_GET
@login_required
def at_risk(request):
    """The "at risk now" list alone: the dashboard reloads it on each SLA push (and every
    minute, as the time left runs down)."""
    _form, filters = _filters(request)
    now = timezone.now()
    context = {"at_risk": _at_risk_rows(filters, now), "query": request.GET.urlencode()}
    return render(request, "manager/_at_risk.html", context)


@require_GET
@login_required
def dashboard(request):
    """KPI cards, per-day volume and the weekday × hour heatmap for the chosen range and filters.
    Filters that are not valid (or name a team outside the reader's) are left out, with a
    message, and the figures cover the default range of the reader's teams."""
    form, filters = _filters(request)
    now = timezone.now()
    figures = selectors.dashboard_figures(filters, now=now)
    per_day = figures.volume
    agents, agents_sort = tables.sort_rows(
        _table_rows(figures, filters, "agents"), request.GET.get("agents_sort", "")
    )
    teams, teams_sort = tables.sort_rows(
        _table_rows(figures, filters, "teams"), request.GET.get("teams_sort", "")
    )
    context = {
        "form": form,
        "scope": form.scope,
        "filters": filters,
        "last_day": filters.end - timedelta(days=1),
        "at_risk": _at_risk_rows(filters, now),
        "frt": figures.frt,
        "resolution": figures.resolution,
        "volume": per_day,
        "responsiveness": figures.responsiveness,
        "compliance": figures.compliance,
        "backlog": figures.backlog,
        "escalations": figures.escalations,
        "satisfaction": survey_reports.satisfaction_summary(filters),
        "per_day_chart": charts.per_day_bars(per_day.per_day),
        "heatmap": charts.heatmap(figures.heatmap),
        "chart_data": charts.chart_data(per_day.per_day, figures.heatmap),
        "time_zone": settings.TIME_ZONE,
        "query": request.GET.urlencode(),
        "tables": [
            ("agents", _("Agents"), agents, agents_sort),
            ("teams", _("Teams"), teams, teams_sort),
        ],
        "columns": _columns(),
        "trend_alerts": (
            list(TrendAlert.objects.filter(acknowledged_at=None)[:10])
            if form.scope.sees_everything
            else []
        ),
    }
    return render(request, "manager/dashboard.html", context)


@require_POST
@login_required
def trend_alert_action(request, pk: int, action: str):
    """Acknowledge or mute a trend alert: managers only (alerts cover the whole desk)."""
    if not dashboard_scope(user=request.user).sees_everything:
        raise PermissionDenied
    alert = get_object_or_404(TrendAlert, pk=pk)
    if action == "mute":
        services.trend_alert_mute(alert=alert, by=request.user)
    else:
        services.trend_alert_acknowledge(alert=alert, by=request.user)
    return redirect("manager:dashboard")


@require_GET
@login_required
def export(request, name: str):
    """One chart or table as CSV, for the same range, filters and scope as the page."""
    if name not in exports.EXPORTS:
        raise Http404
    _form, filters = _filters(request)
    figures = selectors.dashboard_figures(filters, now=timezone.now())
    rows = _table_rows(figures, filters, name) if name in ("agents", "teams") else None
    response = HttpResponse(
        exports.to_csv(exports.export_rows(name, figures, rows)), content_type="text/csv"
    )
    response["Content-Disposition"] = f'attachment; filename="jornada-{name}.csv"'
    return response
