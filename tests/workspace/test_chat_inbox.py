"""Live chats in the agent workspace: their state and waiting time in the inbox (at a fixed
number of queries), and the top bar's availability switch."""

import uuid

import pytest

from channels_app import services as channel_services
from channels_app.models import ChatSession
from tests.tickets.factories import CustomerFactory, make_ticket
from tickets.models import AgentProfile, Tier

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("chat_stack")]


def chat(channel, text="Preciso de ajuda", handover=True):
    message = channel_services.chat_message_receive(
        channel=channel, visitor=str(uuid.uuid4()), client_id="c1", text=text, language="pt-br"
    )
    session = ChatSession.objects.get(ticket_id=message.ticket_id)
    if handover:
        channel_services.chat_handover(session=session)
    return session


def test_the_inbox_shows_a_chats_state_and_how_long_it_waits(client, n1_agent, chat_channel):
    chat(chat_channel, "Cadê meu pedido?")
    chat(chat_channel, "Só olhando", handover=False)
    client.force_login(n1_agent)

    body = client.get("/agent/").content.decode()

    assert 'class="chat-state chat-waiting"' in body
    assert "Waiting for an agent" in body
    assert "waiting 0\xa0minutes" in body
    assert 'class="chat-state chat-bot"' in body


def test_the_inbox_costs_the_same_queries_for_5_or_40_chats(
    client, n1_agent, chat_channel, teams, django_assert_max_num_queries
):
    client.force_login(n1_agent)
    for _ in range(5):
        chat(chat_channel)
    make_ticket(customer=CustomerFactory(), team=teams[Tier.N1])
    client.get("/agent/")  # counts computed once, then kept
    # The inbox's own pin (17) plus the one query for the chats' state.
    with django_assert_max_num_queries(18) as small:
        client.get("/agent/")
    for _ in range(35):
        chat(chat_channel)
    with django_assert_max_num_queries(18) as large:
        response = client.get("/agent/")

    assert response.content.decode().count("chat-state chat-waiting") == 40
    assert len(large.captured_queries) == len(small.captured_queries)


def test_a_page_without_chats_asks_nothing_about_them(
    client, n1_agent, teams, django_assert_max_num_queries
):
    client.force_login(n1_agent)
    make_ticket(customer=CustomerFactory(), team=teams[Tier.N1])
    client.get("/agent/")
    with django_assert_max_num_queries(17) as page:
        client.get("/agent/")

    assert not any("channels_app_chatsession" in q["sql"] for q in page.captured_queries)


def test_an_agent_switches_between_online_and_away(client, n1_agent):
    client.force_login(n1_agent)

    response = client.post("/agent/availability/", {"availability": "away", "next": "/agent/"})

    assert response.status_code == 302
    assert response["Location"] == "/agent/"
    profile = AgentProfile.objects.get(user=n1_agent)
    assert profile.availability == AgentProfile.Availability.AWAY
    body = client.get("/agent/").content.decode()
    assert '<option value="away" selected>' in body


def test_the_switch_goes_back_only_to_pages_of_the_desk(client, n1_agent):
    client.force_login(n1_agent)

    response = client.post(
        "/agent/availability/", {"availability": "online", "next": "https://evil.example/"}
    )

    assert response["Location"] == "/agent/"


def test_customers_have_no_availability(client, customer):
    from tests.tickets.factories import UserFactory

    user = UserFactory(username="cliente")
    customer.user = user
    customer.save()
    client.force_login(user)

    assert client.post("/agent/availability/", {"availability": "online"}).status_code == 403
