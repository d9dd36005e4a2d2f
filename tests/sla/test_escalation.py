"""An SLA policy's escalation steps on a warning or a breach: notify the assignee and the team
leads (in the app and by e-mail), raise the priority, reassign to a team, escalate the tier.
They run after the timer recorded the warning or breach, through the ticket services (each
leaves its trail entry), once per ticket, and once only."""

from datetime import timedelta

import pytest

from sla import escalation, recording
from sla import services as sla_services
from sla.models import EscalationStep, Target, TicketSLA
from tests.sla.conftest import MONDAY_9
from tests.tickets.factories import AgentFactory, TeamFactory, make_inbound
from tickets import events, services
from tickets.models import AgentNotification, Ticket, TicketEvent, Tier

E = TicketEvent.Kind
Stage, Action = EscalationStep.Stage, EscalationStep.Action
MIN = timedelta(minutes=1)
H = timedelta(hours=1)
WARNED = MONDAY_9 + 50 * MIN  # first response due 10:00, warning at 09:48
BREACHED = MONDAY_9 + 61 * MIN


def step(policy, stage, action, position=1, **fields):
    return EscalationStep.objects.create(
        policy=policy, stage=stage, action=action, position=position, **fields
    )


@pytest.fixture
def lead(teams):
    profile = AgentFactory(user__username="lider", tier=Tier.N1, teams=[teams[Tier.N1]])
    teams[Tier.N1].leads.add(profile)
    return profile.user


@pytest.fixture
def ticket(teams, policy, n1_agent, clock, committed):
    """Monday 09:00, 24 × 7, held by n1: first response due 10:00 (warning 09:48)."""
    with committed():
        ticket = services.message_receive(incoming=make_inbound()).ticket
        services.ticket_assign(ticket=ticket, assignee=n1_agent, by=n1_agent)
    return ticket


def sweep_at(moment, clock, committed):
    clock.move_to(moment)
    with committed():
        return sla_services.sla_sweep()


