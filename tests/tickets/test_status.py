"""The ticket status state machine: every status change goes through one table, every legal move
leaves a TicketEvent, every illegal one raises a coded error and changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.tickets.factories import UserFactory, make_ticket
from tickets import services, status
from tickets.errors import IllegalTransition, NotAnAgent
from tickets.models import Ticket, TicketEvent

S = Ticket.Status
E = TicketEvent.Kind

LEGAL = sorted(
    (before, after) for before, targets in status.TRANSITIONS.items() for after in targets
)
ILLEGAL = sorted(
    (before, after)
    for before in S.values
    for after in S.values
    if before != after and after not in status.TRANSITIONS[before]
)


def ticket_in(state, **changes):
    """A ticket already in `state` (solved tickets carry solved_at; closed ones closed_at too)."""
    now = timezone.now()
    if state == S.SOLVED:
        changes.setdefault("solved_at", now - timedelta(hours=1))
    if state == S.CLOSED:
        changes.setdefault("solved_at", now - timedelta(days=5))
        changes.setdefault("closed_at", now - timedelta(hours=1))
    return make_ticket(status=state, **changes)


def test_transition_table_is_the_documented_one():
    assert {
        S.NEW: {S.OPEN, S.PENDING, S.ON_HOLD, S.SOLVED},
        S.OPEN: {S.PENDING, S.ON_HOLD, S.SOLVED},
        S.PENDING: {S.OPEN, S.ON_HOLD, S.SOLVED},
        S.ON_HOLD: {S.OPEN, S.PENDING, S.SOLVED},
        S.SOLVED: {S.OPEN, S.CLOSED},
        S.CLOSED: set(),
    } == status.TRANSITIONS


def test_every_status_has_a_row_in_the_table():
    assert set(status.TRANSITIONS) == set(S.values)


@pytest.mark.parametrize(("before", "after"), LEGAL)
def test_legal_transition_changes_status(db, n1_agent, before, after):
    ticket = ticket_in(before)

    services.ticket_change_status(ticket=ticket, to_status=after, by=n1_agent)

    ticket.refresh_from_db()
    assert ticket.status == after


@pytest.mark.parametrize(("before", "after"), LEGAL)
def test_legal_transition_records_event_with_before_and_after(db, n1_agent, before, after):
    ticket = ticket_in(before)

    services.ticket_change_status(ticket=ticket, to_status=after, by=n1_agent, reason="motivo")

    event = ticket.events.order_by("-id").first()
    expected_kind = E.REOPENED if (before, after) == (S.SOLVED, S.OPEN) else E.STATUS_CHANGED
    assert (event.kind, event.before, event.after) == (expected_kind, before, after)
    assert event.actor == n1_agent
    assert event.reason == "motivo"


@pytest.mark.parametrize(("before", "after"), ILLEGAL)
def test_illegal_transition_raises_illegal_transition(db, n1_agent, before, after):
    ticket = ticket_in(before)

    with pytest.raises(IllegalTransition) as excinfo:
        services.ticket_change_status(ticket=ticket, to_status=after, by=n1_agent)

    assert excinfo.value.code == "illegal_transition"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (S.CLOSED, S.OPEN),
        (S.CLOSED, S.SOLVED),
        (S.NEW, S.CLOSED),
        (S.OPEN, S.NEW),
        (S.SOLVED, S.PENDING),
        (S.PENDING, S.CLOSED),
    ],
)
def test_illegal_transition_leaves_ticket_and_audit_trail_unchanged(db, n1_agent, before, after):
    ticket = ticket_in(before)
    row_before = Ticket.objects.filter(pk=ticket.pk).values().get()
    events_before = list(ticket.events.values_list("pk", flat=True))

    with pytest.raises(IllegalTransition):
        services.ticket_change_status(ticket=ticket, to_status=after, by=n1_agent)

    assert Ticket.objects.filter(pk=ticket.pk).values().get() == row_before
    assert list(ticket.events.values_list("pk", flat=True)) == events_before


def test_illegal_transition_message_names_both_statuses(db, n1_agent):
    ticket = ticket_in(S.CLOSED)

    with pytest.raises(IllegalTransition) as excinfo:
        services.ticket_change_status(ticket=ticket, to_status=S.OPEN, by=n1_agent)

    assert "Closed" in excinfo.value.message
    assert "Open" in excinfo.value.message


def test_changing_to_the_current_status_records_nothing(db, n1_agent):
    ticket = ticket_in(S.OPEN)
    events_before = ticket.events.count()

    services.ticket_change_status(ticket=ticket, to_status=S.OPEN, by=n1_agent)

    assert ticket.events.count() == events_before


def test_solved_to_open_is_a_reopen(db, n1_agent):
    ticket = ticket_in(S.SOLVED)

    ticket = services.ticket_change_status(ticket=ticket, to_status=S.OPEN, by=n1_agent)

    ticket.refresh_from_db()
    assert ticket.reopen_count == 1
    assert ticket.solved_at is None
    assert ticket.events.order_by("-id").first().kind == E.REOPENED


def test_each_reopen_counts(db, n1_agent):
    ticket = ticket_in(S.SOLVED)

    services.ticket_change_status(ticket=ticket, to_status=S.OPEN, by=n1_agent)
    services.ticket_change_status(ticket=ticket, to_status=S.SOLVED, by=n1_agent)
    services.ticket_change_status(ticket=ticket, to_status=S.OPEN, by=n1_agent)

    ticket.refresh_from_db()
    assert ticket.reopen_count == 2


@pytest.mark.parametrize("before", [S.NEW, S.OPEN, S.PENDING, S.ON_HOLD])
def test_moves_between_unsolved_statuses_are_not_reopens(db, n1_agent, before):
    ticket = ticket_in(before)
    target = S.PENDING if before != S.PENDING else S.OPEN

    services.ticket_change_status(ticket=ticket, to_status=target, by=n1_agent)

    ticket.refresh_from_db()
    assert ticket.reopen_count == 0
    assert not ticket.events.filter(kind=E.REOPENED).exists()


def test_solving_sets_solved_at(db, n1_agent):
    ticket = ticket_in(S.OPEN)
    start = timezone.now()

    services.ticket_change_status(ticket=ticket, to_status=S.SOLVED, by=n1_agent)

    ticket.refresh_from_db()
    assert ticket.solved_at is not None
    assert ticket.solved_at >= start
    assert ticket.closed_at is None


def test_closing_sets_closed_at_and_keeps_solved_at(db, n1_agent):
    ticket = ticket_in(S.SOLVED)
    solved_at = ticket.solved_at
    start = timezone.now()

    services.ticket_change_status(ticket=ticket, to_status=S.CLOSED, by=n1_agent)

    ticket.refresh_from_db()
    assert ticket.closed_at is not None
    assert ticket.closed_at >= start
    assert ticket.solved_at == solved_at


def test_status_change_moves_updated_at(db, n1_agent):
    ticket = ticket_in(S.OPEN, updated_at=timezone.now() - timedelta(days=1))
    old = ticket.updated_at

    services.ticket_change_status(ticket=ticket, to_status=S.PENDING, by=n1_agent)

    ticket.refresh_from_db()
    assert ticket.updated_at > old


def test_system_can_change_status_without_an_agent(db):
    ticket = ticket_in(S.OPEN)

    services.ticket_change_status(ticket=ticket, to_status=S.SOLVED, by=None)

    event = ticket.events.order_by("-id").first()
    assert event.kind == E.STATUS_CHANGED
    assert event.actor is None


def test_status_change_by_a_non_agent_is_refused(db):
    ticket = ticket_in(S.OPEN)
    outsider = UserFactory(username="curioso")

    with pytest.raises(NotAnAgent):
        services.ticket_change_status(ticket=ticket, to_status=S.SOLVED, by=outsider)

    ticket.refresh_from_db()
    assert ticket.status == S.OPEN


def test_status_change_works_from_a_stale_ticket_object(db, n1_agent):
    """The service reads the locked row, not the caller's copy."""
    ticket = ticket_in(S.OPEN)
    stale = Ticket.objects.get(pk=ticket.pk)
    services.ticket_change_status(ticket=ticket, to_status=S.SOLVED, by=n1_agent)

    with pytest.raises(IllegalTransition):
        services.ticket_change_status(ticket=stale, to_status=S.PENDING, by=n1_agent)


@pytest.mark.parametrize(("before", "after"), LEGAL)
def test_can_transition_agrees_with_the_table(before, after):
    assert status.can_transition(before, after)
    status.check_transition(before, after)


def test_closed_tickets_cannot_be_merged_but_all_others_can():
    assert set(S.values) - {S.CLOSED} == status.MERGEABLE
