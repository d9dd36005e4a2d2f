"""Services that change a ticket's state: status, priority, people, tier, tags, merges."""

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext

from .. import events, status
from ..errors import (
    AlreadyClaimed,
    InvalidChoice,
    InvalidEscalation,
    InvalidMerge,
    NoTeamForTier,
    ReasonRequired,
    TicketClosed,
    TierNotAllowed,
)
from ..models import (
    TIER_ORDER,
    AgentNotification,
    Message,
    Tag,
    Team,
    Ticket,
    TicketEvent,
    tier_rank,
)
from ._common import (
    agent_profile,
    check_can_hold,
    lock_ticket,
    record_event,
    touch,
    user_label,
)
from .notifications import notify_agents

S = Ticket.Status
E = TicketEvent.Kind


def apply_status(
    ticket: Ticket,
    to_status: str,
    *,
    by: AbstractBaseUser | None,
    reason: str = "",
    **data,
) -> None:
    """Move a locked ticket through the state machine and record it (no save of other fields).
    `data` goes into the audit row (who did it when `by` is not an agent: a customer)."""
    from_status = ticket.status
    status.check_transition(from_status, to_status)
    now = timezone.now()
    ticket.status = to_status
    fields = ["status"]
    kind = E.STATUS_CHANGED
    if to_status == S.SOLVED:
        ticket.solved_at = now
        fields.append("solved_at")
    elif to_status == S.CLOSED:
        ticket.closed_at = now
        fields.append("closed_at")
    if from_status == S.SOLVED and to_status == S.OPEN:
        kind = E.REOPENED
        ticket.reopen_count += 1
        ticket.solved_at = None
        fields += ["reopen_count", "solved_at"]
    touch(ticket, *fields)
    record_event(ticket, kind, by=by, before=from_status, after=to_status, reason=reason, **data)
    events.publish(
        events.StatusChanged(
            ticket_id=ticket.pk, before=from_status, after=to_status, by_id=by.pk if by else None
        )
    )


@transaction.atomic
def ticket_change_status(
    *, ticket: Ticket, to_status: str, by: AbstractBaseUser | None, reason: str = ""
) -> Ticket:
    ticket = lock_ticket(ticket)
    if by is not None:
        agent_profile(by)
    if ticket.status != to_status:
        apply_status(ticket, to_status, by=by, reason=reason)
    return ticket


@transaction.atomic
def ticket_change_priority(
    *, ticket: Ticket, priority: str, by: AbstractBaseUser | None, reason: str = ""
) -> Ticket:
    ticket = lock_ticket(ticket)
    if by is not None:
        agent_profile(by)
    if priority not in Ticket.Priority.values:
        raise InvalidChoice(field="priority", value=priority)
    if ticket.status == S.CLOSED:
        raise TicketClosed(number=ticket.number)
    if ticket.priority != priority:
        before = ticket.priority
        ticket.priority = priority
        touch(ticket, "priority")
        record_event(
            ticket, E.PRIORITY_CHANGED, by=by, before=before, after=priority, reason=reason
        )
        events.publish(
            events.PriorityChanged(
                ticket_id=ticket.pk, before=before, after=priority, by_id=by.pk if by else None
            )
        )
    return ticket


