"""When a solved ticket gets its survey, and when it gets none."""

from datetime import timedelta

import pytest
from django.utils import timezone

from surveys import scheduling, tasks
from surveys.models import Survey, SurveyInvitation, SurveyKind, SurveyRule
from tests.surveys.conftest import solve
from tests.tickets.factories import CustomerFactory, CustomerIdentityFactory, make_ticket
from tickets import services
from tickets.models import CustomerIdentity, Ticket

I = SurveyInvitation.Status  # noqa: E741
pytestmark = pytest.mark.django_db


def test_solving_a_ticket_schedules_its_survey_after_the_rule_delay(
    ticket, csat, verified_email, n1_agent, committed
):
    before = timezone.now()
    solve(ticket, n1_agent, committed)

    invitation = SurveyInvitation.objects.get(ticket=ticket)
    assert invitation.status == I.SCHEDULED
    assert invitation.survey == csat
    assert invitation.channel == "email"
    assert invitation.identity == verified_email
    assert before + timedelta(minutes=30) <= invitation.scheduled_at
    assert invitation.scheduled_at <= timezone.now() + timedelta(minutes=30)


def test_a_ticket_reopened_before_the_delay_loses_its_invitation(
    ticket, csat, verified_email, n1_agent, committed
):
    solve(ticket, n1_agent, committed)
    with committed():
        services.ticket_change_status(ticket=ticket, to_status="open", by=n1_agent)

    invitation = SurveyInvitation.objects.get(ticket=ticket)
    assert (invitation.status, invitation.reason) == (I.CANCELLED, "reopened")
    assert tasks.send_due_invitations() == 0


def test_the_most_specific_rule_chooses_the_survey(
    ticket, csat, nps, verified_email, n1_agent, committed, teams
):
    SurveyRule.objects.create(survey=nps, team=ticket.team, channel="email", delay_minutes=5)
    solve(ticket, n1_agent, committed)

    assert SurveyInvitation.objects.get(ticket=ticket).survey == nps


def test_one_survey_per_customer_within_the_fatigue_days(
    settings, customer, csat, verified_email, n1_agent, committed, teams
):
    settings.JORNADA = {**settings.JORNADA, "SURVEY_FATIGUE_DAYS": 14}
    first, second = (make_ticket(customer=customer, team=ticket_team(teams)) for _ in range(2))
    solve(first, n1_agent, committed)
    solve(second, n1_agent, committed)

    assert SurveyInvitation.objects.get(ticket=first).status == I.SCHEDULED
    skipped = SurveyInvitation.objects.get(ticket=second)
    assert (skipped.status, skipped.reason) == (I.SKIPPED, "fatigue")


def test_after_the_fatigue_days_the_customer_is_asked_again(
    customer, csat, verified_email, n1_agent, committed, teams
):
    first, second = (make_ticket(customer=customer, team=ticket_team(teams)) for _ in range(2))
    solve(first, n1_agent, committed)
    SurveyInvitation.objects.update(created_at=timezone.now() - timedelta(days=15))
    solve(second, n1_agent, committed)

    assert SurveyInvitation.objects.get(ticket=second).status == I.SCHEDULED


def ticket_team(teams):
    return teams["N1"]


def test_merged_spam_and_internal_tickets_get_no_survey(
    customer, csat, verified_email, n1_agent, committed, teams
):
    source = make_ticket(customer=customer, team=ticket_team(teams))
    target = make_ticket(customer=customer, team=ticket_team(teams))
    spam = make_ticket(customer=customer, team=ticket_team(teams))
    services.ticket_tag(ticket=spam, add=["spam"], by=n1_agent)
    internal = services.ticket_create(
        customer=customer, subject="Revisar contrato", channel="email", by=n1_agent
    )
    with committed():
        services.ticket_merge(source=source, target=target, by=n1_agent)  # closes the source
    solve(spam, n1_agent, committed)
    solve(internal, n1_agent, committed)

    assert not SurveyInvitation.objects.filter(ticket__in=[source, spam, internal]).exists()
    assert scheduling.skip_reason(Ticket.objects.get(pk=internal.pk)) == "internal"


def test_an_automatic_close_sends_no_second_survey(
    ticket, csat, verified_email, n1_agent, committed
):
    solve(ticket, n1_agent, committed)
    with committed():
        services.tickets_close_stale_solved(solved_before=timezone.now() + timedelta(days=1))

    assert SurveyInvitation.objects.filter(ticket=ticket).count() == 1


def test_only_verified_identities_are_asked(customer, csat, n1_agent, committed, teams):
    CustomerIdentityFactory(customer=customer, value="digitado@example.com", verified=False)
    ticket = make_ticket(customer=customer, team=ticket_team(teams))
    solve(ticket, n1_agent, committed)

    invitation = SurveyInvitation.objects.get(ticket=ticket)
    assert (invitation.status, invitation.reason) == (I.SKIPPED, "no verified identity")


def test_a_whatsapp_ticket_without_a_verified_number_is_asked_by_verified_email(
    customer, csat, verified_email, n1_agent, committed, teams
):
    CustomerIdentityFactory(
        customer=customer, kind=CustomerIdentity.Kind.WHATSAPP, value="+5511900000000"
    )
    ticket = make_ticket(customer=customer, team=ticket_team(teams), channel="whatsapp")
    solve(ticket, n1_agent, committed)

    assert SurveyInvitation.objects.get(ticket=ticket).channel == "email"


def test_a_scheduled_invitation_is_sent_once_when_due(
    ticket, csat, verified_email, n1_agent, committed
):
    solve(ticket, n1_agent, committed)
    SurveyInvitation.objects.update(scheduled_at=timezone.now() - timedelta(minutes=1))

    with committed():
        assert tasks.send_due_invitations() == 1
    assert tasks.send_due_invitations() == 0
    invitation = SurveyInvitation.objects.get()
    assert invitation.status == I.SENT
    assert ticket.events.filter(kind="survey_sent").count() == 1


def test_relationship_nps_asks_served_customers_at_most_every_n_days(
    customer, verified_email, ticket, n1_agent
):
    Survey.objects.create(
        name="NPS relacional", kind=SurveyKind.NPS, is_relationship=True, question_en="?"
    )
    Ticket.objects.filter(pk=ticket.pk).update(status="solved", solved_at=timezone.now())
    silent = CustomerFactory()  # never served: not asked

    assert len(scheduling.relationship_nps_schedule()) == 1
    assert scheduling.relationship_nps_schedule() == []
    invitation = SurveyInvitation.objects.get()
    assert (invitation.customer, invitation.ticket, invitation.status) == (
        customer,
        None,
        I.SCHEDULED,
    )
    assert not SurveyInvitation.objects.filter(customer=silent).exists()
