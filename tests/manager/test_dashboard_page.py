"""The dashboard page: every card, which kind of time each figure is in, the charts with their
text alternative, and a query count that does not grow with the tickets."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.tickets.factories import make_ticket
from tickets.models import Ticket, Tier


def page_queries() -> int:
    """Session, user, profile and unread notifications; the filter form's team, agent and
    organization choices; then each figure (p: the queries of one percentile pair; the business
    times take one query each here, no ticket having an SLA clock); the satisfaction card (answers
    and invitations, each grouped by survey kind) and each table's CSAT column (one grouped
    query)."""
    p = 1 if connection.vendor == "postgresql" else 3
    frt = resolution = (1 + p) + 1
    volume, responsiveness, compliance, backlog, escalations, heatmap = 5, 2, 1, 2 + p, 1, 1
    figures = volume + responsiveness + compliance + backlog + escalations + heatmap
    at_risk, trend_alerts = 1, 1
    tables = 2 * (5 + 1) + 2  # five grouped figures and the CSAT per table, then the names
    satisfaction = 2
    rollup_built = 1  # +1 (dashbench): whether the rollups can answer; here not built yet
    return (
        4 + 3 + frt + resolution + figures + at_risk + trend_alerts + tables + satisfaction
        + rollup_built
    )  # fmt: skip


@pytest.mark.parametrize("tickets", [1, 6])
def test_dashboard_query_count_does_not_grow_with_tickets(
    client, manager, teams, tickets, n1_agent, n2_agent, django_assert_num_queries
):
    now = timezone.now()
    for index in range(tickets):
        make_ticket(
            team=teams[Tier.N1],
            assignee=(n1_agent, n2_agent)[index % 2],
            status=Ticket.Status.SOLVED,
            created_at=now - timedelta(hours=3),
            first_response_at=now - timedelta(hours=2),
            solved_at=now - timedelta(hours=1),
        )
    make_ticket(team=teams[Tier.N1])
    client.force_login(manager)

    with django_assert_num_queries(page_queries()):
        response = client.get("/manager/")

    assert response.status_code == 200


def test_every_time_figure_says_which_time_it_is(client, manager, teams):
    make_ticket(team=teams[Tier.N1])
    client.force_login(manager)

    body = client.get("/manager/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    for key in ("frt", "resolution", "responsiveness", "fcr", "volume", "backlog", "sla"):
        assert f'data-kpi="{key}"' in body
    assert body.count("business time") >= 3
    assert body.count("wall-clock time") >= 3


def test_charts_are_drawn_from_the_pages_figures_with_an_svg_and_a_table_without_js(
    client, manager, teams
):
    make_ticket(team=teams[Tier.N1])
    client.force_login(manager)

    response = client.get("/manager/")
    body = response.content.decode()

    # Chart.js (vendored, no CDN) draws them in the browser, over the server's SVG.
    assert "/static/vendor/chartjs/chart.umd.min.js" in body
    assert "/static/vendor/chartjs/chartjs-chart-matrix.min.js" in body
    assert body.count('<svg role="img"') == 2
    assert body.count("<details>") == 2
    main = body.split('<main id="main">')[1]
    # The only script in the page's body is their data, as JSON (nothing inline runs).
    assert main.count("<script") == 1
    assert '<script id="manager-chart-data" type="application/json">' in main
    data = json.loads(main.split('type="application/json">')[1].split("</script>")[0])
    volume = response.context["volume"]
    grid = [row["counts"] for row in response.context["heatmap"]["rows"]]  # the SVG's and table's
    assert sum(data["per_day"]["created"]) == volume.created == 1
    assert data["heatmap"]["grid"] == grid
    assert len(data["heatmap"]["weekdays"]) == 7


def test_invalid_range_is_reported_and_the_default_range_used(client, manager):
    client.force_login(manager)

    response = client.get("/manager/?start=2026-12-01&end=2026-11-01")

    assert response.status_code == 200
    assert response.context["form"].errors


def test_organization_filter_lists_organizations_and_keeps_the_choice(client, manager):
    from tests.tickets.factories import OrganizationFactory

    chosen = OrganizationFactory(name="Padaria <Pão> & Cia")
    OrganizationFactory(name="Outra")
    client.force_login(manager)

    body = client.get(f"/manager/?organization={chosen.pk}").content.decode()

    assert f'<option value="{chosen.pk}" selected>Padaria &lt;Pão&gt; &amp; Cia</option>' in body
    assert ">Outra</option>" in body
