"""The two services the SLA engine writes tickets through (tickets/services/sla.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tickets import events, services
from tickets.models import Ticket, TicketEvent

E = TicketEvent.Kind


def test_sla_due_is_written_only_when_it_changes_and_is_no_update_of_the_ticket(ticket):
    due = timezone.now() + timedelta(hours=1)
    updated_at = Ticket.objects.get(pk=ticket.pk).updated_at

    assert services.ticket_set_sla_due(ticket_id=ticket.pk, due_at=due) is True
    assert services.ticket_set_sla_due(ticket_id=ticket.pk, due_at=due) is False
    assert services.ticket_set_sla_due(ticket_id=ticket.pk, due_at=None) is True
    assert services.ticket_set_sla_due(ticket_id=ticket.pk, due_at=None) is False

    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.sla_due_at is None
    assert stored.updated_at == updated_at


def test_sla_event_is_in_the_trail_at_its_moment_and_published(
    ticket, django_capture_on_commit_callbacks
):
    due = timezone.now() - timedelta(minutes=5)
    delivered = []
    events.subscribe(events.SLABreached)(delivered.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            event = services.ticket_record_sla_event(
                ticket_id=ticket.pk, kind=E.SLA_BREACHED, target="resolution", due_at=due, at=due
            )
    finally:
        events.unsubscribe(delivered.append)

    assert (event.kind, event.actor, event.created_at) == (E.SLA_BREACHED, None, due)
    assert event.data["target"] == "resolution"
    assert [(d.name, d.ticket_id, d.target) for d in delivered] == [
        ("sla.breached", ticket.pk, "resolution")
    ]


def test_only_sla_kinds_are_accepted(ticket):
    with pytest.raises(ValueError, match="Not an SLA event kind"):
        services.ticket_record_sla_event(
            ticket_id=ticket.pk, kind=E.ESCALATED, target="resolution", due_at=timezone.now()
        )
