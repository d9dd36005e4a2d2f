"""Knowledge-base measurements, read by the agents' KB page (and the manager dashboards and the
API when they come): deflection rate and feedback per article."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from .models import Article, Deflection

# Suggestions shown this long ago without a request submitted since count as a deflection; a
# session still younger may yet end in a request and is not counted either way.
DEFLECTION_GRACE = timedelta(minutes=30)


@dataclass(frozen=True)
class DeflectionReport:
    sessions: int  # suggestion sessions that showed at least one article, settled
    submitted: int  # ... that ended in a request anyway
    deflected: int  # ... left without a request

    @property
    def rate(self) -> float | None:
        """Deflected / settled sessions, 0..1; None before any."""
        return self.deflected / self.sessions if self.sessions else None


def deflection_report(
    *, since: datetime, until: datetime | None = None, now: datetime | None = None
) -> DeflectionReport:
    """Sessions begun in [since, until) in which suggestions were shown. One query."""
    now = now or timezone.now()
    until = min(until or now, now)
    settled = Q(submitted_at__isnull=False) | Q(updated_at__lte=now - DEFLECTION_GRACE)
    counts = Deflection.objects.filter(
        settled, created_at__gte=since, created_at__lt=until, shown__gt=0
    ).aggregate(
        sessions=Count("id"),
        submitted=Count("id", filter=Q(submitted_at__isnull=False)),
    )
    return DeflectionReport(
        sessions=counts["sessions"],
        submitted=counts["submitted"],
        deflected=counts["sessions"] - counts["submitted"],
    )


def articles_feedback_summary(*, limit: int = 20) -> list[Article]:
    """Articles with feedback, the least helpful first: `helpful` and `unhelpful` counts."""
    return list(
        Article.objects.annotate(
            helpful=Count("feedback", filter=Q(feedback__helpful=True)),
            unhelpful=Count("feedback", filter=Q(feedback__helpful=False)),
        )
        .filter(Q(helpful__gt=0) | Q(unhelpful__gt=0))
        .defer("body", "search_document")
        .order_by("-unhelpful", "helpful", "title")[:limit]
    )
