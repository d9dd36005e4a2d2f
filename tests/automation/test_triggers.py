"""Rule order, stop, loop safety, the cap per event, and how rules hear of events: written with
the change, run by a drain after the commit (tests/automation/test_queue.py), never inline on
the inbound path."""

from automation import engine
from automation.models import Rule, RuleWork
from tests.automation.conftest import created, rule, ticket_in
from tests.tickets.factories import make_inbound
from tickets import services
from tickets.models import Message, Ticket, TicketEvent


def runs(ticket):
    return [
        e.data["rule_name"]
        for e in ticket.events.filter(kind=TicketEvent.Kind.RULE_RAN).order_by("pk")
    ]


def test_rules_run_in_position_order(team):
    ticket = ticket_in(team)
    rule("second", position=20, actions=[{"type": "add_tags", "tags": ["b"]}])
    rule("first", position=10, actions=[{"type": "add_tags", "tags": ["a"]}])
    created(ticket)
    assert runs(ticket) == ["first", "second"]


def test_a_matching_rule_with_stop_ends_the_run(team):
    ticket = ticket_in(team)
    rule("stopper", position=10, stop=True, actions=[{"type": "add_tags", "tags": ["a"]}])
    rule("never", position=20, actions=[{"type": "add_tags", "tags": ["b"]}])
    created(ticket)
    assert runs(ticket) == ["stopper"]


def test_a_stop_rule_that_does_not_match_does_not_stop(team):
    ticket = ticket_in(team)
    rule("stopper", position=10, stop=True, conditions=[{"field": "priority", "value": "urgent"}])
    rule("runs", position=20, actions=[{"type": "add_tags", "tags": ["b"]}])
    created(ticket)
    assert runs(ticket) == ["runs"]


def test_a_later_rule_sees_what_an_earlier_one_did(team):
    ticket = ticket_in(team)
    rule("tagger", position=10, actions=[{"type": "add_tags", "tags": ["fiscal"]}])
    rule("reader", position=20, conditions=[{"field": "tag", "value": "fiscal"}],
         actions=[{"type": "set_priority", "priority": "high"}])  # fmt: skip
    created(ticket)
    assert runs(ticket) == ["tagger", "reader"]


def test_inactive_rules_do_not_run(team):
    ticket = ticket_in(team)
    rule("off", is_active=False, actions=[{"type": "add_tags", "tags": ["a"]}])
    created(ticket)
    assert runs(ticket) == []


def test_an_actions_own_event_does_not_fire_the_same_rule_again(
    team, django_capture_on_commit_callbacks
):
    # On every update it flips the priority: without loop safety it would run forever.
    rule("flip", events=["updated"], actions=[{"type": "set_priority", "priority": "high"}])
    rule("flop", events=["updated"], conditions=[{"field": "priority", "value": "high"}],
         actions=[{"type": "set_priority", "priority": "low"}])  # fmt: skip
    ticket = ticket_in(team)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_change_status(ticket=ticket, to_status="open", by=None)

    # flip (high) -> its event fires flop (low) -> that event fires neither flip nor flop.
    assert runs(ticket) == ["flip", "flop"]
    assert Ticket.objects.get(pk=ticket.pk).priority == "low"


def test_rounds_stop_at_the_depth_limit(team, django_capture_on_commit_callbacks):
    for n in range(6):  # each rule's event may fire the next one
        rule(
            f"r{n}",
            position=n,
            events=["updated"],
            actions=[{"type": "add_tags", "tags": [f"t{n}"]}],
        )
    ticket = ticket_in(team)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_change_status(ticket=ticket, to_status="open", by=None)
    # The first round runs all six (each adds its own tag); later rounds find nothing to do
    # (each tag is there) and rounds end at MAX_DEPTH anyway.
    assert len(runs(ticket)) == 6


def test_a_round_fires_at_most_the_cap(team):
    for n in range(engine.MAX_RULES_PER_EVENT + 5):
        rule(f"r{n:02}", position=n, actions=[{"type": "add_tags", "tags": [f"t{n}"]}])
    ticket = ticket_in(team)
    created(ticket)
    assert len(runs(ticket)) == engine.MAX_RULES_PER_EVENT


def test_a_new_message_writes_its_rules_row_and_queues_one_drain_and_rules_run_there(
    team, django_capture_on_commit_callbacks, monkeypatch
):
    from automation import tasks

    queued = []
    monkeypatch.setattr(tasks.drain_rules, "delay", lambda **kwargs: queued.append(kwargs))
    rule("tag new", actions=[{"type": "add_tags", "tags": ["novo"]}])
    with django_capture_on_commit_callbacks(execute=True):
        result = services.message_receive(incoming=make_inbound())

    # Nothing ran inline: the ticket is untouched until the drain runs.
    assert not result.ticket.tags.exists()
    assert len(queued) == 1
    [row] = RuleWork.objects.all()
    assert (row.ticket_id, row.kinds, row.depth, row.skip) == (result.ticket.pk, ["created"], 0, [])

    tasks.drain_rules()
    assert result.ticket.tags.filter(name="novo").exists()
    assert not RuleWork.objects.exists()


def test_a_reply_from_the_customer_is_a_message_event(team, django_capture_on_commit_callbacks):
    rule("on message", events=["message"], actions=[{"type": "add_tags", "tags": ["respondeu"]}])
    first = services.message_receive(incoming=make_inbound())
    with django_capture_on_commit_callbacks(execute=True):
        services.message_receive(
            incoming=make_inbound(subject=f"[#{first.ticket.number}] Re: oi", body_text="mais")
        )
    assert first.ticket.tags.filter(name="respondeu").exists()
    assert first.ticket.messages.filter(direction=Message.Direction.INBOUND).count() == 2


def test_rules_are_loaded_once_per_task(team, django_assert_max_num_queries):
    rule("a", conditions=[{"field": "priority", "value": "urgent"}])
    tickets = [ticket_in(team) for _ in range(5)]
    with django_assert_max_num_queries(60) as captured:
        engine.process([engine.Work(t.pk, {"updated"}) for t in tickets])
    assert sum("automation_rule" in q["sql"] for q in captured.captured_queries) == 1
    assert Rule.objects.count() == 1