def fresh(ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def test_warning_notifies_the_assignee_and_the_team_leads_in_the_app_and_by_email(
    ticket, policy, n1_agent, lead, clock, committed, mailoutbox
):
    step(policy, Stage.WARNING, Action.NOTIFY)
    told = []
    events.subscribe(events.AgentNotified)(told.append)
    try:
        sweep_at(WARNED, clock, committed)
    finally:
        events.unsubscribe(told.append)

    notes = AgentNotification.objects.filter(ticket=ticket).exclude(kind="assigned")
    assert sorted((n.recipient.username, n.kind) for n in notes) == [
        ("lider", "sla_warning"),
        ("n1", "sla_warning"),
    ]
    assert sorted(event.recipient_id for event in told if event.kind == "sla_warning") == sorted(
        [n1_agent.pk, lead.pk]
    )
    assert sorted(message.to[0] for message in mailoutbox) == [
        "lider@example.com",
        "n1@example.com",
    ]
    assert f"#{ticket.number}" in mailoutbox[0].subject
    # On the timeline: the warning entry says who was told.
    [warning] = TicketEvent.objects.filter(ticket=ticket, kind=E.SLA_WARNING)
    assert warning.data["notified"] == ["lider", "n1"]
    assert "lider, n1" in escalation_text(warning)


def test_the_email_task_run_twice_sends_each_notification_once(
    ticket, policy, lead, clock, committed, mailoutbox
):
    from sla import tasks

    step(policy, Stage.WARNING, Action.NOTIFY)
    sweep_at(WARNED, clock, committed)
    ids = list(AgentNotification.objects.filter(kind="sla_warning").values_list("pk", flat=True))
    assert len(mailoutbox) == 2

    assert tasks.email_sla_notifications(ids) == 0  # a redelivered task (acks_late)

    assert len(mailoutbox) == 2
    assert not AgentNotification.objects.filter(pk__in=ids, emailed_at=None).exists()


def test_a_failed_email_is_retried_and_only_the_rest_go_out(
    ticket, policy, lead, clock, committed, mailoutbox, monkeypatch
):
    import smtplib

    from django.core.mail.backends.locmem import EmailBackend

    from sla import notices

    real_send = EmailBackend.send_messages

    def refuse_the_lead(self, messages):
        if messages[0].to == ["lider@example.com"]:
            raise smtplib.SMTPServerDisconnected("connection lost")
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", refuse_the_lead)
    step(policy, Stage.WARNING, Action.NOTIFY)
    sweep_at(WARNED, clock, committed)  # the task's first attempt (eager: its retry is not run)
    ids = list(AgentNotification.objects.filter(kind="sla_warning").values_list("pk", flat=True))
    assert [message.to for message in mailoutbox] == [["n1@example.com"]]

    monkeypatch.setattr(EmailBackend, "send_messages", real_send)
    assert notices.sla_notifications_email(notification_ids=ids) == 1

    assert sorted(message.to[0] for message in mailoutbox) == [
        "lider@example.com",
        "n1@example.com",
    ]


def escalation_text(event) -> str:
    from sla.display import sla_event_text

    return sla_event_text(event)


def test_breach_raises_the_priority_through_the_ticket_services(ticket, policy, clock, committed):
    step(policy, Stage.BREACH, Action.RAISE_PRIORITY)  # one level up
    sweep_at(BREACHED, clock, committed)

    assert fresh(ticket).priority == Ticket.Priority.HIGH
    change = TicketEvent.objects.get(ticket=ticket, kind=E.PRIORITY_CHANGED)
    assert (change.before, change.after, change.actor) == ("normal", "high", None)
    assert change.reason.startswith("SLA breached: First response was due")


def test_a_priority_step_never_lowers_the_priority(ticket, policy, n1_agent, clock, committed):
    with committed():
        services.ticket_change_priority(ticket=ticket, priority="urgent", by=n1_agent)
    step(policy, Stage.BREACH, Action.RAISE_PRIORITY, priority="high")
    sweep_at(BREACHED, clock, committed)

    assert fresh(ticket).priority == "urgent"
    assert TicketEvent.objects.filter(ticket=ticket, kind=E.PRIORITY_CHANGED).count() == 1


def test_breach_reassigns_to_a_team_and_the_assignee_outside_it_lets_go(
    ticket, policy, clock, committed
):
    vip_desk = TeamFactory(name="Atendimento VIP", tier=Tier.N1)
    step(policy, Stage.BREACH, Action.REASSIGN_TEAM, team=vip_desk)
    sweep_at(BREACHED, clock, committed)

    stored = fresh(ticket)
    assert (stored.team_id, stored.assignee_id) == (vip_desk.pk, None)
    moved = TicketEvent.objects.get(ticket=ticket, kind=E.TEAM_CHANGED)
    assert (moved.before, moved.after, moved.actor) == ("Atendimento N1", "Atendimento VIP", None)


def test_reassigning_to_a_team_of_a_higher_tier_escalates_to_it(
    ticket, policy, teams, clock, committed
):
    specialists = TeamFactory(name="Plantão N3", tier=Tier.N3)
    step(policy, Stage.BREACH, Action.REASSIGN_TEAM, team=specialists)
    sweep_at(BREACHED, clock, committed)

    stored = fresh(ticket)
    assert (stored.tier, stored.team_id) == (Tier.N3, specialists.pk)
    assert TicketEvent.objects.get(ticket=ticket, kind=E.ESCALATED).after["team"] == "Plantão N3"


def test_steps_run_in_order_and_the_leads_told_are_those_of_the_new_team(
    ticket, policy, teams, lead, clock, committed
):
    n2_lead = AgentFactory(user__username="lider2", tier=Tier.N2, teams=[teams[Tier.N2]])
    teams[Tier.N2].leads.add(n2_lead)
    step(policy, Stage.BREACH, Action.ESCALATE_TIER, position=1)
    step(policy, Stage.BREACH, Action.RAISE_PRIORITY, position=2, priority="urgent")
    step(policy, Stage.BREACH, Action.NOTIFY, position=3)
    sweep_at(BREACHED, clock, committed)

    stored = fresh(ticket)
    assert (stored.tier, stored.priority, stored.assignee_id) == (Tier.N2, "urgent", None)
    kinds = list(
        TicketEvent.objects.filter(ticket=ticket, created_at__gte=BREACHED)
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds == [E.ESCALATED, E.PRIORITY_CHANGED]
    told = AgentNotification.objects.filter(ticket=ticket, kind="sla_breached")
    assert [n.recipient.username for n in told] == ["lider2"]


def test_the_older_escalate_on_breach_flag_still_escalates_once(ticket, policy, clock, committed):
    policy.escalate_on_breach = True
    policy.save()
    step(policy, Stage.BREACH, Action.ESCALATE_TIER)
    sweep_at(BREACHED, clock, committed)

    assert fresh(ticket).tier == Tier.N2
    assert TicketEvent.objects.filter(ticket=ticket, kind=E.ESCALATED).count() == 1


def test_steps_run_once_even_when_their_task_runs_again(ticket, policy, clock, committed):
    step(policy, Stage.BREACH, Action.RAISE_PRIORITY)
    sweep_at(BREACHED, clock, committed)
    clock_id = TicketSLA.objects.get(ticket=ticket, target=Target.FIRST_RESPONSE).pk

    with committed():
        assert escalation.sla_steps_run(stage=Stage.BREACH, clock_ids=[clock_id]) == 0

    assert fresh(ticket).priority == "high"


def test_two_clocks_breaching_together_escalate_the_ticket_once(teams, policy, clock, committed):
    policy.resolution_minutes = 60
    policy.save()
    with committed():
        ticket = services.message_receive(incoming=make_inbound()).ticket
    step(policy, Stage.BREACH, Action.RAISE_PRIORITY)
    sweep_at(BREACHED, clock, committed)

    assert TicketEvent.objects.filter(ticket=ticket, kind=E.SLA_BREACHED).count() == 2
    assert TicketEvent.objects.filter(ticket=ticket, kind=E.PRIORITY_CHANGED).count() == 1
    assert fresh(ticket).priority == "high"


def test_a_ticket_solved_before_its_steps_ran_is_left_alone(
    ticket, policy, n1_agent, clock, committed
):
    step(policy, Stage.BREACH, Action.RAISE_PRIORITY)
    clock.move_to(BREACHED)
    lost = []
    # The steps' task is lost on its way (the broker was down): nothing runs them yet.
    original, recording.queue_steps = recording.queue_steps, lambda *a, **k: lost.append(a)
    try:
        with committed():
            sla_services.sla_sweep()
    finally:
        recording.queue_steps = original
    assert lost
    assert fresh(ticket).priority == "normal"
    with committed():
        services.message_reply(
            ticket=ticket, by=n1_agent, body_text="Resolvido", then_status="solved"
        )

    clock.shift(5 * MIN)
    with committed():
        assert recording.requeue_lost_steps() == 1

    assert fresh(ticket).priority == "normal"
    assert TicketSLA.objects.get(pk=lost[0][1][0]).breach_steps_at is not None


def test_steps_whose_task_was_lost_are_queued_again_by_the_timer(ticket, policy, clock, committed):
    step(policy, Stage.BREACH, Action.RAISE_PRIORITY)
    clock.move_to(BREACHED)
    original, recording.queue_steps = recording.queue_steps, lambda *a, **k: None
    try:
        with committed():
            sla_services.sla_sweep()
    finally:
        recording.queue_steps = original
    assert fresh(ticket).priority == "normal"

    clock.shift(MIN)  # too early to call it lost
    with committed():
        assert recording.requeue_lost_steps() == 0
    clock.shift(2 * MIN)
    from sla import tasks

    with committed():
        totals = tasks.sweep_clocks()

    assert totals["steps_requeued"] == 1
    assert fresh(ticket).priority == "high"
    with committed():
        assert recording.requeue_lost_steps() == 0


def test_a_policy_without_steps_marks_them_done_when_recording(ticket, clock, committed):
    sweep_at(BREACHED, clock, committed)

    first = TicketSLA.objects.get(ticket=ticket, target=Target.FIRST_RESPONSE)
    assert first.breach_steps_at == BREACHED
    assert recording.requeue_lost_steps() == 0


def test_a_step_that_cannot_apply_does_not_stop_the_others(
    ticket, policy, n1_agent, n2_agent, n3_agent, clock, committed
):
    with committed():
        services.ticket_escalate(ticket=ticket, reason="Análise", by=n1_agent)
        services.ticket_escalate(ticket=ticket, reason="Fornecedor", by=n2_agent)
    step(policy, Stage.BREACH, Action.ESCALATE_TIER, position=1)  # at N3 already
    step(policy, Stage.BREACH, Action.RAISE_PRIORITY, position=2)
    sweep_at(BREACHED, clock, committed)

    assert (fresh(ticket).tier, fresh(ticket).priority) == (Tier.N3, "high")


def test_a_warning_answered_before_its_steps_ran_warns_no_one(
    ticket, policy, n1_agent, lead, clock, committed
):
    step(policy, Stage.WARNING, Action.NOTIFY)
    clock.move_to(WARNED)
    original, recording.queue_steps = recording.queue_steps, lambda *a, **k: None
    try:
        with committed():
            assert sla_services.sla_sweep().warned == 1
    finally:
        recording.queue_steps = original
    with committed():
        services.message_reply(ticket=ticket, by=n1_agent, body_text="Olá! Já vamos ver.")

    clock.shift(5 * MIN)
    with committed():
        assert recording.requeue_lost_steps() == 1

    assert not AgentNotification.objects.filter(kind="sla_warning").exists()


@pytest.mark.services
def test_lost_steps_are_queued_again_at_most_once_per_two_minutes(ticket, policy, clock, committed):
    """In a backlog the earlier tasks may still wait in the queue: the timer does not add a
    copy every 15 seconds (Redis remembers when it last queued lost steps again)."""
    step(policy, Stage.BREACH, Action.RAISE_PRIORITY)
    clock.move_to(BREACHED)
    queued = []
    original, recording.queue_steps = recording.queue_steps, lambda *a, **k: queued.append(a)
    try:
        with committed():
            sla_services.sla_sweep()
        clock.shift(3 * MIN)
        first = recording.requeue_lost_steps()
        clock.shift(MIN)
        second = recording.requeue_lost_steps()
    finally:
        recording.queue_steps = original

    assert (first, second) == (1, 0)
    assert len(queued) == 2  # the sweep's own, then one copy
