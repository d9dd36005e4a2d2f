"""The managers' trigger editor in a real browser, by keyboard: add a condition row, choose its
field and value, add an action, save; the rule holds the JSON the engine reads."""

from automation.models import Rule
from tests.e2e.signin import sign_in
from tests.tickets.factories import AgentFactory
from tickets.models import Tier


def test_a_manager_builds_a_trigger_with_the_keyboard(asgi_server, browser, screenshot):
    manager = AgentFactory(user__username="gerente", tier=Tier.N3, is_manager=True).user
    manager.set_password("senha-forte-123")
    manager.save()
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="pt-BR").new_page()
    sign_in(page, asgi_server, "gerente", "senha-forte-123", then="/manager/rules/new/")

    page.fill("#id_name", "Urgentes")
    add = page.get_by_role("button", name="Adicionar condição")
    add.focus()
    page.keyboard.press("Enter")  # a second condition row, focused on its field
    field = page.locator("#id_conditions-1-field")
    assert page.evaluate("document.activeElement.id") == "id_conditions-1-field"
    page.keyboard.type("prioridade")
    assert field.input_value() == "priority"
    assert page.locator("#id_conditions-1-choice").is_visible()
    assert not page.locator("#id_conditions-1-text").is_visible()
    page.keyboard.press("Tab")  # the operator
    page.keyboard.press("Tab")  # the values: only the priorities are offered
    assert page.evaluate("document.activeElement.id") == "id_conditions-1-choice"
    page.keyboard.press("End")
    assert page.locator("#id_conditions-1-choice").evaluate(
        "s => Array.from(s.selectedOptions).map(o => o.value)"
    ) == ["priority:urgent"]
    # The first (blank) row is removed; the action row says what it needs.
    page.locator("[data-row]").first.get_by_role("button", name="Remover esta linha").click()
    page.select_option("#id_actions-0-type", "add_tags")
    assert page.locator("#id_actions-0-tags").is_visible()
    assert not page.locator("#id_actions-0-team").is_visible()
    page.fill("#id_actions-0-tags", "urgente, vip")
    screenshot(page, "rule-editor-01-rows")
    page.get_by_role("button", name="Salvar").click()
    page.wait_for_url(f"{asgi_server}/manager/rules/")

    saved = Rule.objects.get(name="Urgentes")
    assert saved.conditions == [{"field": "priority", "value": ["urgent"]}]
    assert saved.actions == [{"type": "add_tags", "tags": ["urgente", "vip"]}]
