"""Domain events: delivered to subscribers only after the transaction commits, never when it rolls
back; the events of one transaction (or of a batch) reach batch subscribers together; one failing
subscriber does not stop the others; only typed events with a public name exist."""

import json
import logging
import re
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from tests.tickets.factories import AgentFactory, CustomerFactory, make_inbound, make_ticket
from tickets import events, services
from tickets.errors import ReasonRequired
from tickets.models import Channel, Ticket, Tier

S = Ticket.Status


@pytest.fixture
def subscribe():
    """Subscribe a function for the test only: every subscription is removed at teardown."""
    registered = []

    def add(func, *types):
        events.subscribe(*types)(func)
        registered.append(func)
        return func

    yield add
    for func in registered:
        events.unsubscribe(func)


@pytest.fixture
def received(subscribe):
    """Every domain event delivered during the test, in order."""
    delivered = []
    subscribe(delivered.append, events.DomainEvent)
    return delivered


def names(delivered):
    return [event.name for event in delivered]


class Abort(Exception):
    pass


def failing(action):
    """Run the action in a transaction (a savepoint, if one is open) that then rolls back."""
    with transaction.atomic():
        action()
        raise Abort


def make_agent():
    return AgentFactory(tier=Tier.N1, is_manager=True).user


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
        events.StatusChanged(ticket_id=ticket.pk, before=S.NEW, after=S.OPEN, by_id=n1_agent.pk)
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

    assert names(received) == [events.PriorityChanged.name]


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

    subscribe(broken, events.StatusChanged)
    subscribe(healthy, events.StatusChanged)

    with (
        caplog.at_level(logging.ERROR, logger="tickets.events"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.ticket_change_status(ticket=ticket, to_status=S.OPEN, by=n1_agent)

    assert calls == ["broken", "healthy"]
    assert names(received) == [events.StatusChanged.name]
    assert "webhook endpoint down" in caplog.text


def test_failing_subscriber_does_not_undo_the_change(
    subscribe, ticket, n1_agent, django_capture_on_commit_callbacks
):
    def broken(event):
        raise RuntimeError

    subscribe(broken, events.StatusChanged)

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_change_status(ticket=ticket, to_status=S.OPEN, by=n1_agent)

    ticket.refresh_from_db()
    assert ticket.status == S.OPEN


def test_subscriber_gets_only_the_events_it_asked_for(
    subscribe, ticket, n1_agent, django_capture_on_commit_callbacks
):
    got = []
    subscribe(got.append, events.PriorityChanged)

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_change_status(ticket=ticket, to_status=S.OPEN, by=n1_agent)
        services.ticket_change_priority(ticket=ticket, priority="urgent", by=n1_agent)

    assert names(got) == [events.PriorityChanged.name]


def test_subscribing_twice_delivers_once(
    subscribe, ticket, n1_agent, django_capture_on_commit_callbacks
):
    got = []
    subscribe(got.append, events.StatusChanged)
    subscribe(got.append, events.StatusChanged)

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_change_status(ticket=ticket, to_status=S.OPEN, by=n1_agent)

    assert len(got) == 1


def test_unsubscribed_function_is_not_called(ticket, n1_agent, django_capture_on_commit_callbacks):
    got = []
    events.subscribe(events.StatusChanged)(got.append)
    events.unsubscribe(got.append)

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_change_status(ticket=ticket, to_status=S.OPEN, by=n1_agent)

    assert got == []


def test_subscribing_to_an_unknown_event_is_refused():
    with pytest.raises(ValueError, match="ticket_exploded"):
        events.subscribe(events.TicketCreated, "ticket_exploded")


def test_publishing_an_unknown_event_is_refused(db):
    with pytest.raises(ValueError, match="ticket_exploded"):
        events.publish("ticket_exploded")


def test_every_event_has_a_unique_public_dotted_name_and_a_json_payload():
    assert len(events.ALL) == len({event.name for event in events.ALL}) >= 17
    assert all(re.fullmatch(r"[a-z]+\.[a-z_]+", event.name) for event in events.ALL)
    event = events.TicketEscalated(ticket_id=7, from_tier="N1", to_tier="N2", by_id=3)
    assert json.loads(json.dumps(event.payload())) == {
        "event": "ticket.escalated",
        "version": 1,
        "ticket_id": 7,
        "by_id": 3,
        "from_tier": "N1",
        "to_tier": "N2",
        "by_system": False,
    }


def test_payload_fields_are_checked_when_the_event_is_made():
    with pytest.raises(TypeError):
        events.StatusChanged(ticket_id=1, before="new")  # no `after`


# --- batches: one delivery per transaction, or per batch() -------------------------------------


@pytest.fixture
def batches():
    delivered = []
    events.subscribe_batch(events.DomainEvent)(delivered.append)
    yield delivered
    events.unsubscribe(delivered.append)


def test_the_events_of_one_transaction_reach_a_batch_subscriber_in_one_call(
    batches, ticket, n1_agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.ticket_change_status(ticket=ticket, to_status=S.OPEN, by=n1_agent)
        services.ticket_change_priority(ticket=ticket, priority="high", by=n1_agent)
        with pytest.raises(Abort):  # this savepoint's event is not delivered
            failing(lambda: services.ticket_tag(ticket=ticket, by=n1_agent, add=["boleto"]))

    assert [[event.name for event in batch] for batch in batches] == [
        [events.StatusChanged.name, events.PriorityChanged.name]
    ]


def test_a_batch_holds_deliveries_until_it_ends(
    batches, received, ticket, n1_agent, django_capture_on_commit_callbacks
):
    with events.batch():
        with django_capture_on_commit_callbacks(execute=True):
            services.ticket_change_status(ticket=ticket, to_status=S.OPEN, by=n1_agent)
        with events.batch(), django_capture_on_commit_callbacks(execute=True):
            services.ticket_change_priority(ticket=ticket, priority="high", by=n1_agent)
        assert received == batches == []

    assert names(received) == [events.StatusChanged.name, events.PriorityChanged.name]
    assert [len(batch) for batch in batches] == [2]


@pytest.mark.django_db(transaction=True)
def test_real_commits_deliver_each_transaction_once_without_its_rolled_back_savepoints(batches):
    ticket = make_ticket()
    agent = make_agent()
    batches.clear()
    with transaction.atomic():
        services.ticket_change_status(ticket=ticket, to_status=S.OPEN, by=agent)
        with pytest.raises(Abort):
            failing(
                lambda: services.ticket_change_priority(ticket=ticket, priority="high", by=agent)
            )
        services.ticket_tag(ticket=ticket, by=agent, add=["boleto"])
    with pytest.raises(Abort):
        failing(lambda: services.ticket_change_priority(ticket=ticket, priority="urgent", by=agent))

    # (After a savepoint's rollback the rest of the transaction is delivered as a batch of its
    # own: less coalesced, still once each.)
    assert [event.name for batch in batches for event in batch] == [
        events.StatusChanged.name,
        events.TagsChanged.name,
    ]
    batches.clear()

    with transaction.atomic():
        services.ticket_change_priority(ticket=ticket, priority="urgent", by=agent)
        services.ticket_tag(ticket=ticket, by=agent, add=["nota-fiscal"])
        services.ticket_change_status(ticket=ticket, to_status=S.PENDING, by=agent)

    assert [[event.name for event in batch] for batch in batches] == [
        [events.PriorityChanged.name, events.TagsChanged.name, events.StatusChanged.name]
    ]


# --- which service publishes what --------------------------------------------------------------


def test_message_receive_publishes_ticket_created_and_message_received(
    received, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = services.message_receive(incoming=make_inbound())

    assert names(received) == [events.TicketCreated.name, events.MessageCreated.name]
    assert received[1] == events.MessageCreated(
        ticket_id=result.ticket.pk,
        message_id=result.message.pk,
        direction="inbound",
        kind="message",
        channel=Channel.EMAIL,
        created_ticket=True,
    )
    assert received[1].from_customer


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

    # The email channel reacts to a queued reply by trying to deliver (and publishes its result).
    own = [event for event in received if not isinstance(event, events.DeliveryUpdated)]
    assert own[1:] == [
        events.MessageCreated(
            ticket_id=ticket.pk,
            message_id=reply.pk,
            direction="outbound",
            kind="message",
            channel=Channel.EMAIL,
            by_id=n1_agent.pk,
        ),
        events.MessageCreated(
            ticket_id=ticket.pk,
            message_id=note.pk,
            direction="outbound",
            kind="internal_note",
            channel=note.channel,
            by_id=n1_agent.pk,
        ),
    ]
    assert names(own)[0] == events.StatusChanged.name
    assert (own[1].outgoing, own[2].outgoing, own[2].note) == (True, False, True)


def test_escalation_events_say_who_escalated(
    received, ticket, n2_agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_escalate(ticket=ticket, reason="SLA violado", by=None)
        services.ticket_deescalate(ticket=ticket, reason="Dúvida simples", by=n2_agent)

    assert received == [
        events.TicketEscalated(
            ticket_id=ticket.pk, from_tier=Tier.N1, to_tier=Tier.N2, by_system=True, by_id=None
        ),
        events.TicketDeescalated(
            ticket_id=ticket.pk, from_tier=Tier.N2, to_tier=Tier.N1, by_id=n2_agent.pk
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
        events.StatusChanged.name,
        events.TicketAssigned.name,
        events.TicketAssigned.name,
        events.TagsChanged.name,
    ]
    assert received[1].assignee_id == n1_agent.pk
    assert received[2].assignee_id is None
    assert received[3] == events.TagsChanged(
        ticket_id=ticket.pk, before=[], after=["boleto"], by_id=n1_agent.pk
    )


def test_merges_publish_their_events(received, db, manager, django_capture_on_commit_callbacks):
    customer, other = CustomerFactory(), CustomerFactory()
    source, target = make_ticket(customer=customer), make_ticket(customer=customer)
    make_ticket(customer=other)

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_merge(source=source, target=target, by=manager)
        services.customer_merge(source=other, target=customer, by=manager)

    assert [(e.name, e.ticket_id) for e in received] == [
        (events.TicketMerged.name, target.pk),
        (events.CustomerMerged.name, None),
    ]
    assert received[1] == events.CustomerMerged(
        source_id=other.pk,
        target_id=customer.pk,
        identities_moved=0,
        tickets_moved=1,
        by_id=manager.pk,
    )


def test_stale_solved_closing_publishes_a_status_change_per_ticket(
    received, db, django_capture_on_commit_callbacks
):
    old = timezone.now() - timedelta(days=30)
    closed = [make_ticket(status=S.SOLVED, solved_at=old) for _ in range(2)]

    with django_capture_on_commit_callbacks(execute=True):
        services.tickets_close_stale_solved(solved_before=timezone.now())

    assert sorted((e.name, e.ticket_id, e.after) for e in received) == sorted(
        (events.StatusChanged.name, t.pk, S.CLOSED) for t in closed
    )


def test_a_bound_method_batch_subscriber_can_be_unsubscribed(
    ticket, n1_agent, django_capture_on_commit_callbacks
):
    got = []
    events.subscribe_batch(events.StatusChanged)(got.append)
    events.subscribe_batch(events.StatusChanged)(got.append)  # twice: still once
    events.unsubscribe(got.append)

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_change_status(ticket=ticket, to_status=S.OPEN, by=n1_agent)

    assert got == []


def test_a_batch_subscriber_marked_first_hears_a_delivery_before_the_others(
    ticket, n1_agent, django_capture_on_commit_callbacks
):
    order = []

    def later(batch):
        order.append("later")

    def first(batch):
        order.append("first")

    events.subscribe_batch(events.StatusChanged)(later)
    events.subscribe_batch(events.StatusChanged, first=True)(first)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.ticket_change_status(ticket=ticket, to_status=S.OPEN, by=n1_agent)
    finally:
        events.unsubscribe(later)
        events.unsubscribe(first)

    assert order == ["first", "later"]
    assert all(func not in (first, later) for _, func, _ in events._batches)
