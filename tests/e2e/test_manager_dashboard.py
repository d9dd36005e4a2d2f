"""The managers' dashboard in a real browser over the demo data: cards, charts, tables, and the
"at risk now" list taking a ticket in live when the SLA timer warns, without a reload."""

import threading
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from tests.e2e.signin import sign_in
from tests.tickets.factories import make_ticket
from tickets import events
from tickets.models import Team
from workspace.live import pushes


def test_a_manager_reads_the_dashboard_and_sees_a_ticket_come_at_risk(
    asgi_server, browser, screenshot
):
    call_command("seed_demo", tickets=60, customers=20, force=True, verbosity=0)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="pt-BR")
    page = context.new_page()
    sign_in(page, asgi_server, "manager", "demo1234", then="/manager/")
    page.wait_for_function("document.body.dataset.wsState === 'open'")

    assert page.locator("h1").inner_text() == "Painel do atendimento"
    # Chart.js replaced the server's two SVG drawings with its canvases, drawn from the page's
    # figures (the per-day bars sum to the tickets created in the range).
    page.wait_for_function("document.querySelectorAll('.chart-box.drawn canvas').length === 2")
    assert page.locator("svg[role=img]").count() == 0
    drawn = page.evaluate(
        """() => [...document.querySelectorAll('.chart-box canvas')].map(canvas => {
            const chart = Chart.getChart(canvas);
            return {type: chart.config.type, points: chart.data.datasets[0].data.length,
                    sum: chart.data.datasets[0].data.reduce((t, p) => t + (p.v ?? p), 0)};
        })"""
    )
    data = page.evaluate("JSON.parse(document.getElementById('manager-chart-data').textContent)")
    assert drawn[0] == {
        "type": "bar",
        "points": len(data["per_day"]["labels"]),
        "sum": sum(data["per_day"]["created"]),
    }
    heat = sum(map(sum, data["heatmap"]["grid"]))
    assert drawn[1] == {"type": "matrix", "points": 7 * 24, "sum": heat}
    assert sum(data["per_day"]["created"]) > 0
    assert page.locator("[data-kpi]").count() == 8
    # The demo's survey answers: CSAT, NPS and CES as a table, with a CSAT column per team.
    satisfaction = page.locator('[data-kpi="satisfaction"]')
    assert satisfaction.get_by_role("heading").inner_text() == "Satisfação dos clientes"
    assert satisfaction.locator("tbody tr").count() == 3
    assert satisfaction.locator('tr[data-survey="csat"] td').first.inner_text() != "—"
    assert page.locator("#teams-table td[data-csat]").count() >= 2
    assert page.locator("#teams-table tbody tr").count() >= 2
    screenshot(page, "manager-01-dashboard")

    team = Team.objects.order_by("pk").first()
    now = timezone.now()
    ticket = make_ticket(
        team=team,
        subject="Cliente sem sinal desde ontem",
        sla_due_at=now + timedelta(minutes=12),
        sla_warn_at=now - timedelta(minutes=1),
    )
    # As the SLA timer's worker would (another thread: this one runs Playwright's event loop).
    warned = events.SLAWarned(ticket_id=ticket.pk, target="first_response", due_at="", event_id=1)
    pusher = threading.Thread(target=pushes.announce, args=([warned],))
    pusher.start()
    pusher.join()

    row = page.locator(f'#at-risk tr[data-ticket="{ticket.number}"]')
    row.wait_for(timeout=10_000)
    assert "Cliente sem sinal" in row.inner_text()
    assert row.locator("a").get_attribute("href") == f"/agent/tickets/{ticket.number}/"
    page.locator("#at-risk").scroll_into_view_if_needed()
    screenshot(page, "manager-02-at-risk-live")
    context.close()
