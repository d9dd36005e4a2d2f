"""The canned response pages, the reply box's pickers and the admin: scoped, permission-checked,
escaped, and with a query count that does not grow with the number of responses."""

import html

import pytest
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.test import RequestFactory

from tests.tickets.factories import (
    AgentFactory,
    CannedResponseFactory,
    CustomerFactory,
    TeamFactory,
    UserFactory,
    make_ticket,
)
from tickets.models import CannedResponse, Customer, Ticket, Tier
from tickets.selectors import ticket_get_for_agent

LIST = "/agent/canned/"
# Session, user, agent profile, the page count, the rows, the unread notifications badge.
LIST_QUERIES = 6
# Session, user, agent profile, the agent's teams and the ticket (its scope), the responses, the
# unread notifications badge (a context processor runs for fragments too).
PICKER_QUERIES = 7
NEW = "/agent/canned/new/"


def edit(canned):
    return f"/agent/canned/{canned.pk}/edit/"


def delete(canned):
    return f"/agent/canned/{canned.pk}/delete/"


def picker(ticket, q=""):
    return f"/agent/tickets/{ticket.number}/canned/?q={q}"


def get(client, url):
    return client.get(url, HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def agent_client(client, n1_agent):
    client.force_login(n1_agent)
    return client


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


FORM = {
    "title": "Segunda via",
    "body": "Olá {customer_first_name}, segue a segunda via.",
    "segment": "",
    "language": "",
    "set_status": "",
    "set_priority": "",
    "add_tags": "",
    "assign_team": "",
}


# --- The list ------------------------------------------------------------------------------------


def test_the_list_shows_mine_and_shared_never_anothers(agent_client, n1_agent, n2_agent):
    CannedResponseFactory(title="Minha resposta", owner=n1_agent)
    CannedResponseFactory(title="Resposta da equipe")
    CannedResponseFactory(title="Resposta de outro", owner=n2_agent)

    body = get(agent_client, LIST).content.decode()

    assert "Minha resposta" in body
    assert "Resposta da equipe" in body
    assert "Resposta de outro" not in body
    assert "{customer_first_name}" in body  # the placeholders are documented on the page


def test_edit_links_only_where_the_agent_may_change(agent_client, n1_agent):
    mine = CannedResponseFactory(owner=n1_agent)
    shared = CannedResponseFactory()

    body = get(agent_client, LIST).content.decode()

    assert edit(mine) in body
    assert delete(mine) in body
    assert edit(shared) not in body


def test_the_list_filters_by_scope_and_words(agent_client, n1_agent):
    CannedResponseFactory(title="Boleto pessoal", owner=n1_agent)
    CannedResponseFactory(title="Boleto da equipe")
    CannedResponseFactory(title="Entrega da equipe")

    only_mine = get(agent_client, LIST + "?scope=mine").content.decode()
    shared_boleto = get(agent_client, LIST + "?scope=shared&q=boleto").content.decode()

    assert "Boleto pessoal" in only_mine
    assert "Boleto da equipe" not in only_mine
    assert "Boleto da equipe" in shared_boleto
    assert "Entrega da equipe" not in shared_boleto
    assert "Boleto pessoal" not in shared_boleto


def test_a_macro_says_what_it_does(agent_client):
    CannedResponseFactory(set_status=Ticket.Status.PENDING, add_tags="boleto")

    body = get(agent_client, LIST).content.decode()

    assert "status: Pending (waiting on customer) · tags: boleto" in body


def test_the_list_costs_the_same_queries_for_3_or_60_responses(
    agent_client, n1_agent, django_assert_max_num_queries
):
    team = TeamFactory(name="Cobrança", tier=Tier.N1)
    for n in range(3):
        CannedResponseFactory(owner=n1_agent if n % 2 else None, assign_team=team)
    get(agent_client, LIST)
    with django_assert_max_num_queries(LIST_QUERIES) as small:
        get(agent_client, LIST)
    for n in range(57):
        CannedResponseFactory(owner=n1_agent if n % 2 else None, assign_team=team)
    with django_assert_max_num_queries(LIST_QUERIES) as large:
        response = get(agent_client, LIST)

    assert response.status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)
    assert "Page 1 of 2" in response.content.decode()


def test_customers_are_refused_the_canned_pages(client, db):
    client.force_login(UserFactory(username="cliente"))

    assert client.get(LIST).status_code == 403
    assert client.get(NEW).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    assert client.get(LIST).status_code == 302


# --- Create, edit, delete ------------------------------------------------------------------------


