"""Score maths on hand-computed data, and the breakdowns."""

from datetime import timedelta

import pytest
from django.utils import timezone

from surveys.models import Survey, SurveyInvitation, SurveyKind, SurveyResponse
from surveys.reports import survey_report
from tests.tickets.factories import TeamFactory, make_ticket

pytestmark = pytest.mark.django_db
I = SurveyInvitation.Status  # noqa: E741
NOW = timezone.now()
WINDOW = {"start": NOW - timedelta(days=30), "end": NOW + timedelta(days=1)}


def answers(kind, scores, *, customer, team=None, channel="email", agent=None, unanswered=0):
    survey, _ = Survey.objects.get_or_create(name=kind, kind=kind)
    for score in [*scores, *([None] * unanswered)]:
        ticket = make_ticket(customer=customer, team=team, channel=channel, assignee=agent)
        invitation = SurveyInvitation.objects.create(
            survey=survey,
            ticket=ticket,
            customer=customer,
            channel=channel,
            status=I.SENT if score is None else I.ANSWERED,
            scheduled_at=NOW,
            expires_at=NOW + timedelta(days=7),
        )
        if score is not None:
            SurveyResponse.objects.create(
                invitation=invitation,
                survey=survey,
                kind=kind,
                score=score,
                ticket=ticket,
                customer=customer,
                agent=agent,
                team=team,
                tier=ticket.tier,
                channel=channel,
                segment=customer.segment,
            )


def test_csat_is_the_share_of_four_and_five(customer, manager):
    answers(SurveyKind.CSAT, [5, 4, 3, 1], customer=customer, unanswered=1)

    [row] = survey_report(viewer=manager, kind=SurveyKind.CSAT, **WINDOW)

    assert (row.responses, row.score) == (4, 50.0)  # 2 of 4
    assert (row.sent, row.answered, row.response_rate) == (5, 4, 80.0)


def test_nps_is_promoters_minus_detractors(customer, manager):
    answers(SurveyKind.NPS, [10, 10, 9, 8, 7, 6, 0], customer=customer)

    [row] = survey_report(viewer=manager, kind=SurveyKind.NPS, **WINDOW)

    assert row.score == 14.3  # 3/7 promoters - 2/7 detractors = 1/7


def test_ces_is_the_average(customer, manager):
    answers(SurveyKind.CES, [1, 7, 5], customer=customer)

    [row] = survey_report(viewer=manager, kind=SurveyKind.CES, **WINDOW)

    assert row.score == 4.33


def test_broken_down_by_team_channel_agent_and_month(customer, manager, n1_agent, teams):
    atendimento, vendas = teams["N1"], TeamFactory(name="Vendas")
    answers(SurveyKind.CSAT, [5, 5], customer=customer, team=atendimento, agent=n1_agent)
    answers(SurveyKind.CSAT, [1], customer=customer, team=vendas, channel="whatsapp")

    by_team = {
        r.group: r.score for r in survey_report(viewer=manager, kind="csat", by="team", **WINDOW)
    }
    by_channel = {
        r.group: (r.score, r.response_rate)
        for r in survey_report(viewer=manager, kind="csat", by="channel", **WINDOW)
    }
    by_agent = {
        r.group: r.responses
        for r in survey_report(viewer=manager, kind="csat", by="agent", **WINDOW)
    }
    [month] = survey_report(viewer=manager, kind="csat", period="month", **WINDOW)

    assert by_team == {atendimento.pk: 100.0, vendas.pk: 0.0}
    assert by_channel == {"email": (100.0, 100.0), "whatsapp": (0.0, 100.0)}
    assert by_agent == {n1_agent.pk: 2, None: 1}
    assert (month.responses, month.period.month) == (3, timezone.localtime(NOW).month)


def test_an_agent_sees_only_their_teams_answers(customer, n2_agent, manager, teams):
    answers(SurveyKind.CSAT, [5], customer=customer, team=teams["N1"])

    assert survey_report(viewer=manager, kind="csat", **WINDOW)[0].responses == 1
    assert survey_report(viewer=n2_agent, kind="csat", **WINDOW)[0].responses == 0
