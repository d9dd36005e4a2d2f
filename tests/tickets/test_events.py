"""Domain events: delivered to subscribers only after the transaction commits, never when it rolls
back; one failing subscriber does not stop the others; only known events exist."""

import logging
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from tests.tickets.factories import CustomerFactory, make_inbound, make_ticket
from tickets import events, services
from tickets.errors import ReasonRequired
from tickets.models import Channel, Ticket, Tier

S = Ticket.Status


@pytest.fixture
def subscribe():
    """Subscribe a function for the test only: every subscription is removed at teardown."""
    registered = []

    def add(func, *names):
        events.subscribe(*names)(func)
        registered.extend((name, func) for name in names)
        return func

    yield add
    for name, func in registered:
        events.unsubscribe(name, func)


@pytest.fixture
def received(subscribe):
    """Every domain event delivered during the test, in order."""
    delivered = []
    subscribe(delivered.append, *sorted(events.ALL_EVENTS))
    return delivered


def names(delivered):
    return [event.name for event in delivered]


class Abort(Exception):
    pass


def open_then_fail(ticket, by):
    """A status change followed, in the same transaction, by a failure that rolls it all back."""
    with transaction.atomic():
        services.ticket_change_status(ticket=ticket, to_status=S.OPEN, by=by)
        raise Abort


