"""Pieces every ticket service shares: locking, agent checks, audit rows, ticket numbers."""

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from ..errors import NotAnAgent, TierNotAllowed
from ..models import AgentProfile, Team, Ticket, TicketEvent

TICKET_NUMBER_SEQUENCE = "tickets_ticket_number_seq"
logger = logging.getLogger(__name__)


def lock_ticket(ticket: Ticket | int) -> Ticket:
    """The ticket's current row, locked until the transaction ends (PostgreSQL; SQLite locks the
    whole database for writers, which serializes just the same)."""
    pk = ticket.pk if isinstance(ticket, Ticket) else ticket
    return Ticket.objects.select_for_update().get(pk=pk)


def touch(ticket: Ticket, *fields: str) -> None:
    """Save these fields of a locked ticket, and mark it updated now."""
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=[*fields, "updated_at"])


def agent_profile(user: AbstractBaseUser) -> AgentProfile:
    try:
        return user.agent_profile
    except AgentProfile.DoesNotExist as exc:
        raise NotAnAgent(user=user.get_username()) from exc


def check_can_hold(user: AbstractBaseUser, tier: str) -> None:
    profile = agent_profile(user)
    if not profile.can_hold_tier(tier):
        raise TierNotAllowed(agent=user.get_username(), agent_tier=profile.tier, ticket_tier=tier)


def record_event(
    ticket: Ticket | int,
    kind: str,
    *,
    by: AbstractBaseUser | None = None,
    before: Any = None,
    after: Any = None,
    reason: str = "",
    at: datetime | None = None,
    **data: Any,
) -> TicketEvent:
    """One audit row. `at` places it at the moment it happened when that is not now (a breach
    found late belongs at its due time)."""
    row = audit_row(ticket, kind, by=by, before=before, after=after, reason=reason, at=at, **data)
    row.save(force_insert=True)
    return row


def audit_row(
    ticket: Ticket | int,
    kind: str,
    *,
    by: AbstractBaseUser | None = None,
    before: Any = None,
    after: Any = None,
    reason: str = "",
    at: datetime | None = None,
    **data: Any,
) -> TicketEvent:
    """An audit row not saved yet, for a flow that writes several at once (bulk_create)."""
    return TicketEvent(
        ticket_id=ticket.pk if isinstance(ticket, Ticket) else ticket,
        kind=kind,
        actor=by,
        before=before,
        after=after,
        reason=reason,
        data=data,
        created_at=at or timezone.now(),
    )


def next_ticket_number_and_teams(tier: str) -> tuple[int, list[Team]]:
    """A new ticket's number and the teams of `tier` by name (their id and name read, the rest
    deferred): one round trip on PostgreSQL (they are needed together for every new ticket)."""
    numbers, teams = next_ticket_numbers_and_teams(tier, count=1)
    return numbers[0], teams


def next_ticket_numbers_and_teams(tier: str, *, count: int) -> tuple[list[int], list[Team]]:
    """The numbers of `count` new tickets, in order, and the teams of `tier`, as above."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT ARRAY(SELECT nextval(%s) FROM generate_series(1, %s)), "
                "ARRAY(SELECT id FROM tickets_team WHERE tier = %s ORDER BY name, id), "
                "ARRAY(SELECT name FROM tickets_team WHERE tier = %s ORDER BY name, id)",
                [TICKET_NUMBER_SEQUENCE, count, tier, tier],
            )
            numbers, ids, names = cursor.fetchone()
    else:
        first = next_ticket_number()  # SQLite: one writer at a time, these are ours
        numbers = list(range(first, first + count))
        rows = Team.objects.filter(tier=tier).order_by("name", "pk").values_list("pk", "name")
        ids, names = [pk for pk, _ in rows], [name for _, name in rows]
    rows = zip(ids, names, strict=True)
    return sorted(numbers), [Team.from_db(connection.alias, ["id", "name"], row) for row in rows]


def next_ticket_number() -> int:
    """PostgreSQL hands out numbers from a sequence, without locks. SQLite (embedded mode) has a
    single writer at a time, so the highest number plus one is safe there."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s)", [TICKET_NUMBER_SEQUENCE])
            return cursor.fetchone()[0]
    start = settings.JORNADA["TICKET_NUMBER_START"]
    highest = Ticket.objects.aggregate(highest=Max("number"))["highest"]
    return max(start, (highest or 0) + 1)


def user_label(user: AbstractBaseUser | None) -> str | None:
    return None if user is None else user.get_username()


def all_or_none(receive: Callable[[], dict], *, count: int, what: str, taken: str) -> dict:
    """What `receive()` returns, written in a savepoint: or, should it fail, nothing of it and {},
    so that the caller's message_receive takes each of the `count` messages (`what`) as it
    always does. An IntegrityError is expected now and then (`taken`: what another worker did
    meanwhile); anything else is logged with its traceback."""
    try:
        with transaction.atomic():
            return receive()
    except IntegrityError:
        logger.info("%s %s received one at a time: %s", count, what, taken)
    except Exception:
        logger.warning(
            "%s %s could not be received together; one at a time instead",
            count,
            what,
            exc_info=True,
        )
    return {}
