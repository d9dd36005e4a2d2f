"""A survey in a real browser: the customer opens the NPS link of the invitation email (score
chosen by the link), adds why, sends it; the agent then sees the answer on the ticket."""

import re

from channels_app.models import Mailbox
from surveys import tasks
from surveys.models import Survey, SurveyKind, SurveyResponse, SurveyRule
from tests.e2e.test_agent_workspace import log_in
from tests.tickets.factories import (
    AgentFactory,
    CustomerFactory,
    CustomerIdentityFactory,
    TeamFactory,
    make_ticket,
)
from tickets import services
from tickets.models import Tier

LINK = re.compile(r'href="(http://[^"]+/survey/[^"]+)"')


def test_a_customer_answers_an_emailed_nps_and_the_agent_sees_it(
    asgi_server, browser, smtp_settings, smtp_server, settings, screenshot
):
    settings.JORNADA = {**settings.JORNADA, "PUBLIC_BASE_URL": asgi_server}
    Mailbox.objects.create(name="Suporte", address="suporte@loja.example")
    team = TeamFactory(name="Atendimento N1", tier=Tier.N1)
    ana = AgentFactory(user__username="ana", user__first_name="Ana", tier=Tier.N1, teams=[team])
    maria = CustomerFactory(name="Maria Souza")
    CustomerIdentityFactory(customer=maria, value="maria@cliente.example", verified=True)
    ticket = make_ticket(customer=maria, team=team, subject="Entrega atrasada")
    survey = Survey.objects.create(
        name="NPS",
        kind=SurveyKind.NPS,
        question_en="How likely are you to recommend us?",
        question_pt_br="Qual a chance de você nos recomendar a um amigo?",
        comment_prompt_pt_br="Por quê?",
    )
    SurveyRule.objects.create(survey=survey, delay_minutes=0)
    services.ticket_assign(ticket=ticket, assignee=ana.user, by=ana.user)
    services.ticket_change_status(ticket=ticket, to_status="solved", by=ana.user)
    assert tasks.send_due_invitations() == 1

    # The customer clicks "9" in the email: the form opens with 9 chosen, nothing recorded yet.
    html = smtp_server.messages[-1].get_body(("html",)).get_content()
    nine = next(link for link in LINK.findall(html) if link.endswith("score=9"))
    customer = browser.new_context(locale="pt-BR").new_page()
    customer.goto(nine.replace("&amp;", "&"))
    customer.get_by_role(
        "heading", name="Qual a chance de você nos recomendar a um amigo?"
    ).wait_for()
    assert customer.get_by_label("9", exact=True).is_checked()
    assert not SurveyResponse.objects.exists()
    customer.get_by_label("Por quê?").fill("A Ana resolveu tudo no mesmo dia.")
    screenshot(customer, "survey-01-nps-form")
    customer.get_by_role("button", name="Enviar minha resposta").click()
    customer.get_by_role("heading", name="Obrigado pela sua resposta!").wait_for()

    # The agent sees it on the ticket: timeline and the customer panel.
    agent = log_in(browser.new_context(locale="en-US"), asgi_server, "ana")
    agent.goto(f"{asgi_server}/agent/tickets/{ticket.number}/")
    agent.locator(".ratings").get_by_text("A Ana resolveu tudo no mesmo dia.").wait_for()
    screenshot(agent, "survey-02-agent-sees-answer")
    assert SurveyResponse.objects.get().score == 9