def test_an_agent_creates_a_personal_response(agent_client, n1_agent):
    response = agent_client.post(NEW, {**FORM, "shared": "on", "add_tags": "Segunda Via"})

    assert response.status_code == 302
    canned = CannedResponse.objects.get()
    assert (canned.owner, canned.add_tags) == (n1_agent, "segunda-via")  # "shared" is not theirs


def test_the_form_offers_sharing_only_to_managers(client, n1_agent, manager):
    client.force_login(n1_agent)
    assert 'name="shared"' not in get(client, NEW).content.decode()
    client.force_login(manager)
    assert 'name="shared"' in get(client, NEW).content.decode()


def test_a_manager_creates_a_shared_macro(manager_client):
    team = TeamFactory(name="Cobrança", tier=Tier.N1)

    manager_client.post(
        NEW,
        {
            **FORM,
            "shared": "on",
            "set_status": "pending",
            "assign_to_me": "on",
            "assign_team": team.pk,
        },
    )

    canned = CannedResponse.objects.get()
    assert canned.owner is None
    assert (canned.set_status, canned.assign_to_me, canned.assign_team) == ("pending", True, team)


def test_a_misspelled_placeholder_is_shown_next_to_the_text(agent_client):
    response = agent_client.post(
        NEW, {**FORM, "body": "Olá {custmer_name}"}, HTTP_ACCEPT_LANGUAGE="en"
    )

    body = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "{custmer_name} is not a placeholder; did you mean {customer_name}?" in body
    assert 'aria-invalid="true"' in body
    assert not CannedResponse.objects.exists()


def test_closing_is_not_a_macro_status(agent_client):
    response = agent_client.post(NEW, {**FORM, "set_status": "closed"})

    assert response.status_code == 200
    assert not CannedResponse.objects.exists()


def test_an_agent_edits_their_own(agent_client, n1_agent):
    canned = CannedResponseFactory(owner=n1_agent, title="Antes")

    assert 'value="Antes"' in get(agent_client, edit(canned)).content.decode()
    response = agent_client.post(edit(canned), {**FORM, "title": "Depois"})

    assert response.status_code == 302
    canned.refresh_from_db()
    assert (canned.title, canned.owner) == ("Depois", n1_agent)


