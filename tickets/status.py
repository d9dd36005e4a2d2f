"""The ticket status state machine: the one table every status change goes through."""

from .errors import IllegalTransition, InvalidChoice
from .models import Ticket

S = Ticket.Status

TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.OPEN, S.PENDING, S.ON_HOLD, S.SOLVED}),
    S.OPEN: frozenset({S.PENDING, S.ON_HOLD, S.SOLVED}),
    S.PENDING: frozenset({S.OPEN, S.ON_HOLD, S.SOLVED}),
    S.ON_HOLD: frozenset({S.OPEN, S.PENDING, S.SOLVED}),
    # A solved ticket reopens when the customer writes back, or closes for good.
    S.SOLVED: frozenset({S.OPEN, S.CLOSED}),
    # Closed is final: a new message opens a follow-up ticket.
    S.CLOSED: frozenset(),
}

# Merging closes the merged ticket whatever its status, except one already closed.
MERGEABLE = frozenset(TRANSITIONS) - {S.CLOSED}


def allowed_transitions(from_status: str) -> frozenset[str]:
    return TRANSITIONS[S(from_status)]


def can_transition(from_status: str, to_status: str) -> bool:
    return S(to_status) in TRANSITIONS[S(from_status)]


def check_transition(from_status: str, to_status: str) -> None:
    if to_status not in S.values:
        raise InvalidChoice(field="status", value=to_status)
    if not can_transition(from_status, to_status):
        raise IllegalTransition(from_status=S(from_status).label, to_status=S(to_status).label)