@transaction.atomic
def ticket_assign(
    *,
    ticket: Ticket,
    assignee: AbstractBaseUser | None,
    by: AbstractBaseUser | None,
    team: Team | None = None,
) -> Ticket:
    """Give the ticket to an agent (None: back to the queue), optionally moving it to another team
    of the same tier. An agent never holds a ticket above their tier."""
    ticket = lock_ticket(ticket)
    if by is not None:
        agent_profile(by)
    if ticket.status == S.CLOSED:
        raise TicketClosed(number=ticket.number)
    if assignee is not None:
        check_can_hold(assignee, ticket.tier)
    changed = []
    if team is not None and team.pk != ticket.team_id:
        if team.tier != ticket.tier:
            raise InvalidEscalation(from_tier=ticket.tier, to_tier=team.tier)
        before_team = ticket.team.name if ticket.team else None
        ticket.team = team
        changed.append("team")
        record_event(ticket, E.TEAM_CHANGED, by=by, before=before_team, after=team.name)
    new_assignee_id = assignee.pk if assignee else None
    if new_assignee_id != ticket.assignee_id:
        before = user_label(ticket.assignee)
        ticket.assignee = assignee
        changed.append("assignee")
        record_event(ticket, E.ASSIGNED, by=by, before=before, after=user_label(assignee))
        if assignee is not None:
            notify_agents(
                recipients=[assignee], kind=AgentNotification.Kind.ASSIGNED, ticket=ticket, actor=by
            )
    if changed:
        touch(ticket, *changed)
        events.publish(
            events.TicketAssigned(
                ticket_id=ticket.pk,
                assignee_id=ticket.assignee_id,
                team_id=ticket.team_id,
                by_id=by.pk if by else None,
            )
        )
    return ticket


@transaction.atomic
def ticket_claim(*, ticket: Ticket, by: AbstractBaseUser) -> Ticket:
    """Take an unassigned ticket. When two agents claim at once, the row lock makes exactly one
    win; the other gets AlreadyClaimed."""
    ticket = lock_ticket(ticket)
    if ticket.assignee_id == by.pk:
        return ticket
    if ticket.assignee_id is not None:
        raise AlreadyClaimed(number=ticket.number, assignee=ticket.assignee.get_username())
    if ticket.status == S.CLOSED:
        raise TicketClosed(number=ticket.number)
    check_can_hold(by, ticket.tier)
    ticket.assignee = by
    touch(ticket, "assignee")
    record_event(ticket, E.CLAIMED, by=by, before=None, after=by.get_username())
    if ticket.status == S.NEW:
        apply_status(ticket, S.OPEN, by=by)
    events.publish(
        events.TicketAssigned(
            ticket_id=ticket.pk, assignee_id=by.pk, team_id=ticket.team_id, by_id=by.pk
        )
    )
    return ticket


def least_loaded_team(tier: str) -> Team | None:
    """The team of that tier with the fewest open tickets (ties: by name), if there is one."""
    return (
        Team.objects.filter(tier=tier)
        .annotate(open_count=Count("tickets", filter=~Q(tickets__status__in=[S.SOLVED, S.CLOSED])))
        .order_by("open_count", "name")
        .first()
    )


def team_for_tier(tier: str) -> Team:
    team = least_loaded_team(tier)
    if team is None:
        raise NoTeamForTier(tier=tier)
    return team


def _move_tier(
    *,
    ticket: Ticket,
    to_tier: str,
    reason: str,
    by: AbstractBaseUser | None,
    team: Team | None,
    kind: str,
) -> Ticket:
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    if team is not None and team.tier != to_tier:
        raise InvalidEscalation(from_tier=team.tier, to_tier=to_tier)
    team = team or team_for_tier(to_tier)
    before = {
        "tier": ticket.tier,
        "team": ticket.team.name if ticket.team else None,
        "assignee": user_label(ticket.assignee),
    }
    ticket.tier = to_tier
    ticket.team = team
    if ticket.assignee is not None and not agent_profile(ticket.assignee).can_hold_tier(to_tier):
        ticket.assignee = None
    touch(ticket, "tier", "team", "assignee")
    after = {"tier": to_tier, "team": team.name, "assignee": user_label(ticket.assignee)}
    record_event(ticket, kind, by=by, before=before, after=after, reason=reason)
    return ticket


