"""Live chat in a real browser: a visitor on /chat/demo/ (the widget embedded as a customer's site
embeds it) asks a question, gets the bot's articles, asks for a person; an agent in the workspace
sees the chat arrive, and each side sees the other typing; they talk; the visitor goes on in a
second tab at phone width, ends the chat and downloads the transcript.

Screenshots at desktop and 390 px widths go to $E2E_SCREENSHOTS (tests/e2e/screenshots/ when
unset; run with E2E_SCREENSHOTS=var/e2e to keep them out of the tree)."""

import re
import time
from pathlib import Path

import pytest

from channels_app.models import ChatChannel, ChatSession
from demo.chat import DEMO_CHAT_NAME, seed_chat_channel
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.signin import sign_in
from tests.knowledge_base.factories import ArticleFactory
from tests.tickets.factories import AgentFactory, TeamFactory
from tickets import services
from tickets.models import AgentProfile, Message, Ticket, Tier

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
QUESTION = "Como tiro a segunda via do boleto?"
REPLY = "Olá, Maria! Reenviei a segunda via do boleto para o seu e-mail agora há pouco."
THANKS = "Recebi, obrigada!"
# The smallest PNG there is (1x1, transparent): the desk checks files by their content.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000000500010d0a2db40000"
    "000049454e44ae426082"
)


@pytest.fixture
def chat_world(transactional_db):
    team = TeamFactory(name="Atendimento", tier=Tier.N1)
    ana = AgentFactory(
        user__username="ana", user__first_name="Ana", tier=Tier.N1, teams=[team]
    ).user
    seed_chat_channel()
    ChatChannel.objects.update(business_hours={})  # open at whatever hour the test runs
    ArticleFactory(
        title="Segunda via do boleto",
        summary="Emita a segunda via do boleto no portal, em Financeiro > Boletos.",
        body="Para tirar a segunda via do boleto, abra o portal e escolha Financeiro > Boletos.",
    )
    return {"ana": ana, "channel": ChatChannel.objects.get(name=DEMO_CHAT_NAME)}


