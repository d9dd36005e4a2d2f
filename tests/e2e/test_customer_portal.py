"""A customer's self-service in a real browser, at desktop and phone widths: sign in by an emailed
link, search the help center (suggestions under the box), read an article and say it helped,
open a request while articles are suggested for its subject, and read the agent's answer in the
portal. Screenshots go to var/screenshots/portal/ (not committed)."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from knowledge_base.models import ArticleFeedback
from tests.e2e.signin import sign_in
from tests.knowledge_base.factories import ArticleFactory, CategoryFactory, SectionFactory
from tests.tickets.factories import (
    AgentFactory,
    CustomerFactory,
    CustomerIdentityFactory,
    TeamFactory,
)
from tickets.models import Ticket, Tier

SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots" / "portal"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
LINK = re.compile(r"(https?://\S+/portal/login/link/\S+/)")


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def fits_the_screen(page) -> bool:
    """No sideways scrolling: nothing is wider than the window."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def help_desk(db):
    team = TeamFactory(name="Atendimento N1", tier=Tier.N1)
    agent = AgentFactory(user__username="ana", user__first_name="Ana", teams=[team]).user
    category = CategoryFactory(name="Pedidos", description="Compras, cancelamentos e trocas")
    section = SectionFactory(category=category, name="Cancelamento")
    ArticleFactory(
        title="Como cancelar um pedido",
        summary="Cancele pelo site até o pedido ser enviado.",
        body="Para cancelar um pedido, acesse Meus pedidos e clique em Cancelar pedido.",
        section=section,
        views=120,
    )
    ArticleFactory(title="Prazo de entrega", body="O prazo aparece no carrinho.", views=40)
    customer = CustomerFactory(name="Maria Souza")
    CustomerIdentityFactory(customer=customer, value="maria@cliente.example")
    return {"agent": agent, "customer": customer}


def sign_in_by_link(page, base_url, smtp_server) -> None:
    page.goto(f"{base_url}/portal/login/")
    page.get_by_label("Seu e-mail").fill("maria@cliente.example")
    page.get_by_role("button", name="Enviar link de acesso por e-mail").click()
    page.get_by_role("heading", name="Confira seu e-mail").wait_for()
    body = smtp_server.messages[-1].get_body(("plain",)).get_content()
    page.goto(LINK.search(body).group(1))
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url(f"{base_url}/portal/")


