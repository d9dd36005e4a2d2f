"""The agent's ticket page: scoped, one timeline, the new text first, remote images held back."""

import pytest

from tests.tickets.factories import AgentFactory, TeamFactory, UserFactory, make_inbound
from tickets import services
from tickets.models import Customer, Tier


def page(number):
    return f"/agent/tickets/{number}/"


@pytest.fixture
def email_ticket(teams):
    first = services.message_receive(
        incoming=make_inbound(
            external_id="<first@cliente.example>",
            subject="Boleto não chegou",
            body_text="O boleto de novembro não chegou.",
        )
    )
    services.message_receive(
        incoming=make_inbound(
            external_id="<second@cliente.example>",
            subject="Re: Boleto não chegou",
            reply_to_ids=("<first@cliente.example>",),
            body_text=(
                "Ainda não recebi.\n\nEm seg., 23 de nov., Suporte escreveu:\n> Vamos verificar."
            ),
            body_html='<p>Ainda não recebi.</p><img src="https://tracker.example/open.gif">',
            metadata={"reply_text": "Ainda não recebi.", "quoted_text": "> Vamos verificar."},
        )
    )
    return first.ticket


def test_an_agent_of_the_team_reads_the_whole_conversation(client, n1_agent, email_ticket):
    client.force_login(n1_agent)

    body = client.get(page(email_ticket.number), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "O boleto de novembro não chegou." in body
    assert "Ainda não recebi." in body
    assert "Why it is here:" in body
    assert "reply to &lt;first@cliente.example&gt;" in body


def test_quoted_history_is_folded_away(client, n1_agent, email_ticket):
    client.force_login(n1_agent)

    body = client.get(page(email_ticket.number), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    quoted = body.index("Show quoted text")
    assert body.index("Ainda não recebi.") < quoted < body.index("&gt; Vamos verificar.")
    assert '<details class="quoted">' in body


def test_remote_images_wait_for_the_agent(client, n1_agent, email_ticket):
    client.force_login(n1_agent)

    held = client.get(page(email_ticket.number), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    loaded = client.get(page(email_ticket.number) + "?images=1").content.decode()

    assert "tracker.example" not in held
    assert "1 remote image was not loaded" in held
    assert "https://tracker.example/open.gif" in loaded


def test_an_agent_of_another_team_gets_404(client, email_ticket):
    outsider = AgentFactory(tier=Tier.N1, teams=[TeamFactory(name="Financeiro")]).user
    client.force_login(outsider)

    assert client.get(page(email_ticket.number)).status_code == 404


def test_customers_never_reach_the_agent_pages(client, email_ticket):
    user = UserFactory(username="maria")
    Customer.objects.filter(pk=email_ticket.customer_id).update(user=user)
    client.force_login(user)

    assert client.get(page(email_ticket.number)).status_code == 403


def test_the_page_costs_the_same_queries_however_long_the_conversation(
    client, n1_agent, email_ticket, django_assert_max_num_queries
):
    client.force_login(n1_agent)
    client.get(page(email_ticket.number))  # warm up session and caches
    # Session, user, profile, teams, ticket, timeline (3), reply channels, identities, tags, links,
    # other tickets, ratings, SLA clocks, WhatsApp window, assignee and team pickers (3), unread
    # notifications.
    with django_assert_max_num_queries(20) as short:
        client.get(page(email_ticket.number))
    for i in range(15):
        services.message_reply(ticket=email_ticket, by=n1_agent, body_text=f"Resposta {i}")

    with django_assert_max_num_queries(20) as long:
        client.get(page(email_ticket.number))

    assert len(long.captured_queries) == len(short.captured_queries)


def test_the_reason_and_the_changes_read_in_the_agents_language(client, n1_agent, email_ticket):
    services.ticket_escalate(ticket=email_ticket, reason="Precisa de análise", by=n1_agent)
    manager = AgentFactory(tier=Tier.N3, is_manager=True).user
    client.force_login(manager)

    body = client.get(page(email_ticket.number), HTTP_ACCEPT_LANGUAGE="pt-BR").content.decode()

    assert "Por que está aqui:" in body
    assert "uma resposta a &lt;first@cliente.example&gt;" in body
    assert "nível: N1 → N2" in body
    assert "Precisa de análise" in body
    assert "{&#x27;" not in body  # no raw dictionaries


def test_status_and_priority_changes_show_their_names(client, n1_agent, email_ticket):
    services.ticket_change_priority(ticket=email_ticket, priority="urgent", by=n1_agent)
    client.force_login(n1_agent)

    body = client.get(page(email_ticket.number), HTTP_ACCEPT_LANGUAGE="pt-BR").content.decode()

    assert "Normal → Urgente" in body


def test_the_customer_panel_names_the_portal_login_not_its_id(client, n1_agent, email_ticket):
    customer = email_ticket.customer
    user, _ = services.customer_portal_login_get_or_create(
        customer=customer, email="maria@example.com"
    )
    client.force_login(n1_agent)

    body = client.get(page(email_ticket.number)).content.decode()

    assert f'<span class="value">{user.get_username()}</span>' in body
