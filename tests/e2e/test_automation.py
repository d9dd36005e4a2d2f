"""The dispatcher's queue and the managers' rules page in a real browser: one key routes a new
ticket to the team the rules suggest; a manager turns a rule off and dry-runs another."""

from automation.models import Rule
from tests.e2e.signin import sign_in
from tests.tickets.factories import AgentFactory, CustomerFactory, TeamFactory, make_ticket
from tickets import events
from tickets.models import AgentProfile, Tier


def login(page, base, username, next_url):
    sign_in(page, base, username, "senha-forte-123", then=next_url)


def agent(username, **fields):
    profile = AgentFactory(user__username=username, **fields)
    profile.user.set_password("senha-forte-123")
    profile.user.save()
    return profile.user


def test_a_dispatcher_routes_with_one_key_and_a_manager_manages_rules(
    asgi_server, browser, screenshot
):
    atendimento = TeamFactory(name="Atendimento", tier=Tier.N1)
    financeiro = TeamFactory(name="Financeiro", tier=Tier.N1)
    agent("despacho", teams=[atendimento], n1_role=AgentProfile.N1Role.DISPATCHER)
    agent("gerente", tier=Tier.N3, is_manager=True)
    Rule.objects.create(
        name="Fiscal para o Financeiro",
        events=["created"],
        conditions=[{"field": "contains", "value": "nota fiscal"}],
        actions=[{"type": "set_team", "team": "Financeiro"}],
    )
    # Created without their domain events: with a real worker (CI's PostgreSQL leg) the rule
    # would otherwise move the ticket to Financeiro before the page loads, or after.
    with events.suppressed():
        ticket = make_ticket(customer=CustomerFactory(), subject="Erro ao emitir nota fiscal")
        make_ticket(subject="Esqueci a senha")

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="pt-BR")
    page = context.new_page()
    login(page, asgi_server, "despacho", "/agent/dispatch/")
    row = page.locator(f'.dispatch-row[data-ticket="{ticket.number}"]')
    assert "sugerido por regra 'Fiscal para o Financeiro'" in row.inner_text()
    screenshot(page, "automation-01-dispatch")
    row.focus()
    page.keyboard.press("s")
    page.wait_for_selector(f'.dispatch-row[data-ticket="{ticket.number}"]', state="detached")
    ticket.refresh_from_db()
    assert ticket.team == financeiro

    page = browser.new_context(locale="pt-BR").new_page()
    login(page, asgi_server, "gerente", "/manager/rules/")
    assert page.locator("h1").inner_text() == "Regras de automação"
    page.click("text=Simulação")
    assert page.locator("[data-count]").get_attribute("data-count") == "1"  # still matches
    screenshot(page, "automation-02-dry-run")
    page.goto(f"{asgi_server}/manager/rules/")
    page.click("tr[data-rule] button:has-text('Ligada')")
    page.wait_for_selector("tr[data-rule] button:has-text('Desligada')")
    assert not Rule.objects.get().is_active
