"""The managers' dashboards (/manager/): thin views over sla.metrics, scoped by manager.access."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from sla import metrics

from . import charts
from .access import dashboard_scope
from .forms import DashboardFilterForm


@require_GET
@login_required
def dashboard(request):
    """KPI cards, per-day volume and the weekday × hour heatmap for the chosen range and filters.
    Filters that are not valid (or name a team outside the reader's) are left out, with a
    message, and the figures cover the default range of the reader's teams."""
    scope = dashboard_scope(user=request.user)
    form = DashboardFilterForm(request.GET or None, scope=scope)
    if not form.is_valid():
        fallback = DashboardFilterForm({}, scope=scope)
        fallback.is_valid()
        filters = fallback.metric_filters()
    else:
        filters = form.metric_filters()
    now = timezone.now()
    per_day = metrics.volume(filters)
    context = {
        "form": form,
        "scope": scope,
        "filters": filters,
        "frt": metrics.first_response_time(filters),
        "resolution": metrics.resolution_time(filters),
        "volume": per_day,
        "responsiveness": metrics.responsiveness(filters),
        "compliance": metrics.sla_compliance(filters),
        "backlog": metrics.backlog(filters, now=now),
        "escalations": metrics.escalations(filters),
        "per_day_chart": charts.per_day_bars(per_day.per_day),
        "heatmap": charts.heatmap(metrics.volume_heatmap(filters)),
        "time_zone": settings.TIME_ZONE,
    }
    return render(request, "manager/dashboard.html", context)
