"""How a ticket is born: ticket_create, and the pieces it shares with the messages that open
tickets (message_receive one at a time, messages_receive_openings many together)."""

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from .. import events, registries
from ..errors import InvalidEscalation
from ..models import Customer, Team, Ticket, TicketEvent, Tier
from ..sanitize import single_line
from ._common import audit_row, next_ticket_number_and_teams
from .tickets import _apply_tags, _tag_names

E = TicketEvent.Kind


def ticket_create(
    *,
    customer: Customer,
    subject: str,
    channel: str,
    priority: str = Ticket.Priority.NORMAL,
    team: Team | None = None,
    by: AbstractBaseUser | None = None,
    language: str | None = None,
    tags: Iterable[str] = (),
    customer_message_at: datetime | None = None,
) -> Ticket:
    """Open a ticket for a customer (`customer_message_at`: when their message that opens it
    arrived). New tickets start at N1 (a team of another tier cannot receive them: they get
    there by escalation); without a team, the routing hooks may choose one, else they take the
    N1 teams in turn, where dispatchers route them further."""
    if team is not None and team.tier != Tier.N1:
        raise InvalidEscalation(from_tier=Tier.N1, to_tier=team.tier)
    # No savepoint of its own inside a caller's transaction: what fails in here fails the
    # caller's work too (the checks that may be caught come first).
    with transaction.atomic(savepoint=False):
        ticket, created = ticket_open(
            customer=customer,
            subject=subject,
            channel=channel,
            priority=priority,
            team=team,
            by=by,
            language=language,
            customer_message_at=customer_message_at,
            tags=tags,
        )
        created.save(force_insert=True)
        if tags:
            _apply_tags(ticket, add=tags, remove=(), by=by)
    return ticket


def ticket_open(*, by: AbstractBaseUser | None = None, **fields) -> tuple[Ticket, TicketEvent]:
    """The ticket row of ticket_create (`fields`: ticket_row's, but its number and teams), saved,
    and its "created" audit row for the caller to save (with its own rows, in one INSERT).
    Inside the caller's transaction; checks done by the caller."""
    number, teams = next_ticket_number_and_teams(Tier.N1)
    ticket, routing = ticket_row(number=number, teams=teams, **fields)
    ticket.save(force_insert=True)
    return ticket, ticket_opened(ticket, routing=routing, by=by)


def ticket_row(
    *,
    number: int,
    teams: list[Team],
    customer: Customer,
    subject: str,
    channel: str,
    priority: str = Ticket.Priority.NORMAL,
    team: Team | None = None,
    language: str | None = None,
    customer_message_at: datetime | None = None,
    tags: Iterable[str] = (),
    text: str = "",
    route: bool = True,
) -> tuple[Ticket, dict]:
    """A new ticket's row, not saved yet (a batch of them is written in one INSERT), and what
    routing chose, for its audit row. `teams`: the N1 teams (next_ticket_numbers_and_teams).
    `tags` (given to it right after by the caller) and `text` (its opening message) are told to
    the routing hooks only; `route=False` asks them nothing (the caller changes the ticket
    further in its transaction: the rules' task routes what it becomes)."""
    subject = single_line(subject)[:255] or _no_subject(language or customer.language)
    language = language or customer.language
    routed = None
    if route and team is None and teams and registries.routing_hooks.has_entries():
        described = registries.NewTicket(
            channel=channel,
            priority=priority,
            language=language,
            subject=subject,
            customer_segment=customer.segment,
            customer_language=customer.language,
            organization_id=customer.organization_id,
            tags=frozenset(_tag_names(tags)),
            text=text,
        )
        routed = registries.route_new_ticket(ticket=described, teams=teams)
    if routed is not None:
        team = routed[0]
    elif team is None and teams:
        # The N1 teams take new tickets in turn, by number: constant work however many tickets
        # are open. Routing rules choose better; this is the default without them.
        team = teams[number % len(teams)]
    now = timezone.now()
    ticket = Ticket(
        number=number,
        subject=subject,
        channel=channel,
        priority=priority,
        customer=customer,
        team=team,
        language=language,
        last_customer_message_at=customer_message_at,
        created_at=now,
        updated_at=now,
    )
    routing = {"team": team.name, "routing_rule": routed[1]} if routed is not None else {}
    return ticket, routing


def ticket_opened(
    ticket: Ticket, *, routing: dict, by: AbstractBaseUser | None = None
) -> TicketEvent:
    """A saved new ticket's "created" audit row (not saved: the caller writes its rows in one
    INSERT), and its domain event."""
    created = audit_row(
        ticket,
        E.CREATED,
        by=by,
        after={"status": ticket.status, "priority": ticket.priority, "tier": ticket.tier},
        channel=ticket.channel,
        **routing,
    )
    by_id = by.pk if by else None
    events.publish(
        events.TicketCreated(ticket_id=ticket.pk, channel=ticket.channel, by_id=by_id),
        ticket=ticket,
    )
    return created


def _no_subject(language: str) -> str:
    with translation.override(language):
        return gettext("(no subject)")
