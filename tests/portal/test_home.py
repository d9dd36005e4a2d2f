"""The portal's front page: search with suggestions, the most read articles and the categories
in the reader's language (public articles only), and the customer's open requests."""

import json
import uuid

import pytest
from django.test import Client

from knowledge_base.models import Deflection
from tests.knowledge_base.factories import (
    ArticleFactory,
    CategoryFactory,
    SectionFactory,
    internal_article,
)
from tests.tickets.factories import make_ticket
from tickets.models import Ticket

S = Ticket.Status


@pytest.fixture
def kb(db):
    category = CategoryFactory(name="Pedidos e entregas", description="Prazos e rastreio")
    section = SectionFactory(category=category, name="Cancelamentos")
    top = ArticleFactory(
        title="Como cancelar um pedido", summary="Até o envio", views=90, section=section
    )
    ArticleFactory(title="Prazo de entrega", views=10)
    internal_article(title="Procedimento interno de estorno", views=500)
    ArticleFactory(title="How to cancel an order", language="en", views=70)
    return {"category": category, "top": top}


def test_anyone_sees_search_top_articles_and_categories(client, kb):
    body = client.get("/portal/", HTTP_ACCEPT_LANGUAGE="pt-BR").content.decode()

    assert 'role="combobox"' in body
    assert 'data-suggest-url="/api/v1/kb/suggest"' in body
    assert body.index("Como cancelar um pedido") < body.index("Prazo de entrega")
    assert "Pedidos e entregas" in body
    assert kb["category"].get_absolute_url() in body
    assert "Procedimento interno" not in body
    assert "How to cancel an order" not in body
    assert "/portal/login/" in body  # an invitation to sign in


def test_the_front_page_follows_the_readers_language(client, kb):
    body = client.get("/portal/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "How to cancel an order" in body
    assert "Como cancelar um pedido" not in body


def test_a_customer_sees_their_open_requests_on_the_front_page(maria_client, maria, joao, kb):
    open_one = make_ticket(customer=maria, subject="Boleto em aberto", status=S.PENDING)
    make_ticket(customer=maria, subject="Pedido já resolvido", status=S.SOLVED)
    make_ticket(customer=joao, subject="Pedido do colega")

    body = maria_client.get("/portal/").content.decode()

    assert open_one.subject in body
    assert "Awaiting your reply" in body
    assert "Pedido já resolvido" not in body
    assert "Pedido do colega" not in body


def test_the_search_box_leads_to_the_knowledge_base_search(client, kb):
    body = client.get("/portal/").content.decode()

    assert 'action="/portal/kb/search/"' in body


# --- deflection: suggestions shown while writing, then the request sent -----------------------


def shown(client, token=""):
    csrf = client.cookies["csrftoken"].value
    response = client.post(
        "/api/v1/kb/suggestions-shown",
        json.dumps({"token": token, "query": "cancelar", "lang": "pt-br", "article_ids": [1]}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


@pytest.fixture
def writing(maria, teams):
    client = Client(enforce_csrf_checks=True)
    client.force_login(maria.user)
    client.get("/portal/requests/new/")  # the form sets the CSRF cookie
    return client


def send(client, **fields):
    data = {
        "subject": "Quero cancelar",
        "body": "Pedido 10",
        "submission_id": str(uuid.uuid4()),
        "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
        **fields,
    }
    return client.post("/portal/requests/new/", data)


def test_sending_the_request_marks_its_suggestions_submitted(writing):
    token = shown(writing)

    assert send(writing, deflection_token=token).status_code == 302

    record = Deflection.objects.get(token=token)
    assert record.submitted_at is not None


def test_the_sessions_record_counts_even_without_the_forms_token(writing):
    token = shown(writing)

    send(writing)

    assert Deflection.objects.get(token=token).submitted_at is not None
    second = shown(writing)
    assert second != token  # the next request starts a record of its own


def test_suggestions_left_without_sending_stay_a_deflection(writing):
    token = shown(writing)

    assert Deflection.objects.get(token=token).submitted_at is None
