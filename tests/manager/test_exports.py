"""CSV downloads: the same figures, filters and scope as the page; formula-like cells quoted."""

import csv
from io import StringIO

from tests.tickets.factories import AgentFactory, make_ticket
from tickets.models import Tier


def rows(response):
    return list(csv.reader(StringIO(response.content.decode())))


def test_per_day_and_heatmap_as_csv(client, manager, teams):
    make_ticket(team=teams[Tier.N1])
    client.force_login(manager)

    per_day = client.get("/manager/export/per_day.csv")
    heatmap = client.get("/manager/export/heatmap.csv")

    assert per_day["Content-Type"] == "text/csv"
    assert 'filename="jornada-per_day.csv"' in per_day["Content-Disposition"]
    assert [int(n) for n in rows(per_day)[1][1:]] == [1, 0]
    assert len(rows(heatmap)) == 8
    assert sum(int(n) for row in rows(heatmap)[1:] for n in row[1:]) == 1


def test_tables_as_csv_keep_the_readers_scope_and_quote_formulas(client, teams):
    lead = AgentFactory(tier=Tier.N1, teams=[teams[Tier.N1]], user__first_name="=SOMA(A1)")
    teams[Tier.N1].leads.add(lead)
    make_ticket(team=teams[Tier.N1], assignee=lead.user)
    make_ticket(team=teams[Tier.N2])
    client.force_login(lead.user)

    team_rows = rows(client.get("/manager/export/teams.csv"))
    agent_rows = rows(client.get("/manager/export/agents.csv"))

    assert [row[0] for row in team_rows[1:]] == [str(teams[Tier.N1])]
    assert agent_rows[1][0].startswith("'=SOMA(A1)")


def test_unknown_export_is_404_and_agents_get_403(client, manager, n1_agent):
    client.force_login(manager)
    assert client.get("/manager/export/secrets.csv").status_code == 404
    client.force_login(n1_agent)
    assert client.get("/manager/export/teams.csv").status_code == 403
