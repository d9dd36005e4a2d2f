"""The per-agent and per-team tables: sortable, each row linking to the matching inbox view."""

from tests.tickets.factories import make_ticket
from tickets.models import Tier


def table(response, key):
    return next(rows for name, _t, rows, _s in response.context["tables"] if name == key)


def test_rows_link_to_the_matching_inbox_view(client, manager, teams, n1_agent):
    make_ticket(team=teams[Tier.N1], assignee=n1_agent)
    client.force_login(manager)

    response = client.get("/manager/")

    [agent] = table(response, "agents")
    assert agent.inbox_url == f"/agent/?view=open&assignee={n1_agent.pk}"
    [team] = table(response, "teams")
    assert team.inbox_url == f"/agent/?view=open&team={teams[Tier.N1].pk}"
    body = response.content.decode()
    assert f'href="/agent/?view=open&amp;team={teams[Tier.N1].pk}"' in body


def test_tables_sort_by_the_column_asked_for(client, manager, teams, n1_agent, n2_agent):
    make_ticket(team=teams[Tier.N1], assignee=n1_agent)
    for _ in range(2):
        make_ticket(team=teams[Tier.N2], assignee=n2_agent, tier=Tier.N2)
    client.force_login(manager)

    default = table(client.get("/manager/"), "agents")
    by_name = table(client.get("/manager/?agents_sort=name"), "agents")
    fewest = table(client.get("/manager/?agents_sort=workload"), "agents")

    assert [r.figures.workload for r in default] == [2, 1]  # most workload first
    assert [r.name for r in by_name] == sorted(r.name for r in by_name)
    assert [r.figures.workload for r in fewest] == [1, 2]


def test_sort_links_flip_the_current_order_and_keep_the_filters(client, manager, teams):
    make_ticket(team=teams[Tier.N1])
    client.force_login(manager)

    body = client.get(f"/manager/?team={teams[Tier.N1].pk}&teams_sort=-replies").content.decode()

    assert f"?team={teams[Tier.N1].pk}&amp;teams_sort=replies#teams-table" in body
    assert f"?team={teams[Tier.N1].pk}&amp;teams_sort=-solved#teams-table" in body


def test_a_lead_sees_only_their_teams_rows(client, teams, n1_agent):
    teams[Tier.N1].leads.add(n1_agent.agent_profile)
    make_ticket(team=teams[Tier.N1])
    make_ticket(team=teams[Tier.N2])
    client.force_login(n1_agent)

    rows = table(client.get("/manager/"), "teams")

    assert [r.name for r in rows] == [str(teams[Tier.N1])]
