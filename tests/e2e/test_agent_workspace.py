"""An agent's day in a real browser: a new email in the inbox, read, answered with a canned
response, escalated to N2 with a reason, while a colleague sees who is on the ticket."""

import re

import pytest
from django.core.management import call_command

from tests.e2e.signin import sign_in
from tests.tickets.factories import AgentFactory, TeamFactory
from tickets.models import CannedResponse, Ticket, TicketEvent, Tier

EMAIL = (
    "From: Maria Souza <maria.souza@cliente.example>\r\n"
    "To: suporte@jornada.example\r\n"
    "Subject: =?utf-8?q?Boleto_de_novembro_n=C3=A3o_chegou?=\r\n"
    "Message-ID: <e2e-boleto-1@cliente.example>\r\n"
    "Date: Tue, 01 Dec 2026 09:12:00 -0300\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "Bom dia! O boleto de novembro não chegou no meu e-mail. Podem reenviar?\r\n"
    "\r\n"
    "Maria\r\n"
).encode()


def log_in(context, base_url: str, username: str):
    page = context.new_page()
    sign_in(page, base_url, username, "demo1234", then="/agent/")
    return page


@pytest.fixture
def workspace(db, tmp_path):
    n1 = TeamFactory(name="Atendimento N1", tier=Tier.N1)
    TeamFactory(name="Suporte Técnico N2", tier=Tier.N2)
    ana = AgentFactory(user__username="ana", user__first_name="Ana", tier=Tier.N1, teams=[n1]).user
    lead = AgentFactory(
        user__username="bruno", user__first_name="Bruno", tier=Tier.N3, is_manager=True
    ).user
    CannedResponse.objects.create(
        title="Segunda via do boleto",
        body=(
            "Olá, {customer_first_name}! Reenviamos a segunda via do boleto "
            "(chamado #{ticket_number}). Qualquer dúvida, estou à disposição. {agent_first_name}"
        ),
    )
    source = tmp_path / "boleto.eml"
    source.write_bytes(EMAIL)
    call_command("ingest_email", str(source), verbosity=0)
    return {"ana": ana, "lead": lead, "ticket": Ticket.objects.get()}


def test_an_agent_answers_with_a_canned_response_and_escalates(
    workspace, asgi_server, browser, screenshot
):
    ticket = workspace["ticket"]
    agent_context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 900})
    lead_context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 900})

    # The new email waits in the inbox.
    agent = log_in(agent_context, asgi_server, "ana")
    row = agent.get_by_role("link", name=re.compile("Boleto de novembro não chegou"))
    row.wait_for()
    screenshot(agent, "01-inbox-new-email")
    agent.keyboard.press("?")  # the cheat sheet
    agent.locator("#cheatsheet").get_by_text("Next / previous ticket in the list").wait_for()
    agent.keyboard.press("Escape")
    agent.keyboard.press("j")  # keyboard only: onto the first row, then open it
    agent.keyboard.press("o")
    agent.wait_for_url(f"{asgi_server}/agent/tickets/{ticket.number}/")
    agent.get_by_text("O boleto de novembro não chegou no meu e-mail").wait_for()

    # A colleague opens the same ticket and sees Ana there, then typing.
    lead = log_in(lead_context, asgi_server, "bruno")
    lead.goto(f"{asgi_server}/agent/tickets/{ticket.number}/")
    presence = lead.locator("[data-presence]")
    presence.get_by_text("Ana").wait_for(timeout=10_000)
    agent.keyboard.press("r")  # focuses the reply box
    agent.keyboard.type("Ol")
    presence.get_by_text(re.compile("typing", re.I)).wait_for(timeout=10_000)
    screenshot(lead, "02-colleague-sees-ana-typing")
    agent.fill("#reply-body", "")

    # Ana answers with the canned response, filled in for this customer and ticket.
    agent.locator(".composer").get_by_text("Canned responses", exact=True).click()
    agent.fill("#reply-canned-search", "boleto")
    agent.get_by_role("button", name=re.compile("Segunda via do boleto")).click()
    expected = f"Olá, Maria! Reenviamos a segunda via do boleto (chamado #{ticket.number})"
    assert agent.input_value("#reply-body").startswith(expected)
    screenshot(agent, "03-canned-response-inserted")
    agent.get_by_role("button", name=re.compile("^Send")).click()
    agent.get_by_text("Reply queued for delivery by Email").wait_for()
    reply = agent.locator(".timeline .message.outbound").last
    assert expected in reply.inner_text()
    assert reply.locator(".delivery").inner_text().strip() in {"Queued", "Sent", "Delivered"}

    # Then escalates to N2 with a reason: the ticket leaves her N1 queue.
    agent.get_by_text("Escalate", exact=True).first.click()
    agent.select_option("#id_up-to_tier", "N2")
    agent.fill("#id_up-reason", "Cobrança em duplicidade: precisa de análise do financeiro (N2)")
    screenshot(agent, "04-escalation-reason")
    agent.locator("form[action$='/escalate/'] [type=submit]").click()
    agent.get_by_text(f"Ticket #{ticket.number} left your queues").wait_for()

    # The colleague's page learns the ticket changed; after a reload the timeline tells it all.
    lead.locator("[data-ticket-changed]").wait_for(timeout=10_000)
    lead.reload()
    timeline = lead.locator(".timeline")
    timeline.get_by_text("O boleto de novembro não chegou no meu e-mail").wait_for()
    assert expected in timeline.inner_text()
    escalation = timeline.locator(".event.escalated")
    assert "Cobrança em duplicidade" in escalation.inner_text()
    assert "N1 → N2" in escalation.inner_text()
    screenshot(lead, "05-timeline-after-escalation")

    ticket.refresh_from_db()
    assert ticket.tier == Tier.N2
    assert ticket.events.filter(kind=TicketEvent.Kind.ESCALATED).count() == 1
    assert ticket.messages.filter(direction="outbound", kind="message").count() == 1
    agent_context.close()
    lead_context.close()
