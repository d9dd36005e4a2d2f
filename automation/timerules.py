"""Time-based rules, run by beat (automation.run_time_rules): for each active rule, an indexed
query finds the tickets that have been in its condition long enough and that the rule has not
acted on in this episode (the stretch that began when the ticket entered the condition). Each
ticket's run is its own transaction: the TimeRuleRun row (unique per rule, ticket and episode)
and the actions commit together, so a worker killed halfway acts again on nothing it did."""

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from tickets import events, services
from tickets.models import Ticket, TicketEvent

from . import conditions
from .actions import Run
from .engine import Origin
from .models import TimeRule, TimeRuleRun

logger = logging.getLogger(__name__)
TAKE = 200
S = Ticket.Status


def cutoff(rule: TimeRule, now: datetime, open_hours=None) -> datetime:
    """Tickets whose episode began before this have waited long enough."""
    unit = rule.unit
    if unit == TimeRule.Unit.MINUTES:
        return now - timedelta(minutes=rule.after)
    if unit == TimeRule.Unit.HOURS:
        return now - timedelta(hours=rule.after)
    if unit == TimeRule.Unit.DAYS or open_hours is None or open_hours.always_open:
        return now - timedelta(days=rule.after)
    # Business days: the same time of day, `after` open days back (weekends, holidays skipped).
    local = timezone.localtime(now, open_hours.tz)
    day, counted = local.date(), 0
    for _ in range(rule.after * 7 + 30):
        if counted >= rule.after:
            break
        day -= timedelta(days=1)
        if open_hours.spans(day):
            counted += 1
    return datetime.combine(day, local.time(), tzinfo=open_hours.tz)


def _entered_pending():
    return Subquery(
        TicketEvent.objects.filter(
            ticket_id=OuterRef("pk"), kind=TicketEvent.Kind.STATUS_CHANGED, after=S.PENDING
        )
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )


def candidates(rule: TimeRule, *, now: datetime, open_hours=None):
    """The tickets the rule acts on now, with their episode (`episode`), oldest first."""
    before = cutoff(rule, now, open_hours)
    if rule.condition == TimeRule.Condition.SOLVED:
        query = Ticket.objects.filter(status=S.SOLVED, solved_at__lt=before).annotate(
            episode=Coalesce("solved_at", "updated_at")
        )
    elif rule.condition == TimeRule.Condition.UNASSIGNED:
        query = Ticket.objects.filter(
            status=S.NEW, assignee__isnull=True, created_at__lt=before
        ).annotate(episode=Coalesce("created_at", "updated_at"))
    else:
        query = (
            Ticket.objects.filter(status=S.PENDING, updated_at__lt=now)
            .annotate(episode=Coalesce(_entered_pending(), "created_at"))
            .filter(episode__lt=before)
        )
    done = TimeRuleRun.objects.filter(
        rule=rule, ticket_id=OuterRef("pk"), episode=OuterRef("episode")
    )
    return query.filter(~Exists(done)).order_by("episode", "pk")


def _still_holds(rule: TimeRule, ticket: Ticket) -> bool:
    if rule.condition == TimeRule.Condition.UNASSIGNED:
        return ticket.status == S.NEW and ticket.assignee_id is None
    return ticket.status == rule.condition


def act(rule: TimeRule, ticket_id: int, episode: datetime) -> bool:
    """Run the rule on one ticket for this episode, once: whether it ran now."""
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("customer__organization", "team")
            .filter(pk=ticket_id)
            .first()
        )
        if ticket is None or not _still_holds(rule, ticket):
            return False
        try:
            with transaction.atomic():
                TimeRuleRun.objects.create(rule=rule, ticket=ticket, episode=episode)
        except IntegrityError:
            return False  # another worker, or an earlier run, did it
        facts = conditions.facts_for([ticket], with_text=False)[0]
        run = Run(rule_id=rule.pk, rule_name=rule.name, ticket=ticket, tags=set(facts.tags))
        did = []
        with events.caused_by(Origin(depth=1)):
            for action in rule.actions or []:
                done = run.apply(action)
                if done is not None:
                    did.append(done)
            if did:
                services.ticket_record_rule_run(
                    ticket=run.ticket, rule_id=rule.pk, rule_name=rule.name, did=did
                )
    return True


def requeue_offline(*, now: datetime, minutes: int, limit: int = TAKE) -> int:
    """Open tickets whose agent has been offline (not seen) for `minutes` go back to their
    team's queue, with a line on the timeline, and the team's policy may route them again."""
    from django.db.models import Q
    from django.utils.translation import gettext

    from . import routing

    cutoff = now - timedelta(minutes=minutes)
    away = Q(assignee__agent_profile__last_seen_at__lt=cutoff) | Q(
        assignee__agent_profile__last_seen_at__isnull=True
    )
    ids = list(
        Ticket.objects.filter(away, status__in=[S.NEW, S.OPEN], assignee__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    done = 0
    for pk in ids:
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update(of=("self",)).filter(pk=pk).first()
            if ticket is None or ticket.assignee_id is None:
                continue
            seen = ticket.assignee.agent_profile.last_seen_at
            if seen is not None and seen >= cutoff:
                continue
            who = ticket.assignee.get_username()
            with events.caused_by(Origin(depth=1)):
                ticket = services.ticket_assign(ticket=ticket, assignee=None, by=None)
                services.ticket_record_rule_run(
                    ticket=ticket,
                    rule_id=0,
                    rule_name=gettext("Agent offline"),
                    did=[{"type": "requeue", "value": who, "minutes": minutes}],
                )
                tags = set(ticket.tags.values_list("name", flat=True))
                routing.ticket_route_to_agent(ticket=ticket, tags=tags)
            done += 1
    return done


def sweep(*, seconds: float = 50.0, now: datetime | None = None) -> int:
    """Every active rule over its due tickets, for at most about `seconds`; how many runs."""
    started = time.monotonic()
    now = now or timezone.now()
    rules = list(TimeRule.objects.filter(is_active=True).order_by("position", "id"))
    needs_hours = any(r.unit == TimeRule.Unit.BUSINESS_DAYS for r in rules)
    open_hours = conditions.default_open_hours() if needs_hours else None
    total = 0
    minutes = settings.JORNADA.get("REQUEUE_OFFLINE_MINUTES", 0)
    if minutes:
        total += requeue_offline(now=now, minutes=minutes)
    for rule in rules:
        while time.monotonic() - started < seconds:
            due = list(
                candidates(rule, now=now, open_hours=open_hours).values_list("pk", "episode")[:TAKE]
            )
            if not due:
                break
            ran = sum(act(rule, pk, episode) for pk, episode in due)
            total += ran
            if ran == 0:
                break  # all changed meanwhile: the next sweep looks again
    return total


__all__ = ["candidates", "cutoff", "sweep"]
