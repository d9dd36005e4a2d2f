"""The SLA policies' escalation steps, run after the timer recorded a warning or a breach.

The timer only marks clocks and writes their trail entries (sla/recording.py); the steps follow
as queued work, one task per chunk of clock ids, once per ticket per chunk (two clocks of a
ticket breaching together escalate it once). Every step goes through the ticket services, so it
leaves its own trail entry (priority changed, team changed, escalated) and domain event; the
notification step writes who was told on the warning or breach entry. The steps of a clock run
once: they are claimed (`warning_steps_at` / `breach_steps_at`) under the ticket's row lock, in
the transaction that runs them. A step that cannot apply (the top tier already, a team of a
lower tier) is skipped and logged; the others still run."""

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from tickets import services as ticket_services
from tickets.errors import InvalidEscalation, TicketError
from tickets.models import Ticket, TicketEvent, tier_rank

from .models import EscalationStep, Target, TicketSLA

logger = logging.getLogger(__name__)
Stage, Action = EscalationStep.Stage, EscalationStep.Action
E = TicketEvent.Kind
STAGE = {
    Stage.WARNING: ("warned_at", "warning_steps_at", E.SLA_WARNING),
    Stage.BREACH: ("breached_at", "breach_steps_at", E.SLA_BREACHED),
}
PRIORITIES = list(Ticket.Priority.values)  # low to urgent
DONE = (Ticket.Status.SOLVED, Ticket.Status.CLOSED)


def escalation_reason(stage: str, clock: TicketSLA) -> str:
    """Why the ticket moved, in the help desk's language (stored text, like an agent's reason)."""
    with translation.override(settings.LANGUAGE_CODE):
        due = formats.date_format(timezone.localtime(clock.due_at), "SHORT_DATETIME_FORMAT")
        values = {"target": Target(clock.target).label, "due": due, "policy": clock.policy.name}
        if stage == Stage.WARNING:
            return gettext("SLA at risk: %(target)s is due %(due)s (policy %(policy)s)") % values
        return gettext("SLA breached: %(target)s was due %(due)s (policy %(policy)s)") % values


def steps_of_policies(stage: str, policy_ids: Sequence[int]) -> dict[int, list[EscalationStep]]:
    """Each policy's steps for the stage, in order (one query); the older escalate-on-breach
    flag counts as an "escalate the tier" step after the others."""
    steps = defaultdict(list)
    rows = EscalationStep.objects.filter(policy_id__in=policy_ids, stage=stage)
    for step in rows.select_related("team", "policy").order_by("position", "id"):
        steps[step.policy_id].append(step)
    return steps


def _with_legacy(stage: str, clocks: list[TicketSLA], steps: dict) -> list[EscalationStep]:
    """The steps of these clocks' policies, each kind of step once, in position order."""
    found, seen = [], set()
    for clock in clocks:
        own = list(steps.get(clock.policy_id, []))
        escalates = any(step.action == Action.ESCALATE_TIER for step in own)
        if stage == Stage.BREACH and clock.policy.escalate_on_breach and not escalates:
            own.append(EscalationStep(action=Action.ESCALATE_TIER, position=32767))
        for step in own:
            key = (step.action, step.priority, step.team_id)
            if key not in seen:
                seen.add(key)
                found.append(step)
    return sorted(found, key=lambda step: step.position)


def sla_steps_run(*, stage: str, clock_ids: Sequence[int], now: datetime | None = None) -> int:
    """Run the escalation steps of these recorded warnings or breaches (the clocks whose steps
    already ran, or that were reset since, are skipped). Returns how many tickets it acted on."""
    now = now or timezone.now()
    recorded, steps_column, _ = STAGE[stage]
    rows = TicketSLA.objects.filter(
        pk__in=list(clock_ids), **{f"{recorded}__isnull": False, steps_column: None}
    ).values_list("pk", "ticket_id", "policy_id")
    by_ticket, policy_ids = defaultdict(list), set()
    for pk, ticket_id, policy_id in rows:
        by_ticket[ticket_id].append(pk)
        policy_ids.add(policy_id)
    if not by_ticket:
        return 0
    steps = steps_of_policies(stage, sorted(policy_ids))
    done, notified = 0, []
    for ticket_id, ids in sorted(by_ticket.items()):
        try:
            acted = _run_for_ticket(
                stage, ticket_id=ticket_id, clock_ids=ids, steps=steps, now=now, notified=notified
            )
            done += acted
        except Exception:
            # Left unclaimed: the timer queues it again (recording.requeue_lost_steps).
            logger.exception("SLA escalation steps of ticket %s failed", ticket_id)
    # One e-mail task for the chunk, once the tickets' transactions committed (right away, or
    # when a caller's transaction commits: callbacks run in order, the tickets' ones first).
    transaction.on_commit(lambda: _email(notified), robust=True)
    return done