def test_event_is_delivered_after_commit(
    received, ticket, n1_agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_change_status(ticket=ticket, to_status=S.OPEN, by=n1_agent)
        assert received == []

    assert received == [
        events.DomainEvent(
            name=events.TICKET_STATUS_CHANGED,
            ticket_id=ticket.pk,
            data={"before": S.NEW, "after": S.OPEN, "by_id": n1_agent.pk},
        )
    ]


def test_event_is_not_delivered_before_the_transaction_ends(received, ticket, n1_agent):
    # pytest-django wraps each test in a transaction that never commits.
    services.ticket_change_status(ticket=ticket, to_status=S.OPEN, by=n1_agent)

    assert received == []


def test_event_is_not_delivered_when_the_transaction_rolls_back(
    received, ticket, n1_agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Abort):
        open_then_fail(ticket, n1_agent)

    assert received == []
    assert callbacks == []
    ticket.refresh_from_db()
    assert ticket.status == S.NEW


def test_only_the_committed_part_is_delivered(
    received, ticket, n1_agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_change_priority(ticket=ticket, priority="high", by=n1_agent)
        with pytest.raises(Abort):
            open_then_fail(ticket, n1_agent)

    assert names(received) == [events.TICKET_PRIORITY_CHANGED]


def test_refused_change_publishes_nothing(
    received, ticket, n1_agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ReasonRequired):
        services.ticket_escalate(ticket=ticket, reason="   ", by=n1_agent)

    assert received == []


def test_failing_subscriber_does_not_stop_the_others(
    subscribe, received, ticket, n1_agent, django_capture_on_commit_callbacks, caplog
):
    calls = []

    def broken(event):
        calls.append("broken")
        raise RuntimeError("webhook endpoint down")

    def healthy(event):
        calls.append("healthy")

    subscribe(broken, events.TICKET_STATUS_CHANGED)
    subscribe(healthy, events.TICKET_STATUS_CHANGED)

    with (
        caplog.at_level(logging.ERROR, logger="tickets.events"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.ticket_change_status(ticket=ticket, to_status=S.OPEN, by=n1_agent)

    assert calls == ["broken", "healthy"]
    assert names(received) == [events.TICKET_STATUS_CHANGED]
    assert "webhook endpoint down" in caplog.text


def test_failing_subscriber_does_not_undo_the_change(
    subscribe, ticket, n1_agent, django_capture_on_commit_callbacks
):
    def broken(event):
        raise RuntimeError

    subscribe(broken, events.TICKET_STATUS_CHANGED)

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_change_status(ticket=ticket, to_status=S.OPEN, by=n1_agent)

    ticket.refresh_from_db()
    assert ticket.status == S.OPEN


def test_subscriber_gets_only_the_events_it_asked_for(
    subscribe, ticket, n1_agent, django_capture_on_commit_callbacks
):
    got = []
    subscribe(got.append, events.TICKET_PRIORITY_CHANGED)

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_change_status(ticket=ticket, to_status=S.OPEN, by=n1_agent)
        services.ticket_change_priority(ticket=ticket, priority="urgent", by=n1_agent)

    assert names(got) == [events.TICKET_PRIORITY_CHANGED]


def test_subscribing_twice_delivers_once(
    subscribe, ticket, n1_agent, django_capture_on_commit_callbacks
):
    got = []
    subscribe(got.append, events.TICKET_STATUS_CHANGED)
    subscribe(got.append, events.TICKET_STATUS_CHANGED)

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_change_status(ticket=ticket, to_status=S.OPEN, by=n1_agent)

    assert len(got) == 1


def test_unsubscribed_function_is_not_called(ticket, n1_agent, django_capture_on_commit_callbacks):
    got = []
    events.subscribe(events.TICKET_STATUS_CHANGED)(got.append)
    events.unsubscribe(events.TICKET_STATUS_CHANGED, got.append)

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_change_status(ticket=ticket, to_status=S.OPEN, by=n1_agent)

    assert got == []


def test_subscribing_to_an_unknown_event_is_refused():
    with pytest.raises(ValueError, match="ticket_exploded"):
        events.subscribe(events.TICKET_CREATED, "ticket_exploded")


def test_publishing_an_unknown_event_is_refused(db):
    with pytest.raises(ValueError, match="ticket_exploded"):
        events.publish("ticket_exploded", ticket_id=1)


# --- which service publishes what --------------------------------------------------------------


def test_message_receive_publishes_ticket_created_and_message_received(
    received, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = services.message_receive(incoming=make_inbound())

    assert names(received) == [events.TICKET_CREATED, events.MESSAGE_RECEIVED]
    assert received[1].ticket_id == result.ticket.pk
    assert received[1].data == {
        "message_id": result.message.pk,
        "created_ticket": True,
        "auto_reply": False,
    }


def test_duplicate_message_publishes_nothing(received, db, django_capture_on_commit_callbacks):
    services.message_receive(incoming=make_inbound(external_id="<same@mail>"))

    with django_capture_on_commit_callbacks(execute=True):
        services.message_receive(incoming=make_inbound(external_id="<same@mail>"))

    assert received == []


def test_reply_and_note_publish_their_events(
    received, ticket, n1_agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.message_reply(ticket=ticket, by=n1_agent, body_text="Olá")
        note = services.note_add(ticket=ticket, by=n1_agent, body_text="Nota")

    # The email channel reacts to REPLY_QUEUED by trying to deliver (and publishes its result).
    own = [event for event in received if event.name != events.DELIVERY_UPDATED]
    assert names(own) == [
        events.TICKET_STATUS_CHANGED,
        events.REPLY_QUEUED,
        events.NOTE_ADDED,
    ]
    assert own[1].data == {"message_id": reply.pk, "channel": Channel.EMAIL, "by_id": n1_agent.pk}
    assert own[2].data == {"message_id": note.pk, "by_id": n1_agent.pk}


def test_escalation_events_say_who_escalated(
    received, ticket, n2_agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_escalate(ticket=ticket, reason="SLA violado", by=None)
        services.ticket_deescalate(ticket=ticket, reason="Dúvida simples", by=n2_agent)

    assert [(e.name, e.data) for e in received] == [
        (
            events.TICKET_ESCALATED,
            {"from_tier": Tier.N1, "to_tier": Tier.N2, "by_system": True, "by_id": None},
        ),
        (
            events.TICKET_DEESCALATED,
            {"from_tier": Tier.N2, "to_tier": Tier.N1, "by_id": n2_agent.pk},
        ),
    ]


def test_assign_claim_and_tags_publish_their_events(
    received, ticket, n1_agent, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_claim(ticket=ticket, by=n1_agent)
        services.ticket_assign(ticket=ticket, assignee=None, by=manager)
        services.ticket_tag(ticket=ticket, by=n1_agent, add=["boleto"])

    assert names(received) == [
        events.TICKET_STATUS_CHANGED,
        events.TICKET_ASSIGNED,
        events.TICKET_ASSIGNED,
        events.TICKET_TAGS_CHANGED,
    ]
    assert received[1].data["assignee_id"] == n1_agent.pk
    assert received[2].data["assignee_id"] is None
    assert received[3].data == {"before": [], "after": ["boleto"], "by_id": n1_agent.pk}


def test_merges_publish_their_events(received, db, manager, django_capture_on_commit_callbacks):
    customer, other = CustomerFactory(), CustomerFactory()
    source, target = make_ticket(customer=customer), make_ticket(customer=customer)
    make_ticket(customer=other)

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_merge(source=source, target=target, by=manager)
        services.customer_merge(source=other, target=customer, by=manager)

    assert [(e.name, e.ticket_id) for e in received] == [
        (events.TICKET_MERGED, target.pk),
        (events.CUSTOMER_MERGED, None),
    ]
    assert received[1].data == {
        "source_id": other.pk,
        "target_id": customer.pk,
        "identities_moved": 0,
        "tickets_moved": 1,
    }


def test_stale_solved_closing_publishes_a_status_change_per_ticket(
    received, db, django_capture_on_commit_callbacks
):
    old = timezone.now() - timedelta(days=30)
    closed = [make_ticket(status=S.SOLVED, solved_at=old) for _ in range(2)]

    with django_capture_on_commit_callbacks(execute=True):
        services.tickets_close_stale_solved(solved_before=timezone.now())

    assert sorted((e.name, e.ticket_id, e.data["after"]) for e in received) == sorted(
        (events.TICKET_STATUS_CHANGED, t.pk, S.CLOSED) for t in closed
    )