@transaction.atomic
def ticket_escalate(
    *,
    ticket: Ticket,
    reason: str,
    by: AbstractBaseUser | None,
    to_tier: str | None = None,
    team: Team | None = None,
) -> Ticket:
    """Move the ticket up a tier (N1 -> N2 -> N3) into a team of that tier, with a reason.
    `by` is None when the SLA engine escalates a breach. The assignee stays only if their tier
    allows it."""
    ticket = lock_ticket(ticket)
    if by is not None:
        agent_profile(by)
    if ticket.status == S.CLOSED:
        raise TicketClosed(number=ticket.number)
    current = tier_rank(ticket.tier)
    if to_tier is None:
        if current + 1 >= len(TIER_ORDER):
            raise InvalidEscalation(from_tier=ticket.tier, to_tier="—")
        to_tier = TIER_ORDER[current + 1]
    if tier_rank(to_tier) <= current:
        raise InvalidEscalation(from_tier=ticket.tier, to_tier=to_tier)
    from_tier = ticket.tier
    ticket = _move_tier(
        ticket=ticket, to_tier=to_tier, reason=reason, by=by, team=team, kind=E.ESCALATED
    )
    events.publish(
        events.TicketEscalated(
            ticket_id=ticket.pk,
            from_tier=from_tier,
            to_tier=to_tier,
            by_system=by is None,
            by_id=by.pk if by else None,
        )
    )
    return ticket


@transaction.atomic
def ticket_deescalate(
    *,
    ticket: Ticket,
    reason: str,
    by: AbstractBaseUser,
    to_tier: str | None = None,
    team: Team | None = None,
) -> Ticket:
    """Send the ticket back down a tier with a reason. Only an agent who may hold the ticket's
    current tier (or a manager) can send it down."""
    ticket = lock_ticket(ticket)
    profile = agent_profile(by)
    if not (profile.is_manager or profile.can_hold_tier(ticket.tier)):
        raise TierNotAllowed(
            agent=by.get_username(), agent_tier=profile.tier, ticket_tier=ticket.tier
        )
    if ticket.status == S.CLOSED:
        raise TicketClosed(number=ticket.number)
    current = tier_rank(ticket.tier)
    if to_tier is None:
        if current == 0:
            raise InvalidEscalation(from_tier=ticket.tier, to_tier="—")
        to_tier = TIER_ORDER[current - 1]
    if tier_rank(to_tier) >= current:
        raise InvalidEscalation(from_tier=ticket.tier, to_tier=to_tier)
    from_tier = ticket.tier
    ticket = _move_tier(
        ticket=ticket, to_tier=to_tier, reason=reason, by=by, team=team, kind=E.DEESCALATED
    )
    events.publish(
        events.TicketDeescalated(
            ticket_id=ticket.pk, from_tier=from_tier, to_tier=to_tier, by_id=by.pk if by else None
        )
    )
    return ticket


def _tag_names(names: Iterable[str]) -> list[str]:
    cleaned = {slugify(name, allow_unicode=True)[:64] for name in names}
    return sorted(name for name in cleaned if name)


def _apply_tags(
    ticket: Ticket, *, add: Iterable[str], remove: Iterable[str], by: AbstractBaseUser | None
) -> bool:
    add_names, remove_names = _tag_names(add), _tag_names(remove)
    before = sorted(ticket.tags.values_list("name", flat=True))
    if add_names:
        Tag.objects.bulk_create([Tag(name=name) for name in add_names], ignore_conflicts=True)
        ticket.tags.add(*Tag.objects.filter(name__in=add_names))
    if remove_names:
        ticket.tags.remove(*Tag.objects.filter(name__in=remove_names))
    after = sorted(ticket.tags.values_list("name", flat=True))
    if before == after:
        return False
    record_event(ticket, E.TAGS_CHANGED, by=by, before=before, after=after)
    events.publish(
        events.TagsChanged(
            ticket_id=ticket.pk, before=before, after=after, by_id=by.pk if by else None
        )
    )
    return True