def test_a_customer_helps_herself_then_asks_and_reads_the_answer(
    help_desk, asgi_server, browser, smtp_settings, smtp_server
):
    context = browser.new_context(locale="pt-BR", viewport=DESKTOP)
    page = context.new_page()

    # Signing in by a link sent to her address.
    sign_in_by_link(page, asgi_server, smtp_server)
    shoot(page, "01-home-1280")
    assert fits_the_screen(page)

    # Searching: suggestions under the box, chosen with the keyboard.
    search = page.get_by_role("combobox", name="Pesquisar na central de ajuda")
    search.press_sequentially("cancelar", delay=40)
    option = page.get_by_role("option", name=re.compile("Como cancelar um pedido"))
    option.wait_for()
    page.get_by_role("status").filter(has_text="artigo").wait_for()
    shoot(page, "02-search-suggestions-1280")
    search.press("ArrowDown")
    assert option.get_attribute("aria-selected") == "true"
    search.press("Enter")
    page.get_by_role("heading", name="Como cancelar um pedido").wait_for()

    # The article helped.
    page.get_by_label("Sim").check()
    page.get_by_role("button", name="Enviar").click()
    page.wait_for_url(re.compile(r"#feedback$"))
    assert ArticleFeedback.objects.filter(helpful=True).count() == 1
    shoot(page, "03-article-1280")

    # A new request: articles are suggested as the subject is typed.
    page.goto(f"{asgi_server}/portal/requests/new/")
    page.get_by_label("Assunto").press_sequentially("Quero cancelar meu pedido", delay=30)
    suggestions = page.get_by_role("region", name="Estes artigos podem responder à sua pergunta")
    suggestions.get_by_role("link", name="Como cancelar um pedido").wait_for()
    shoot(page, "04-new-request-suggestions-1280")
    page.get_by_label("Descreva sua solicitação").fill(
        "O pedido 4411 já foi enviado, ainda dá para cancelar?"
    )
    page.get_by_label("Anexos").set_input_files(
        files=[{"name": "pedido.txt", "mimeType": "text/plain", "buffer": b"Pedido 4411"}]
    )
    page.get_by_role("button", name="Enviar solicitação").click()
    page.get_by_role("heading", name="Solicitação enviada").wait_for()
    ticket = Ticket.objects.get()
    page.get_by_text(f"#{ticket.number}").wait_for()
    shoot(page, "05-request-sent-1280")

    # An agent answers from the workspace.
    agent_context = browser.new_context(locale="pt-BR", viewport=DESKTOP)
    agent = agent_context.new_page()
    sign_in(agent, asgi_server, "ana", "demo1234", then=f"/agent/tickets/{ticket.number}/")
    agent.fill("#reply-body", "Olá, Maria! Ainda dá, sim: cancelamos o pedido 4411 para você.")
    agent.locator("#reply-form [type=submit]").click()
    agent.get_by_text("cancelamos o pedido 4411 para você").first.wait_for()

    # She reads the answer in the portal, under her own message.
    page.get_by_role("link", name="Ver sua solicitação").click()
    page.get_by_text("cancelamos o pedido 4411 para você").wait_for()
    page.get_by_role("link", name="pedido.txt").wait_for()
    assert page.get_by_text("Equipe de atendimento").count() == 1
    shoot(page, "06-request-detail-1280")

    # The same pages on a phone.
    phone = browser.new_context(
        locale="pt-BR", viewport=PHONE, storage_state=context.storage_state()
    ).new_page()
    for path, name in [
        ("/portal/", "11-home-390"),
        (f"/portal/requests/{ticket.number}/", "13-request-detail-390"),
        ("/portal/requests/", "14-request-list-390"),
        ("/portal/kb/pt-br/como-cancelar-um-pedido/", "15-article-390"),
    ]:
        phone.goto(f"{asgi_server}{path}")
        shoot(phone, name)
        assert fits_the_screen(phone), path
    phone.goto(f"{asgi_server}/portal/requests/new/")
    phone.get_by_label("Assunto").press_sequentially("cancelar pedido", delay=30)
    phone.get_by_role("link", name="Como cancelar um pedido").wait_for()
    shoot(phone, "12-new-request-suggestions-390")
    assert fits_the_screen(phone)

    # The agent's inbox on a phone: cards, nothing off screen.
    agent_phone = browser.new_context(
        locale="pt-BR", viewport=PHONE, storage_state=agent_context.storage_state()
    ).new_page()
    agent_phone.goto(f"{asgi_server}/agent/")
    agent_phone.get_by_role("link", name="Quero cancelar meu pedido").wait_for()
    shoot(agent_phone, "21-agent-inbox-390")
    assert fits_the_screen(agent_phone)
    agent_phone.goto(f"{asgi_server}/agent/tickets/{ticket.number}/")
    shoot(agent_phone, "22-agent-ticket-390")
    agent_phone.set_viewport_size({"width": 360, "height": 740})
    agent_phone.goto(f"{asgi_server}/agent/")
    assert fits_the_screen(agent_phone)


def test_the_signed_out_portal_fits_a_small_phone(help_desk, asgi_server, browser):
    page = browser.new_context(locale="pt-BR", viewport={"width": 360, "height": 740}).new_page()

    for path, name in [("/portal/", "31-home-signed-out-360"), ("/portal/login/", "32-signin-360")]:
        page.goto(f"{asgi_server}{path}")
        shoot(page, name)
        assert fits_the_screen(page), path
    # The top bar keeps every link reachable.
    page.get_by_role("navigation", name="Principal").get_by_role("link", name="Nova solicitação")
    assert page.get_by_role("link", name="Entrar").is_visible()
