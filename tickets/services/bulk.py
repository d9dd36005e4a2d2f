"""Bulk actions from the inbox: one change to many tickets, each made by the same service a single
ticket uses (transition table, tier checks, audit rows, domain events), each in its own savepoint
so that a refusal on one ticket leaves the others changed."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import selectors
from ..errors import InvalidChoice, InvalidMerge, TicketError
from ..models import Ticket
from ._common import agent_profile
from .tickets import (
    ticket_assign,
    ticket_change_priority,
    ticket_change_status,
    ticket_merge,
    ticket_tag,
)

ACTIONS = ("assign", "status", "priority", "tag", "merge")
MAX_TICKETS = 500


class BulkTooLarge(TicketError):
    code = "bulk_too_large"
    default_message = _("Choose at most %(limit)s tickets at a time.")


@dataclass
class BulkResult:
    updated: list[int] = field(default_factory=list)  # ticket numbers
    failed: list[tuple[int, str]] = field(default_factory=list)  # (number, why)
    out_of_reach: int = 0  # tickets gone or no longer in the agent's scope (numbers not shown)
    merged_into: int | None = None  # merge: the ticket the others went into


def _merge_target(scope, tickets: list[Ticket], number: int | None) -> Ticket:
    if number is None:
        if len(tickets) < 2:
            raise InvalidMerge(why=gettext("select at least two tickets"))
        return min(tickets, key=lambda t: t.number)
    target = next((t for t in tickets if t.number == number), None)
    target = target or scope.filter(number=number).first()
    if target is None:
        raise InvalidMerge(why=gettext("there is no ticket #%(number)s") % {"number": number})
    return target


@transaction.atomic
def tickets_bulk_apply(
    *,
    agent: AbstractBaseUser,
    ticket_ids: Iterable[int],
    action: str,
    assignee: AbstractBaseUser | None = None,
    status: str = "",
    priority: str = "",
    tags: Iterable[str] = (),
    target_number: int | None = None,
) -> BulkResult:
    """Apply `action` to the tickets the agent may see among `ticket_ids`:
    assign (to `assignee`; None leaves them unassigned), status, priority, tag (adds `tags`), or
    merge (every selected ticket into ticket number `target_number`, by default the oldest
    selected one)."""
    agent_profile(agent)
    if action not in ACTIONS:
        raise InvalidChoice(field="action", value=action)
    ids = sorted({int(pk) for pk in ticket_ids})
    if len(ids) > MAX_TICKETS:
        raise BulkTooLarge(limit=MAX_TICKETS)
    if action == "status" and status not in Ticket.Status.values:
        raise InvalidChoice(field="status", value=status)
    if action == "priority" and priority not in Ticket.Priority.values:
        raise InvalidChoice(field="priority", value=priority)
    tags = [t for t in tags if t.strip()]
    if action == "tag" and not tags:
        raise InvalidChoice(field="tag", value="")

    # Scope is checked again here: the page that listed them may be old, or the form forged.
    scope = selectors.ticket_scope_for_agent(agent=agent)
    tickets = list(scope.filter(pk__in=ids).order_by("pk"))
    result = BulkResult(out_of_reach=len(ids) - len(tickets))
    if action == "merge":
        target = _merge_target(scope, tickets, target_number)
        result.merged_into = target.number
        tickets = [t for t in tickets if t.pk != target.pk]

    def apply(ticket: Ticket) -> None:
        if action == "assign":
            ticket_assign(ticket=ticket, assignee=assignee, by=agent)
        elif action == "status":
            ticket_change_status(ticket=ticket, to_status=status, by=agent)
        elif action == "priority":
            ticket_change_priority(ticket=ticket, priority=priority, by=agent)
        elif action == "tag":
            ticket_tag(ticket=ticket, add=tags, by=agent)
        else:
            ticket_merge(source=ticket, target=target, by=agent)

    for ticket in tickets:
        try:
            with transaction.atomic():
                apply(ticket)
        except TicketError as exc:
            result.failed.append((ticket.number, exc.message))
        else:
            result.updated.append(ticket.number)
    return result