@transaction.atomic
def ticket_tag(
    *,
    ticket: Ticket,
    by: AbstractBaseUser | None,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    exactly: Iterable[str] | None = None,
) -> Ticket:
    """Add and remove tags; or, with `exactly`, leave the ticket with just those (compared
    under the lock, as stored: "Boleto atrasado" is boleto-atrasado)."""
    ticket = lock_ticket(ticket)
    if by is not None:
        agent_profile(by)
    if exactly is not None:
        wanted = set(_tag_names(exactly))
        current = set(ticket.tags.values_list("name", flat=True))
        add, remove = wanted - current, current - wanted
    if _apply_tags(ticket, add=add, remove=remove, by=by):
        touch(ticket)
    return ticket


@transaction.atomic
def ticket_merge(*, source: Ticket, target: Ticket, by: AbstractBaseUser | None) -> Ticket:
    """Fold `source` into `target`: its messages and tags move over, it closes pointing at the
    target. Both tickets record it. Returns the target."""
    if source.pk == target.pk:
        raise InvalidMerge(why=gettext("a ticket cannot be merged into itself"))
    if by is not None:
        agent_profile(by)
    # Lock in id order so that two opposite merges cannot deadlock.
    locked = {
        t.pk: t
        for t in Ticket.objects.select_for_update()
        .filter(pk__in=[source.pk, target.pk])
        .order_by("pk")
    }
    source, target = locked[source.pk], locked[target.pk]
    if source.status not in status.MERGEABLE:
        raise InvalidMerge(why=gettext("#%(number)s is closed") % {"number": source.number})
    if target.status == S.CLOSED:
        raise InvalidMerge(why=gettext("#%(number)s is closed") % {"number": target.number})
    if source.merged_into_id or target.merged_into_id:
        raise InvalidMerge(why=gettext("one of them was already merged"))

    moved = Message.objects.filter(ticket=source).update(ticket=target)
    source_tags = list(source.tags.values_list("name", flat=True))
    if source_tags:
        _apply_tags(target, add=source_tags, remove=(), by=by)
    now = timezone.now()
    for field in ("last_customer_message_at", "last_agent_reply_at"):
        value = max(
            (v for v in (getattr(source, field), getattr(target, field)) if v), default=None
        )
        setattr(target, field, value)
    if target.first_response_at is None:
        target.first_response_at = source.first_response_at
    touch(target, "last_customer_message_at", "last_agent_reply_at", "first_response_at")

    before_status = source.status
    source.status = S.CLOSED
    source.closed_at = now
    source.merged_into = target
    touch(source, "status", "closed_at", "merged_into")
    record_event(
        source,
        E.MERGED,
        by=by,
        before=before_status,
        after=S.CLOSED,
        into=target.number,
        messages_moved=moved,
    )
    record_event(target, E.MERGE_RECEIVED, by=by, merged=source.number, messages_moved=moved)
    events.publish(
        events.TicketMerged(
            ticket_id=target.pk,
            source_id=source.pk,
            messages_moved=moved,
            by_id=by.pk if by else None,
        )
    )
    return target


@transaction.atomic
def tickets_close_stale_solved(*, solved_before: datetime, limit: int = 500) -> int:
    """Close, in bulk, tickets solved before the cutoff (the customer did not write back).
    Returns how many closed; the periodic task calls it until it returns 0."""
    candidates = Ticket.objects.filter(status=S.SOLVED, solved_at__lt=solved_before)
    rows = list(
        candidates.select_for_update(skip_locked=True)
        .order_by("solved_at")
        .values_list("pk", flat=True)[:limit]
    )
    if not rows:
        return 0
    now = timezone.now()
    closed = Ticket.objects.filter(pk__in=rows, status=S.SOLVED).update(
        status=S.CLOSED, closed_at=now, updated_at=now
    )
    TicketEvent.objects.bulk_create(
        TicketEvent(
            ticket_id=pk,
            kind=E.STATUS_CHANGED,
            before=S.SOLVED,
            after=S.CLOSED,
            data={"automatic": "close_after_solved"},
            created_at=now,
        )
        for pk in rows
    )
    for pk in rows:
        events.publish(events.StatusChanged(ticket_id=pk, before=S.SOLVED, after=S.CLOSED))
    return closed