def wait_until(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the database")
        time.sleep(0.1)


def wait_for_frame(page, frames, needle, timeout=10.0):
    """Until the page's websockets received a frame containing `needle` (Playwright delivers
    events while it is called, hence the page's own wait)."""
    deadline = time.monotonic() + timeout
    while not any(needle in frame for frame in frames if isinstance(frame, str)):
        if time.monotonic() > deadline:
            raise AssertionError(f"no websocket frame with {needle}")
        page.wait_for_timeout(100)


def phone_screenshot(page, name: str) -> None:
    """The viewport only: what the phone's screen shows (a full-page shot would stretch the page
    under the full-screen chat)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def log_in(context, base_url: str, username: str):
    page = context.new_page()
    sign_in(page, base_url, username, "demo1234", then="/agent/")
    return page


def chat_frame(page):
    return page.frame_locator("iframe[title='Chat ao vivo']")


def test_a_visitor_and_an_agent_chat_through_the_widget(
    chat_world, asgi_server, browser, screenshot
):
    # The agent opens the workspace: its live connection puts her online for chats.
    agent_context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 900})
    agent = log_in(agent_context, asgi_server, "ana")
    wait_until(
        lambda: AgentProfile.objects.filter(
            user=chat_world["ana"], availability=AgentProfile.Availability.ONLINE
        ).exists()
    )

    # A visitor on the customer's site: the launcher opens the chat in its frame.
    visitor_context = browser.new_context(locale="pt-BR", viewport=DESKTOP)
    visitor = visitor_context.new_page()
    visitor.goto(f"{asgi_server}/chat/demo/")
    visitor.get_by_role("button", name="Abrir o chat").click()
    chat = chat_frame(visitor)
    chat.get_by_text("Olá! Sou o assistente da Ágil ERP").wait_for()
    chat.get_by_label("Sua mensagem").fill(QUESTION)
    chat.get_by_label("Sua mensagem").press("Enter")

    # The bot answers first, with the article, and offers a person.
    article = chat.locator(".from-bot .articles").get_by_role("link", name="Segunda via do boleto")
    article.wait_for()
    chat.locator(".from-visitor[data-delivery=sent]").wait_for()
    screenshot(visitor, "chat-01-visitor-bot-articles-desktop")
    chat.get_by_role("button", name="Falar com uma pessoa").click()
    chat.locator("#chat-status").get_by_text(re.compile("^Na fila|^Aguardando")).wait_for()
    # Waiting for a person: the widget asks for contact details.
    details = chat.get_by_role("form", name="Seus dados")
    details.get_by_label("Nome").fill("Maria Souza")
    details.get_by_label("E-mail").fill("maria.souza@cliente.example")
    details.get_by_role("button", name="Salvar").click()
    chat.get_by_text("Procure na sua caixa de entrada").wait_for()
    screenshot(visitor, "chat-02-visitor-waiting-desktop")

    # The chat reaches the agent's inbox without a reload.
    ticket = Ticket.objects.get(channel="chat")
    agent.locator("#live-updates .rt-live-show").click()
    agent.get_by_role("link", name=re.compile("boleto", re.I)).first.wait_for()
    screenshot(agent, "chat-03-agent-inbox")
    agent.goto(f"{asgi_server}/agent/tickets/{ticket.number}/")
    timeline = agent.locator(".timeline")
    timeline.get_by_text(QUESTION).wait_for()
    timeline.get_by_text("Segunda via do boleto").first.wait_for()  # the bot's exchange

    # Each side sees the other typing.
    chat.get_by_label("Sua mensagem").press_sequentially("Obrigada")
    agent.locator(".rt-chat-typing").get_by_text("The visitor is typing…").wait_for()
    chat.get_by_label("Sua mensagem").fill("")
    agent.locator("#reply-body").press_sequentially("Olá")
    # Not hers yet (she has not answered): "an agent is typing".
    chat.locator("#typing").get_by_text("Um atendente está digitando…").wait_for()
    screenshot(visitor, "chat-04-visitor-sees-agent-typing-desktop")
    screenshot(agent, "chat-05-agent-ticket-page")

    # They talk. (Sending reloads the agent's page: the visitor answers once it watches the
    # ticket again, as a person would take a moment to read.)
    agent_frames = []
    agent.on(
        "websocket", lambda ws: ws.on("framereceived", lambda frame: agent_frames.append(frame))
    )
    agent.fill("#reply-body", REPLY)
    agent.get_by_role("button", name=re.compile("^Send")).click()
    chat.locator(".from-agent").get_by_text(REPLY).wait_for()
    wait_for_frame(agent, agent_frames, '"type": "presence"')
    chat.locator("#chat-status").get_by_text("Conversando com Ana").wait_for()
    chat.get_by_label("Sua mensagem").fill(THANKS)
    chat.get_by_label("Sua mensagem").press("Enter")
    agent.locator(".timeline").get_by_text(THANKS).wait_for()
    chat.locator("#file").set_input_files(
        files=[{"name": "comprovante.png", "mimeType": "image/png", "buffer": PNG}]
    )
    chat.locator(".from-visitor .files").get_by_role("link", name="comprovante.png").wait_for()
    agent.locator(".timeline").get_by_text("comprovante.png").wait_for()
    # The visitor had the reply on screen: the widget said so (its read receipt).
    reply = Message.objects.get(ticket=ticket, body_text=REPLY)
    wait_until(
        lambda: ChatSession.objects.filter(ticket=ticket, visitor_read_up_to__gte=reply.pk).exists()
    )

    # A second tab at phone width continues the same conversation, full screen.
    phone = visitor_context.new_page()
    phone.set_viewport_size(PHONE)
    phone.goto(f"{asgi_server}/chat/demo/")
    phone_chat = chat_frame(phone)
    phone_chat.locator(".from-agent").get_by_text(REPLY).wait_for()
    phone_chat.locator(".from-visitor").get_by_text(THANKS).wait_for()
    frame_box = phone.locator("iframe[title='Chat ao vivo']").bounding_box()
    assert frame_box["width"] == PHONE["width"]
    phone_screenshot(phone, "chat-06-visitor-second-tab-390px")

    # The visitor ends the chat and downloads the transcript.
    phone_chat.get_by_role("button", name="Encerrar").click()
    phone_chat.get_by_role("button", name="Sim, encerrar").click()
    phone_chat.get_by_text("Esta conversa foi encerrada").wait_for()
    phone_screenshot(phone, "chat-07-visitor-ended-390px")
    with phone.expect_download() as download:
        phone_chat.get_by_role("link", name="Baixar a conversa").click()
    transcript = Path(download.value.path()).read_text(encoding="utf-8")
    positions = [
        transcript.find(text) for text in (QUESTION, "Segunda via do boleto", REPLY, THANKS)
    ]
    assert -1 not in positions, transcript
    assert positions == sorted(positions), transcript
    assert "Ana" in transcript

    session = ChatSession.objects.get(ticket=ticket)
    assert session.state == ChatSession.State.ENDED
    assert session.agent == chat_world["ana"]
    # The visitor's messages are the ticket's, once each, whatever the reconnects.
    inbound = list(ticket.messages.filter(direction="inbound").values_list("body_text", flat=True))
    assert inbound == [QUESTION, THANKS, ""]  # the last one: the file
    agent_context.close()
    visitor_context.close()


def test_where_websockets_are_blocked_the_chat_goes_over_long_polling(
    chat_world, asgi_server, browser
):
    services.agent_set_availability(agent=chat_world["ana"], availability="online")
    visitor_context = browser.new_context(locale="pt-BR", viewport=DESKTOP)
    # A network that refuses the chat's websocket (the upgrade is cut before any frame).
    visitor_context.route_web_socket(re.compile(r"/ws/chat/"), lambda ws: ws.close())
    polls = []
    visitor_context.on("request", lambda r: polls.append(r.url) if "/poll?" in r.url else None)
    visitor = visitor_context.new_page()
    visitor.goto(f"{asgi_server}/chat/demo/")
    visitor.get_by_role("button", name="Abrir o chat").click()
    chat = chat_frame(visitor)
    chat.get_by_label("Sua mensagem").fill(QUESTION)
    chat.get_by_label("Sua mensagem").press("Enter")

    chat.locator(".from-bot .articles").get_by_role("link", name="Segunda via do boleto").wait_for()
    chat.locator(".from-visitor[data-delivery=sent]").wait_for()
    chat.get_by_role("button", name="Falar com uma pessoa").click()
    chat.locator("#chat-status").get_by_text(re.compile("^Na fila")).wait_for()
    # An agent's reply reaches the waiting poll.
    ticket = Ticket.objects.get(channel="chat")
    services.message_reply(ticket=ticket, by=chat_world["ana"], body_text=REPLY)
    chat.locator(".from-agent").get_by_text(REPLY).wait_for()

    assert polls, "the widget polled"
    inbound = list(ticket.messages.filter(direction="inbound").values_list("body_text", flat=True))
    assert inbound == [QUESTION]
    visitor_context.close()


def test_with_no_one_to_answer_the_widget_offers_the_message_form(chat_world, asgi_server, browser):
    # Ana has not opened the workspace: nobody is available for a chat.
    visitor_context = browser.new_context(locale="en-US", viewport=PHONE)
    visitor = visitor_context.new_page()
    visitor.goto(f"{asgi_server}/chat/demo/")
    visitor.get_by_role("button", name="Open chat").click()
    chat = visitor.frame_locator("iframe[title='Live chat']")
    form = chat.get_by_role("form", name="No one is available to chat right now")
    form.get_by_label("Name").fill("John Smith")
    form.get_by_label("Email").fill("john@customer.example")
    form.get_by_label("Message").fill("Please call me back about invoice 4411.")
    phone_screenshot(visitor, "chat-08-offline-form-390px-en")
    form.get_by_role("button", name="Send message").click()
    chat.get_by_text("We received your message and will answer by email").wait_for()

    wait_until(lambda: Message.objects.filter(body_text__contains="invoice 4411").exists())
    ticket = Message.objects.get(body_text__contains="invoice 4411").ticket
    assert ticket.channel != "chat"  # answered by email, like the contact form
    visitor_context.close()


def test_an_agent_ends_the_chat_and_the_visitor_answers_the_survey_in_the_widget(
    chat_world, asgi_server, browser, screenshot
):
    from surveys.models import Survey, SurveyKind, SurveyResponse, SurveyRule

    survey = Survey.objects.create(
        name="CSAT do chat", kind=SurveyKind.CSAT,
        question_en="How satisfied were you with this chat?",
        question_pt_br="Quão satisfeita você ficou com este chat?",
        comment_prompt_pt_br="Quer contar mais?",
    )  # fmt: skip
    SurveyRule.objects.create(survey=survey, channel="chat")
    services.agent_set_availability(agent=chat_world["ana"], availability="online")
    visitor_context = browser.new_context(locale="pt-BR", viewport=PHONE)
    visitor = visitor_context.new_page()
    visitor.goto(f"{asgi_server}/chat/demo/")
    visitor.get_by_role("button", name="Abrir o chat").click()
    chat = chat_frame(visitor)
    chat.get_by_label("Sua mensagem").fill(QUESTION)
    chat.get_by_label("Sua mensagem").press("Enter")
    chat.get_by_role("button", name="Falar com uma pessoa").click()
    chat.locator("#chat-status").get_by_text(re.compile("^Na fila")).wait_for()
    ticket = Ticket.objects.get(channel="chat")
    # (Replies and ends go through the agent's page: a push from this test's thread, which runs
    # Playwright's event loop, could not reach the channel layer.)
    agent_context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 900})
    agent = log_in(agent_context, asgi_server, "ana")
    agent.goto(f"{asgi_server}/agent/tickets/{ticket.number}/")
    agent.fill("#reply-body", REPLY)
    agent.get_by_role("button", name=re.compile("^Send")).click()
    chat.locator(".from-agent").get_by_text(REPLY).wait_for()

    # The agent ends the chat from the ticket page, with the keyboard.
    agent.goto(f"{asgi_server}/agent/tickets/{ticket.number}/")
    end = agent.get_by_role("button", name="End chat")
    end.focus()
    agent.keyboard.press("Enter")
    agent.get_by_text("The chat has ended").wait_for()

    # The visitor's widget shows the end, then the survey inline.
    chat.get_by_text("Esta conversa foi encerrada").wait_for()
    form = chat.get_by_role("form", name=re.compile("Como foi o nosso atendimento"))
    form.get_by_text("Quão satisfeita você ficou com este chat?").wait_for()
    form.get_by_role("button", name="Enviar minha resposta").click()
    form.get_by_role("alert").get_by_text("Escolha uma nota primeiro.").wait_for()
    form.get_by_role("radio", name="5").check()
    form.get_by_label("Quer contar mais?").fill("A Ana foi ótima!")
    phone_screenshot(visitor, "chat-09-survey-in-the-widget-390px")
    form.get_by_role("button", name="Enviar minha resposta").click()
    chat.locator("#survey").get_by_text("Obrigado pela sua resposta!").wait_for()
    phone_screenshot(visitor, "chat-10-survey-answered-390px")

    response = SurveyResponse.objects.get(ticket=ticket)
    assert (response.score, response.comment, response.channel) == (5, "A Ana foi ótima!", "chat")
    assert response.agent == chat_world["ana"]
    session = ChatSession.objects.get(ticket=ticket)
    assert (session.state, session.outcome) == ("ended", "agent")
    # Coming back later: the survey was answered, nothing is asked again.
    visitor.reload()  # the widget opens as the visitor left it
    chat_frame(visitor).get_by_text("Esta conversa foi encerrada").wait_for()
    assert chat_frame(visitor).locator("#survey").is_hidden()
    agent_context.close()
    visitor_context.close()
