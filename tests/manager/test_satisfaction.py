"""The satisfaction card (CSAT, NPS, CES from surveys.reports) and the tables' CSAT column: the
dashboard's range, filters and reader's scope, figures on hand-computed data, a table as text."""

from datetime import timedelta

import pytest
from django.utils import timezone

from surveys.models import SurveyKind
from surveys.reports import csat_by, satisfaction_summary
from tests.manager.test_access import lead  # noqa: F401  (fixture)
from tests.manager.test_tables import table
from tests.surveys.test_reports import answers
from tests.tickets.factories import CustomerFactory
from tickets.models import Tier

pytestmark = pytest.mark.django_db


def card(response) -> dict:
    return {row.group: row for row in response.context["satisfaction"]}


def test_the_card_shows_csat_nps_and_ces_as_a_table(client, manager, teams, n1_agent):
    customer = CustomerFactory()
    team = teams[Tier.N1]
    answers(SurveyKind.CSAT, [5, 4, 2], customer=customer, team=team, agent=n1_agent, unanswered=1)
    answers(SurveyKind.NPS, [10, 9, 3, 8], customer=customer, team=team)
    answers(SurveyKind.CES, [6, 7, 2], customer=customer, team=team)
    client.force_login(manager)

    response = client.get("/manager/", HTTP_ACCEPT_LANGUAGE="en")

    figures = card(response)
    assert (figures["csat"].score, figures["csat"].responses) == (66.7, 3)  # 2 of 3
    assert (figures["csat"].sent, figures["csat"].answered) == (4, 3)
    assert figures["nps"].score == 25.0  # 2 promoters, 1 detractor of 4
    assert figures["ces"].score == 5.0
    body = response.content.decode()
    assert 'data-kpi="satisfaction"' in body
    assert '<th scope="row"><abbr title="Customer satisfaction' in body
    assert "66.7&nbsp;%" in body
    assert "+25.0" in body
    assert '<span title="3 of 4 invitations answered">75.0&nbsp;%</span>' in body


def test_the_card_follows_the_filters_and_the_range(client, manager, teams, n1_agent, n2_agent):
    customer = CustomerFactory()
    answers(SurveyKind.CSAT, [5, 5], customer=customer, team=teams[Tier.N1], agent=n1_agent)
    answers(SurveyKind.CSAT, [1], customer=customer, team=teams[Tier.N2], agent=n2_agent)
    client.force_login(manager)

    everything = card(client.get("/manager/"))["csat"]
    one_team = card(client.get(f"/manager/?team={teams[Tier.N2].pk}"))["csat"]
    one_agent = card(client.get(f"/manager/?agent={n1_agent.agent_profile.pk}"))["csat"]
    last_year = (timezone.localdate() - timedelta(days=400)).isoformat()
    earlier = card(client.get(f"/manager/?start={last_year}&end={last_year}"))["csat"]

    assert (everything.responses, everything.score) == (3, 66.7)
    assert (one_team.responses, one_team.score) == (1, 0.0)
    assert (one_agent.responses, one_agent.score) == (2, 100.0)
    assert (earlier.responses, earlier.score, earlier.response_rate) == (0, None, None)


def test_a_lead_sees_the_answers_of_their_teams_only(client, lead, teams):  # noqa: F811
    customer = CustomerFactory()
    answers(SurveyKind.CSAT, [5], customer=customer, team=teams[Tier.N1])
    answers(SurveyKind.CSAT, [1, 1], customer=customer, team=teams[Tier.N2])
    client.force_login(lead)

    csat = card(client.get("/manager/"))["csat"]

    assert (csat.responses, csat.score, csat.sent) == (1, 100.0, 1)


def test_the_tables_have_a_csat_column(client, manager, teams, n1_agent, n2_agent):
    customer = CustomerFactory()
    answers(SurveyKind.CSAT, [5, 4, 1, 2], customer=customer, team=teams[Tier.N1], agent=n1_agent)
    answers(SurveyKind.CSAT, [5], customer=customer, team=teams[Tier.N2], agent=n2_agent)
    client.force_login(manager)

    response = client.get("/manager/?agents_sort=-csat")

    agents = table(response, "agents")
    assert [(row.name, row.csat, row.csat_answers) for row in agents][:2] == [
        (n2_agent.username, 100.0, 1),
        (n1_agent.username, 50.0, 4),
    ]
    teams_rows = {row.name: row.csat for row in table(response, "teams")}
    assert teams_rows[str(teams[Tier.N1])] == 50.0
    assert "CSAT" in response.content.decode()
    csv = client.get("/manager/export/agents.csv").content.decode()
    assert csv.splitlines()[0].endswith("CSAT (%),CSAT answers")


def test_the_selectors_take_the_dashboards_filters(manager, teams, n1_agent):
    from manager.access import dashboard_scope
    from manager.forms import DashboardFilterForm

    answers(
        SurveyKind.CSAT, [4, 1], customer=CustomerFactory(), team=teams[Tier.N1], agent=n1_agent
    )
    form = DashboardFilterForm({}, scope=dashboard_scope(user=manager))
    assert form.is_valid()
    filters = form.metric_filters()

    assert csat_by(filters, group="agent") == {n1_agent.pk: (50.0, 2)}
    assert csat_by(filters, group="team") == {teams[Tier.N1].pk: (50.0, 2)}
    assert [row.group for row in satisfaction_summary(filters)] == ["csat", "nps", "ces"]
