"""The two services the SLA engine writes tickets through (tickets/services/sla.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.tickets.factories import make_ticket
from tickets import events, services
from tickets.models import Ticket, TicketEvent

E = TicketEvent.Kind


def test_sla_due_of_many_tickets_is_one_update_and_no_update_of_the_tickets(
    ticket, customer, django_assert_num_queries
):
    other = make_ticket(customer=customer)
    due = timezone.now() + timedelta(hours=1)
    updated_at = {t.pk: Ticket.objects.get(pk=t.pk).updated_at for t in (ticket, other)}

    with django_assert_num_queries(1):
        written = services.tickets_set_sla_due(due_at_by_ticket={ticket.pk: due, other.pk: None})

    assert written == 2
    stored = {t.pk: t for t in Ticket.objects.filter(pk__in=updated_at)}
    assert (stored[ticket.pk].sla_due_at, stored[other.pk].sla_due_at) == (due, None)
    assert {pk: t.updated_at for pk, t in stored.items()} == updated_at
    assert services.tickets_set_sla_due(due_at_by_ticket={}) == 0


def test_sla_times_given_for_some_tickets_leave_the_others_alone(ticket, customer):
    other = make_ticket(customer=customer)
    due, warn = timezone.now() + timedelta(hours=2), timezone.now() + timedelta(hours=1)
    services.tickets_set_sla_due(
        due_at_by_ticket={ticket.pk: due, other.pk: due},
        warn_at_by_ticket={ticket.pk: warn, other.pk: warn},
    )

    later = due + timedelta(hours=1)
    written = services.tickets_set_sla_due(
        due_at_by_ticket={ticket.pk: later}, warn_at_by_ticket={other.pk: None}
    )

    assert written == 2
    stored = {t.pk: (t.sla_due_at, t.sla_warn_at) for t in Ticket.objects.all()}
    assert stored[ticket.pk] == (later, warn)
    assert stored[other.pk] == (due, None)


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
