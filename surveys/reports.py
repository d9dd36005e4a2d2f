"""Survey metrics, computed in the database (counts and averages grouped there; only the final
ratio is taken in Python), for the managers' dashboards and the API:

- CSAT %: share of 4-5 answers among CSAT answers;
- NPS: % promoters (9-10) minus % detractors (0-6) among NPS answers;
- CES: average of CES answers (1-7);
- response rate: answered invitations among those sent.

Each broken down by agent, team, tier, channel or segment, and by period (day, week, month).
Scoped like tickets: a manager sees every answer, another agent those of their teams' tickets.
The managers' dashboard reads the same figures over its own filters (`satisfaction_summary`,
`csat_by`: sla.metrics.MetricFilters, whose `team_ids` is the reader's scope).
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Avg, Count, F, Q, QuerySet
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek

from sla.metrics import MetricFilters
from tickets.selectors import ticket_scope_for_agent

from .models import SurveyInvitation, SurveyKind, SurveyResponse

# Breakdown name -> (field on SurveyResponse, field on SurveyInvitation)
DIMENSIONS = {
    "agent": ("agent", "ticket__assignee"),
    "team": ("team", "ticket__team"),
    "tier": ("tier", "ticket__tier"),
    "channel": ("channel", "channel"),
    "segment": ("segment", "customer__segment"),
}
PERIODS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}
I = SurveyInvitation.Status  # noqa: E741


@dataclass(frozen=True)
class ReportRow:
    group: object  # the breakdown's value (an id, a tier, a channel...), None without breakdown
    period: datetime | None
    responses: int
    score: float | None  # CSAT %, NPS or average CES; None without answers
    sent: int
    answered: int

    @property
    def response_rate(self) -> float | None:
        return round(100.0 * self.answered / self.sent, 1) if self.sent else None


def _score(kind: str, row: dict) -> float | None:
    total = row["total"]
    if not total:
        return None
    if kind == SurveyKind.CSAT:
        return round(100.0 * row["satisfied"] / total, 1)
    if kind == SurveyKind.NPS:
        return round(100.0 * (row["promoters"] - row["detractors"]) / total, 1)
    return round(float(row["average"]), 2)


def _scoped(queryset: QuerySet, viewer: AbstractBaseUser, ticket_field: str) -> QuerySet:
    profile = getattr(viewer, "agent_profile", None)
    if viewer.is_superuser or (profile is not None and profile.is_manager):
        return queryset  # relationship surveys (no ticket) included
    return queryset.filter(**{f"{ticket_field}__in": ticket_scope_for_agent(agent=viewer)})


def _grouped(queryset: QuerySet, field: str | None, period: str | None) -> tuple[QuerySet, list]:
    keys = []
    if field:
        queryset = queryset.annotate(report_group=F(field))
        keys.append("report_group")
    if period:
        queryset = queryset.annotate(report_period=PERIODS[period]("created_at"))
        keys.append("report_period")
    return (queryset.values(*keys) if keys else queryset), keys


def survey_report(
    *,
    viewer: AbstractBaseUser,
    kind: str,
    start: datetime,
    end: datetime,
    by: str | None = None,
    period: str | None = None,
) -> list[ReportRow]:
    """One row per group (and period) of answers and invitations of this kind created between
    start and end."""
    response_field, invitation_field = DIMENSIONS[by] if by else (None, None)
    responses = _scoped(
        SurveyResponse.objects.filter(kind=kind, created_at__gte=start, created_at__lt=end),
        viewer,
        "ticket",
    )
    grouped, keys = _grouped(responses, response_field, period)
    aggregates = {
        "total": Count("pk"),
        "satisfied": Count("pk", filter=Q(score__gte=4)),
        "promoters": Count("pk", filter=Q(score__gte=9)),
        "detractors": Count("pk", filter=Q(score__lte=6)),
        "average": Avg("score"),
    }
    answers = grouped.annotate(**aggregates) if keys else [grouped.aggregate(**aggregates)]
    invitations = _scoped(
        SurveyInvitation.objects.filter(
            survey__kind=kind,
            status__in=(I.SENT, I.ANSWERED),
            created_at__gte=start,
            created_at__lt=end,
        ),
        viewer,
        "ticket",
    )
    grouped, _ = _grouped(invitations, invitation_field, period)
    counts = {"sent": Count("pk"), "answered": Count("pk", filter=Q(status=I.ANSWERED))}
    sent_rows = grouped.annotate(**counts) if keys else [grouped.aggregate(**counts)]

    def key(row: dict) -> tuple:
        return (row.get("report_group"), row.get("report_period"))

    sent = {key(row): row for row in sent_rows}
    rows = {key(row): row for row in answers}
    return [
        ReportRow(
            group=group,
            period=when,
            responses=rows.get((group, when), {}).get("total") or 0,
            score=_score(kind, rows[(group, when)]) if (group, when) in rows else None,
            sent=sent.get((group, when), {}).get("sent") or 0,
            answered=sent.get((group, when), {}).get("answered") or 0,
        )
        for group, when in sorted(set(rows) | set(sent), key=lambda k: (str(k[0]), str(k[1] or "")))
    ]


# --- the managers' dashboard: the same figures over the dashboard's filters ----------------------

# MetricFilters field -> (field on SurveyResponse (copied when answered), on SurveyInvitation)
NARROWING = {
    "team": ("team_id", "ticket__team_id"),
    "tier": ("tier", "ticket__tier"),
    "agent": ("agent_id", "ticket__assignee_id"),
    "channel": ("channel", "ticket__channel"),
    "segment": ("segment", "customer__segment"),
    "organization": ("customer__organization_id", "customer__organization_id"),
}


def _narrowed(queryset: QuerySet, filters: MetricFilters, side: int) -> QuerySet:
    """Answers (side 0) or invitations (side 1) created in the range, in the reader's teams
    (`team_ids`; None: all, relationship surveys included) and the dashboard's narrowing."""
    queryset = queryset.filter(created_at__gte=filters.start, created_at__lt=filters.end)
    if filters.team_ids is not None:
        team_field = ("team_id", "ticket__team_id")[side]
        queryset = queryset.filter(**{f"{team_field}__in": list(filters.team_ids)})
    narrowing = {
        NARROWING[name][side]: getattr(filters, name)
        for name in NARROWING
        if getattr(filters, name) not in (None, "")
    }
    return queryset.filter(**narrowing)


