"""The managers' dashboard in a real browser over the demo data: cards, charts, tables, and the
"at risk now" list taking a ticket in live when the SLA timer warns, without a reload."""

import threading
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

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
    page.goto(f"{asgi_server}/accounts/login/?next=/manager/")
    page.fill("#id_username", "manager")
    page.fill("#id_password", "demo1234")
    page.click("form [type=submit]")
    page.wait_for_url(f"{asgi_server}/manager/")
    page.wait_for_function("document.body.dataset.wsState === 'open'")

    assert page.locator("h1").inner_text() == "Painel do atendimento"
    assert page.locator("svg[role=img]").count() == 2
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