def test_another_agents_response_is_not_found(agent_client, n2_agent):
    theirs = CannedResponseFactory(owner=n2_agent, title="Deles")

    assert agent_client.get(edit(theirs)).status_code == 404
    assert agent_client.post(edit(theirs), {**FORM, "title": "Meu"}).status_code == 404
    assert agent_client.post(delete(theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.title == "Deles"


def test_a_shared_response_is_forbidden_to_an_agent(agent_client):
    shared = CannedResponseFactory(title="Da equipe")

    assert agent_client.get(edit(shared)).status_code == 403
    assert agent_client.post(edit(shared), {**FORM, "title": "Meu"}).status_code == 403
    assert agent_client.post(delete(shared)).status_code == 403
    assert CannedResponse.objects.filter(title="Da equipe").exists()


def test_a_manager_edits_a_shared_response(manager_client):
    shared = CannedResponseFactory(title="Da equipe")

    manager_client.post(edit(shared), {**FORM, "shared": "on", "title": "Revisada"})

    shared.refresh_from_db()
    assert (shared.title, shared.owner) == ("Revisada", None)


def test_delete_asks_first_and_deletes_only_on_post(agent_client, n1_agent):
    canned = CannedResponseFactory(owner=n1_agent, title="Velha")

    confirm = get(agent_client, delete(canned))
    assert confirm.status_code == 200
    assert "Delete “Velha”?" in confirm.content.decode()
    assert CannedResponse.objects.filter(pk=canned.pk).exists()

    assert agent_client.post(delete(canned)).status_code == 302
    assert not CannedResponse.objects.filter(pk=canned.pk).exists()


# --- The reply box's pickers ---------------------------------------------------------------------


@pytest.fixture
def vip_ticket(teams):
    customer = CustomerFactory(name="Maria da Silva", segment=Customer.Segment.VIP)
    return make_ticket(customer=customer, team=teams[Tier.N1])


def test_the_picker_offers_responses_filled_in_for_the_ticket(agent_client, vip_ticket):
    canned = CannedResponseFactory(
        title="Boas-vindas VIP",
        body="Olá {customer_first_name}, chamado {ticket_number}.",
        segment=Customer.Segment.VIP,
        set_status=Ticket.Status.PENDING,
    )
    CannedResponseFactory(title="Risco", segment=Customer.Segment.AT_RISK)
    CannedResponseFactory(title="Inglês", language="en")

    body = get(agent_client, picker(vip_ticket)).content.decode()

    assert f'data-canned-id="{canned.pk}"' in body
    assert f'data-insert-text="Olá Maria, chamado {vip_ticket.number}."' in body
    assert 'data-macro-summary="status: Pending (waiting on customer)"' in body
    assert "Risco" not in body
    assert "Inglês" not in body


def test_the_picker_searches(agent_client, vip_ticket):
    CannedResponseFactory(title="Segunda via de boleto")
    CannedResponseFactory(title="Troca de senha")

    body = get(agent_client, picker(vip_ticket, q="senha")).content.decode()

    assert "Troca de senha" in body
    assert "Segunda via" not in body
    assert (
        "No canned response matches “zzz”"
        in get(agent_client, picker(vip_ticket, q="zzz")).content.decode()
    )


def test_the_picker_escapes_what_it_inserts(agent_client, vip_ticket):
    Customer.objects.filter(pk=vip_ticket.customer_id).update(name='"><script>alert(1)</script>')
    CannedResponseFactory(title="<b>t</b>", body='Olá {customer_name} <img src=x onerror="x">')

    body = get(agent_client, picker(vip_ticket)).content.decode()

    assert "<script>" not in body
    assert "<img" not in body
    assert "<b>t</b>" not in body
    assert "&quot;&gt;&lt;script&gt;" in body


def test_the_picker_is_scoped_to_tickets_the_agent_sees(client, vip_ticket):
    outsider = AgentFactory(tier=Tier.N1, teams=[TeamFactory(name="Financeiro")]).user
    client.force_login(outsider)

    assert client.get(picker(vip_ticket)).status_code == 404


def test_customers_never_reach_the_pickers(client, vip_ticket):
    user = UserFactory(username="maria")
    Customer.objects.filter(pk=vip_ticket.customer_id).update(user=user)
    client.force_login(user)

    assert client.get(picker(vip_ticket)).status_code == 403


def test_the_picker_costs_the_same_queries_for_3_or_20_responses(
    agent_client, n1_agent, vip_ticket, django_assert_max_num_queries
):
    team = TeamFactory(name="Cobrança", tier=Tier.N1)
    for n in range(3):
        CannedResponseFactory(owner=n1_agent if n % 2 else None, assign_team=team)
    get(agent_client, picker(vip_ticket))
    with django_assert_max_num_queries(PICKER_QUERIES) as small:
        get(agent_client, picker(vip_ticket))
    for n in range(17):
        CannedResponseFactory(owner=n1_agent if n % 2 else None, assign_team=team)
    with django_assert_max_num_queries(PICKER_QUERIES) as large:
        get(agent_client, picker(vip_ticket))

    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_reply_tools_load_the_pickers_of_this_ticket(n1_agent, vip_ticket):
    request = RequestFactory().get("/")
    request.user = n1_agent
    ticket = ticket_get_for_agent(agent=n1_agent, number=vip_ticket.number)

    partial = render_to_string("workspace/_reply_tools.html", {"ticket": ticket}, request=request)

    assert f'hx-get="/agent/tickets/{ticket.number}/canned/"' in partial
    assert f'hx-get="/agent/tickets/{ticket.number}/kb/"' in partial
    assert 'data-target="#reply-body"' in partial
    assert "js/reply_tools.js" in partial


# --- Admin ---------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, db):
    root = get_user_model().objects.create_superuser("root", "root@example.com", "x")
    client.force_login(root)
    return client


def test_the_admin_creates_shared_responses_through_the_service(admin_client):
    response = admin_client.post(
        "/admin/tickets/cannedresponse/add/",
        {**FORM, "add_tags": "Segunda Via", "usage_count": 0},
    )

    assert response.status_code == 302
    canned = CannedResponse.objects.get()
    assert (canned.owner, canned.add_tags) == (None, "segunda-via")


def test_the_admin_refuses_a_misspelled_placeholder(admin_client):
    response = admin_client.post(
        "/admin/tickets/cannedresponse/add/", {**FORM, "body": "Olá {custmer_name}"}
    )

    assert response.status_code == 200
    assert not CannedResponse.objects.exists()


def test_the_admin_only_shows_an_agents_personal_response(admin_client, n1_agent):
    personal = CannedResponseFactory(owner=n1_agent, title="Pessoal")

    page = admin_client.get(f"/admin/tickets/cannedresponse/{personal.pk}/change/")
    post = admin_client.post(
        f"/admin/tickets/cannedresponse/{personal.pk}/change/", {**FORM, "title": "Tomada"}
    )

    assert page.status_code == 200
    assert post.status_code == 403
    personal.refresh_from_db()
    assert personal.title == "Pessoal"
    changelist = admin_client.get("/admin/tickets/cannedresponse/")
    assert changelist.status_code == 200
    assert "delete_selected" not in changelist.content.decode()