ANSWER_AGGREGATES = {
    "total": Count("pk"),
    "satisfied": Count("pk", filter=Q(score__gte=4)),
    "promoters": Count("pk", filter=Q(score__gte=9)),
    "detractors": Count("pk", filter=Q(score__lte=6)),
    "average": Avg("score"),
}


def satisfaction_summary(filters: MetricFilters) -> list[ReportRow]:
    """CSAT %, NPS and average CES (`group` is the kind), each with its answers and response
    rate, for the dashboard's range, scope and filters: two grouped queries."""
    answers = {
        row["kind"]: row
        for row in _narrowed(SurveyResponse.objects.all(), filters, 0)
        .order_by()
        .values("kind")
        .annotate(**ANSWER_AGGREGATES)
    }
    invitations = {
        row["survey__kind"]: row
        for row in _narrowed(
            SurveyInvitation.objects.filter(status__in=(I.SENT, I.ANSWERED)), filters, 1
        )
        .order_by()
        .values("survey__kind")
        .annotate(sent=Count("pk"), answered=Count("pk", filter=Q(status=I.ANSWERED)))
    }
    return [
        ReportRow(
            group=kind,
            period=None,
            responses=answers.get(kind, {}).get("total") or 0,
            score=_score(kind, answers[kind]) if kind in answers else None,
            sent=invitations.get(kind, {}).get("sent") or 0,
            answered=invitations.get(kind, {}).get("answered") or 0,
        )
        for kind in SurveyKind.values
    ]


def csat_by(filters: MetricFilters, *, group: str) -> dict[int | None, tuple[float, int]]:
    """CSAT % and the number of CSAT answers per agent (`group="agent"`) or team
    (`group="team"`) of the answers' tickets when answered: one grouped query."""
    if group not in ("agent", "team"):
        raise ValueError(group)
    rows = (
        _narrowed(SurveyResponse.objects.filter(kind=SurveyKind.CSAT), filters, 0)
        .order_by()
        .values(f"{group}_id")
        .annotate(total=Count("pk"), satisfied=Count("pk", filter=Q(score__gte=4)))
    )
    return {
        row[f"{group}_id"]: (_score(SurveyKind.CSAT, row), row["total"])
        for row in rows
        if row["total"]
    }
