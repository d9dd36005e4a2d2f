"""The durable rules queue (automation/queue.py): the rules a change calls for are written with
the change and run by a drain after the commit, a ticket's rows of a burst merged into one run;
a lost drain is made up by the sweeper, and a ticket that keeps failing is held for a person
without holding up the others."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ALL_SCOPES
from api.tokens import api_token_create
from automation import actions, conditions, engine, queue, tasks
from automation.engine import MAX_DEPTH, Origin, Work
from automation.models import RuleWork
from channels_app import tasks as channel_tasks
from channels_app.models import InboundEvent
from tests.automation.conftest import rule, ticket_in
from tests.channels_app.test_pipeline import SIMPLE, store
from tests.tickets.factories import make_inbound
from tickets import events, services
from tickets.models import Ticket, TicketEvent

NEW = {
    "requester": {"kind": "email", "value": "joana@example.com", "name": "Joana"},
    "subject": "Pedido não chegou",
    "body": "Comprei há 10 dias.",
}
TAG = [{"type": "add_tags", "tags": ["visto"]}]


def api(user) -> APIClient:
    client = APIClient()
    raw = api_token_create(user=user, scopes=list(ALL_SCOPES))[1]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def waiting():
    return list(RuleWork.objects.order_by("pk").values_list("ticket_id", "kinds", "depth", "skip"))


def tags(ticket):
    return sorted(ticket.tags.values_list("name", flat=True))


def runs(ticket):
    return list(
        ticket.events.filter(kind=TicketEvent.Kind.RULE_RAN).values_list(
            "data__rule_name", flat=True
        )
    )


def test_a_rule_fires_for_a_ticket_created_through_the_api(
    n1_agent, teams, django_capture_on_commit_callbacks
):
    rule("tag", actions=TAG)
    with django_capture_on_commit_callbacks(execute=True):
        response = api(n1_agent).post("/api/v1/tickets", NEW, format="json")

    ticket = Ticket.objects.get(number=response.json()["number"])
    assert tags(ticket) == ["visto"]
    assert waiting() == []


def test_the_api_request_only_writes_its_row_the_rules_run_in_the_drain(
    n1_agent, teams, django_capture_on_commit_callbacks
):
    rule("tag", actions=TAG)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api(n1_agent).post("/api/v1/tickets", NEW, format="json")

    ticket = Ticket.objects.get(number=response.json()["number"])
    assert waiting() == [(ticket.pk, ["created"], 0, [])]
    assert tags(ticket) == []  # nothing ran in the request
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    assert tags(ticket) == ["visto"]


def test_a_rule_fires_for_a_change_made_in_the_workspace(
    client, n1_agent, teams, django_capture_on_commit_callbacks
):
    rule("urgent", events=["updated"], conditions=[{"field": "priority", "value": "urgent"}],
         actions=TAG)  # fmt: skip
    ticket = services.message_receive(incoming=make_inbound()).ticket
    RuleWork.objects.all().delete()  # its creation's rules are not what this test is about
    client.force_login(n1_agent)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("ticket-priority", args=[ticket.number]), {"priority": "urgent"}
        )

    assert response.status_code == 302
    assert tags(ticket) == ["visto"]
    assert waiting() == []


def test_an_inbound_batch_writes_its_rows_in_one_insert_and_its_rules_run(
    teams, django_capture_on_commit_callbacks
):
    rule("tag", actions=TAG)
    for n in range(3):
        store(SIMPLE.replace(b"<abc-123@", f"<batch-{n}@".encode()), schedule=False)

    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True),
    ):
        channel_tasks.process_inbound_events()

    assert not InboundEvent.objects.filter(status=InboundEvent.Status.RECEIVED).exists()
    tickets = list(Ticket.objects.all())
    assert len(tickets) == 3
    assert all(tags(ticket) == ["visto"] for ticket in tickets)
    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "automation_rulework"')]
    # One for the inbound drain's batch (one transaction), one for the next round the rules'
    # own tags call for (the rules drain's chunk), not one per ticket.
    assert len(inserts) == 2
    assert waiting() == []


def test_a_tickets_events_in_one_burst_run_its_rules_once_with_their_kinds_merged(
    team, django_capture_on_commit_callbacks
):
    rule("note", events=["created", "updated"], actions=[{"type": "note", "text": "Visto"}])
    ticket = ticket_in(team)  # its drain has not run yet when the next change comes
    services.ticket_change_priority(ticket=ticket, priority="high", by=None)
    assert waiting() == [(ticket.pk, ["created"], 0, []), (ticket.pk, ["updated"], 0, [])]

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.drain_rules.delay().get() == 2

    assert runs(ticket) == ["note"]
    assert waiting() == []


def test_the_rows_of_a_rolled_back_change_never_exist(team):
    ticket = ticket_in(team)
    RuleWork.objects.all().delete()

    def change_then_fail():
        with transaction.atomic():
            services.ticket_change_priority(ticket=ticket, priority="high", by=None)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert waiting() == []

    ticket.refresh_from_db()
    with transaction.atomic():
        try:
            with transaction.atomic():
                services.ticket_change_priority(ticket=ticket, priority="urgent", by=None)
                raise RuntimeError
        except RuntimeError:
            pass
        ticket.refresh_from_db()
        services.ticket_change_status(ticket=ticket, to_status="open", by=None)
    # The savepoint's row went with it; the status change's stayed.
    assert waiting() == [(ticket.pk, ["updated"], 0, [])]


def test_a_rules_own_events_queue_the_next_round_skipping_it_and_none_past_max_depth(team):
    urgent = rule("urgent", actions=[{"type": "set_priority", "priority": "urgent"}])
    ticket = ticket_in(team)
    RuleWork.objects.all().delete()

    engine.process([Work(ticket.pk, {"created"})])

    assert waiting() == [(ticket.pk, ["updated"], 1, [urgent.pk])]
    RuleWork.objects.all().delete()
    ticket.refresh_from_db()
    with events.caused_by(Origin(depth=MAX_DEPTH, rules=(urgent.pk,))):
        services.ticket_change_priority(ticket=ticket, priority="low", by=None)
    assert waiting() == []


def test_rows_a_lost_drain_left_are_run_by_the_sweeper(team, django_capture_on_commit_callbacks):
    rule("tag", actions=TAG)
    ticket = ticket_in(team)  # committed; the drain asked for after it never ran

    with django_capture_on_commit_callbacks(execute=True):
        # Younger than a minute: its own drain may still be on its way.
        assert tasks.sweep_rules() == 0
    assert tags(ticket) == []

    RuleWork.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.sweep_rules() == 1

    assert tags(ticket) == ["visto"]
    assert waiting() == []


def test_a_failing_ticket_does_not_hold_up_the_others_and_is_held_after_its_attempts(
    team, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    tickets = [ticket_in(team) for _ in range(3)]
    poisoned = tickets[1]
    rule("tag", actions=TAG)
    ticket_tag = actions.services.ticket_tag

    def failing(*, ticket, **kwargs):
        if ticket.pk == poisoned.pk:
            raise RuntimeError("boom")
        return ticket_tag(ticket=ticket, **kwargs)

    monkeypatch.setattr(actions.services, "ticket_tag", failing)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.drain_rules.delay()

    assert [tags(t) for t in tickets] == [["visto"], [], ["visto"]]
    row = RuleWork.objects.get()
    assert (row.ticket_id, row.attempts) == (poisoned.pk, 1)
    assert row.error == "RuntimeError: boom"
    assert row.due_at > timezone.now()

    # Not tried again before it is due, then again each time it is due, up to the last try.
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.drain_rules.delay().get() == 0
        for attempt in range(2, queue.MAX_ATTEMPTS + 1):
            RuleWork.objects.update(due_at=timezone.now())
            assert tasks.sweep_rules() == 1
            assert RuleWork.objects.get().attempts == attempt
        # Held for a person: no drain takes it, the sweeper leaves it.
        RuleWork.objects.update(due_at=timezone.now() - timedelta(hours=1))
        assert tasks.sweep_rules() == 0
        assert tasks.drain_rules.delay().get() == 0
    assert "held for a person" in caplog.text

    # The cause fixed, a person runs it again (the admin's action).
    monkeypatch.setattr(actions.services, "ticket_tag", ticket_tag)
    with django_capture_on_commit_callbacks(execute=True):
        assert queue.rule_work_retry(ids=[row.pk]) == 1
    assert tags(poisoned) == ["visto"]
    assert waiting() == []


def test_a_ticket_that_breaks_the_whole_chunk_is_run_apart_from_the_others(
    team, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    tickets = [ticket_in(team) for _ in range(3)]
    poisoned = tickets[0]
    rule("tag", actions=TAG)
    facts_for = conditions.facts_for

    def breaking(found, **kwargs):
        if any(ticket.pk == poisoned.pk for ticket in found):
            raise RuntimeError("bad facts")
        return facts_for(found, **kwargs)

    monkeypatch.setattr(conditions, "facts_for", breaking)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.drain_rules.delay()

    assert [tags(t) for t in tickets] == [[], ["visto"], ["visto"]]
    row = RuleWork.objects.get()
    assert (row.ticket_id, row.attempts, row.error) == (poisoned.pk, 1, "RuntimeError: bad facts")
    assert f"Rules failed on ticket {poisoned.pk}" in caplog.text


def test_a_drain_out_of_time_hands_over_to_a_fresh_one(team, django_capture_on_commit_callbacks):
    # A note publishes no event the rules listen to: nothing but the hand-over asks for the
    # drain that runs the rest.
    rule("note", actions=[{"type": "note", "text": "Visto pela regra."}])
    tickets = [ticket_in(team) for _ in range(queue.CHUNK + 5)]

    with django_capture_on_commit_callbacks(execute=True):
        # No time at all: one chunk, then the rest is for the next drain (eager here).
        tasks.drain_rules.delay(seconds=0)

    assert all(runs(ticket) == ["note"] for ticket in tickets)
    assert waiting() == []


@pytest.mark.django_db(transaction=True)  # the drain's commits deliver its events for real
def test_a_drains_own_events_ask_for_no_other_drain(team, monkeypatch):
    # The drain looks for the next round's rows itself before it ends.
    rule("tag", actions=TAG)
    asked = []
    monkeypatch.setattr(queue, "drain_schedule", lambda: asked.append(1))
    tickets = [ticket_in(team) for _ in range(3)]
    assert asked  # each change asked for a drain (none ran: recorded only)
    asked.clear()

    assert tasks.drain_rules.delay().get() > 3  # the created rows, then the tags' round

    assert all(tags(ticket) == ["visto"] for ticket in tickets)
    assert waiting() == []
    assert asked == []


def test_the_admin_lists_held_rows_and_runs_them_again(
    admin_client, team, django_capture_on_commit_callbacks
):
    rule("tag", actions=TAG)
    ticket = ticket_in(team)
    RuleWork.objects.update(attempts=queue.MAX_ATTEMPTS, error="RuntimeError: boom")

    page = admin_client.get("/admin/automation/rulework/?held=yes")
    assert page.status_code == 200
    assert "RuntimeError: boom" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/automation/rulework/",
            {
                "action": "run_again",
                "_selected_action": list(RuleWork.objects.values_list("pk", flat=True)),
            },
        )
    assert response.status_code == 302
    assert tags(ticket) == ["visto"]
    assert waiting() == []


class WorkerKilled(BaseException):
    """What a worker process dying mid-run looks like from inside: nothing catches it."""


def test_a_run_that_kills_its_worker_is_counted_and_held_after_its_attempts(team, monkeypatch):
    rule("tag", actions=TAG)
    ticket_in(team)  # its row waits; no drain has run

    def killed(*args, **kwargs):
        raise WorkerKilled

    monkeypatch.setattr(engine, "process", killed)
    for attempt in range(1, queue.MAX_ATTEMPTS + 1):
        RuleWork.objects.update(due_at=None)  # its claim lapsed (CLAIM_SECONDS)
        with pytest.raises(WorkerKilled):
            queue.rule_work_run()
        row = RuleWork.objects.get()
        assert row.attempts == attempt  # counted before the run, which could not count it
        assert row.due_at > timezone.now() + timedelta(seconds=queue.CLAIM_SECONDS - 60)
        assert queue.rule_work_run() == 0  # claimed: no other drain takes it meanwhile

    # Held for a person instead of killing every drain that takes it: the others go on.
    RuleWork.objects.update(due_at=None)
    assert queue.rule_work_run() == 0
    assert queue.rule_work_waiting() == 0
    monkeypatch.undo()
    other = ticket_in(team)
    assert queue.rule_work_run() == 1
    assert tags(other) == ["visto"]


def test_a_cache_that_is_down_does_not_stop_the_rules(team, settings):
    rule("tag", actions=TAG)
    ticket = ticket_in(team)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # discard port: nothing listens
        }
    }

    # The flag cannot be read: the drain is asked for anyway (eager here), and it runs.
    assert queue.drain_schedule() is True
    assert tags(ticket) == ["visto"]
    assert waiting() == []