def _email(notification_ids: list[int]) -> None:
    from .tasks import email_sla_notifications

    if notification_ids:
        email_sla_notifications.delay(notification_ids)


@transaction.atomic
def _run_for_ticket(
    stage: str,
    *,
    ticket_id: int,
    clock_ids: list[int],
    steps: dict,
    now: datetime,
    notified: list[int],
) -> bool:
    """The steps of one ticket's clocks, in one transaction. Adds the ids of the notifications
    it made to `notified` once they are committed."""
    ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
    if ticket is None:
        return False
    recorded, steps_column, kind = STAGE[stage]
    clocks = list(
        TicketSLA.objects.select_related("policy").filter(
            pk__in=clock_ids, **{f"{recorded}__isnull": False, steps_column: None}
        )
    )
    if not clocks:
        return False  # another run took them
    TicketSLA.objects.filter(pk__in=[clock.pk for clock in clocks]).update(**{steps_column: now})
    if ticket.status in DONE:
        return False  # solved in the meantime: nothing left to escalate
    if stage == Stage.WARNING and all(clock.stopped_at is not None for clock in clocks):
        return False  # answered in time after all: no one to warn
    reason = escalation_reason(stage, clocks[0])
    made = []
    for step in _with_legacy(stage, clocks, steps):
        try:
            with transaction.atomic():
                if step.action == Action.NOTIFY:
                    made += [row.pk for row in _notify(ticket, kind)]
                else:
                    ticket = _move(step, ticket, reason) or ticket
        except TicketError:
            logger.warning(
                "SLA step %s on ticket %s could not apply", step.action, ticket.pk, exc_info=True
            )
    if made:
        transaction.on_commit(lambda: notified.extend(made))
    return True


def _move(step: EscalationStep, ticket: Ticket, reason: str) -> Ticket | None:
    if step.action == Action.RAISE_PRIORITY:
        current = PRIORITIES.index(ticket.priority)
        wanted = PRIORITIES.index(step.priority) if step.priority else current + 1
        if wanted <= current or wanted >= len(PRIORITIES):
            return None  # never lowered; already urgent
        return ticket_services.ticket_change_priority(
            ticket=ticket, priority=PRIORITIES[wanted], by=None, reason=reason
        )
    if step.action == Action.ESCALATE_TIER:
        try:
            return ticket_services.ticket_escalate(ticket=ticket, reason=reason, by=None)
        except InvalidEscalation:
            return None  # at the top tier already
    if step.action == Action.REASSIGN_TEAM:
        return _reassign(ticket, step.team, reason)
    return None


def _reassign(ticket: Ticket, team, reason: str) -> Ticket | None:
    """The team takes the ticket; the assignee keeps it only as a member of that team. A team of
    a higher tier is an escalation to that tier; a lower tier's team is never chosen by the
    clock."""
    if team is None or team.pk == ticket.team_id:
        return None
    if tier_rank(team.tier) > tier_rank(ticket.tier):
        return ticket_services.ticket_escalate(
            ticket=ticket, reason=reason, by=None, to_tier=team.tier, team=team
        )
    assignee = ticket.assignee
    if assignee is not None and not assignee.agent_profile.teams.filter(pk=team.pk).exists():
        assignee = None
    return ticket_services.ticket_assign(ticket=ticket, assignee=assignee, by=None, team=team)


def _notify(ticket: Ticket, kind: str) -> list:
    """The assignee and the leads of the ticket's team (as they are after the other steps)."""
    users = get_user_model().objects.filter(is_active=True, agent_profile__isnull=False)
    recipients = {}
    if ticket.team_id:
        for user in users.filter(agent_profile__led_teams=ticket.team_id):
            recipients[user.pk] = user
    if ticket.assignee_id and ticket.assignee.is_active:
        recipients[ticket.assignee_id] = ticket.assignee
    if not recipients:
        return []
    sla_event = TicketEvent.objects.filter(ticket=ticket, kind=kind).order_by("-id").first()
    return ticket_services.ticket_notify_sla(
        ticket=ticket,
        kind=kind,
        recipients=[recipients[pk] for pk in sorted(recipients)],
        sla_event=sla_event,
    )
