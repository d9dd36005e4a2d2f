"""Signing in to the portal: a link sent by email (signed, expiring, single-use, throttled, silent
about unknown addresses) or a password; customers land on the portal, never on agent pages."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.core import signing
from django.utils import timezone

from portal.models import SignInLink
from portal.services import SIGNIN_SALT
from tests.tickets.factories import (
    AgentFactory,
    CustomerFactory,
    CustomerIdentityFactory,
    UserFactory,
)
from tickets.models import Customer

LINK = re.compile(r"https?://\S+/portal/login/link/(\S+)/")


def ask_link(client, email, **extra):
    return client.post("/portal/login/link/", {"email": email}, **extra)


def token_in(message) -> str:
    return LINK.search(message.get_body(("plain",)).get_content()).group(1)


def signed_in_as(client):
    return client.session.get(SESSION_KEY)


@pytest.fixture
def mail(smtp_settings, smtp_server):
    return smtp_server


def test_a_known_address_gets_a_link_that_signs_in_once(client, mail, maria):
    response = ask_link(client, "Maria@Loja.example")

    assert response.status_code == 302
    assert response["Location"] == "/portal/login/link/sent/"
    (envelope,) = mail.envelopes
    assert envelope.rcpt_tos == ["maria@loja.example"]
    token = token_in(envelope.message)
    url = f"/portal/login/link/{token}/"

    confirm = client.get(url)  # a mail scanner opening the link spends nothing
    assert confirm.status_code == 200
    assert client.get(url).status_code == 200
    signed_in = client.post(url)

    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/portal/"
    assert signed_in_as(client) == str(maria.user.pk)
    client.logout()
    again = client.post(url)
    assert again.status_code == 400
    assert "does not work" in again.content.decode()
    assert signed_in_as(client) is None


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, mail, maria):
    known = ask_link(client, "maria@loja.example")
    unknown = ask_link(client, "ninguem@loja.example")

    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert [e.rcpt_tos for e in mail.envelopes] == [["maria@loja.example"]]
    assert SignInLink.objects.count() == 1


def test_the_first_link_makes_the_customers_portal_login(client, mail, db):
    customer = CustomerFactory(name="Paula Reis")
    identity = CustomerIdentityFactory(customer=customer, value="paula@example.com")
    ask_link(client, "paula@example.com")

    client.post(f"/portal/login/link/{token_in(mail.messages[0])}/")

    customer.refresh_from_db()
    identity.refresh_from_db()
    assert customer.user is not None
    assert signed_in_as(client) == str(customer.user.pk)
    assert identity.verified
    assert not customer.user.has_usable_password()


def test_a_link_of_a_merged_customer_signs_in_the_surviving_one(client, mail, maria, n1_agent):
    from tickets import services

    duplicate = CustomerFactory(name="Maria S.")
    CustomerIdentityFactory(customer=duplicate, value="maria.souza@gmail.example")
    services.customer_merge(source=duplicate, target=maria, by=n1_agent)
    ask_link(client, "maria.souza@gmail.example")

    client.post(f"/portal/login/link/{token_in(mail.messages[0])}/")

    assert signed_in_as(client) == str(maria.user.pk)


def test_an_expired_link_does_not_sign_in(client, mail, maria):
    ask_link(client, "maria@loja.example")
    url = f"/portal/login/link/{token_in(mail.messages[0])}/"

    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert client.get(url).status_code == 400
        response = client.post(url)

    assert response.status_code == 400
    assert signed_in_as(client) is None


def test_an_altered_link_does_not_sign_in(client, mail, maria):
    ask_link(client, "maria@loja.example")
    token = token_in(mail.messages[0])
    payload, _, signature = token.rpartition(":")
    altered_signature = f"{payload}:{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}"
    link_id = SignInLink.objects.get().pk
    other_payload = signing.dumps({"l": link_id, "n": "guessed"}, salt="another.salt")

    for bad in (altered_signature, other_payload, "not-a-token", token[::-1]):
        assert client.post(f"/portal/login/link/{bad}/").status_code == 400
    assert signed_in_as(client) is None
    # The real one still works: failed attempts spend nothing.
    assert client.post(f"/portal/login/link/{token}/").status_code == 302


def test_a_signed_token_needs_the_nonce_that_was_mailed(client, mail, maria):
    """The signature alone is not enough: a token that names the link with another nonce (as
    anyone holding the secret key could make) is refused."""
    ask_link(client, "maria@loja.example")
    link = SignInLink.objects.get()
    forged = signing.dumps({"l": link.pk, "n": "guessed"}, salt=SIGNIN_SALT)

    assert client.post(f"/portal/login/link/{forged}/").status_code == 400
    assert signed_in_as(client) is None


def test_a_new_sign_in_spends_the_other_links_of_that_address(client, mail, maria):
    ask_link(client, "maria@loja.example")
    ask_link(client, "maria@loja.example")
    first, second = (token_in(message) for message in mail.messages)

    client.post(f"/portal/login/link/{second}/")
    client.logout()

    assert client.post(f"/portal/login/link/{first}/").status_code == 400


def test_links_to_one_address_are_throttled_silently(client, mail, maria):
    responses = [ask_link(client, "maria@loja.example") for _ in range(5)]

    assert {r["Location"] for r in responses} == {"/portal/login/link/sent/"}
    assert len(mail.envelopes) == 3


def test_sign_in_requests_from_one_network_are_throttled(client, mail, db):
    answers = [
        ask_link(client, f"pessoa{n}@example.com", REMOTE_ADDR="203.0.113.9").status_code
        for n in range(11)
    ]

    assert answers == [302] * 10 + [429]
    other_network = ask_link(client, "pessoa@example.com", REMOTE_ADDR="198.51.100.7")
    assert other_network.status_code == 302


def test_an_agents_address_gets_no_link(client, mail, db):
    agent = AgentFactory(user__username="ana", user__email="ana@jornada.example").user
    customer = Customer.objects.create(name="Ana", user=agent)
    CustomerIdentityFactory(customer=customer, value="ana@jornada.example")

    ask_link(client, "ana@jornada.example")

    assert mail.envelopes == []


def test_the_link_is_written_in_the_language_of_the_page(client, mail, maria):
    ask_link(client, "maria@loja.example", HTTP_ACCEPT_LANGUAGE="pt-BR")

    message = mail.messages[0]
    assert message["Subject"] == "Seu link de acesso"
    assert "15 minutos" in message.get_body(("plain",)).get_content()


def test_a_customer_signs_in_by_password_onto_the_portal(client, db):
    user = UserFactory(username="cliente@example.com")
    Customer.objects.create(name="Cliente Demo", user=user)

    response = client.post(
        "/portal/login/", {"username": "cliente@example.com", "password": "demo1234"}
    )

    assert (response.status_code, response["Location"]) == (302, "/portal/")


def test_a_wrong_password_is_refused_on_the_portal_page(client, db):
    UserFactory(username="cliente@example.com")

    response = client.post("/portal/login/", {"username": "cliente@example.com", "password": "x"})

    assert response.status_code == 400
    assert signed_in_as(client) is None


@pytest.mark.parametrize("login_url", ["/accounts/login/", "/portal/login/"])
def test_a_customer_asking_for_an_agent_page_lands_on_the_portal(client, db, login_url):
    user = UserFactory(username="cliente@example.com")
    Customer.objects.create(name="Cliente Demo", user=user)

    response = client.post(
        f"{login_url}?next=/agent/",
        {"username": "cliente@example.com", "password": "demo1234", "next": "/agent/"},
    )

    assert response["Location"] == "/portal/"


def test_an_agent_still_lands_on_the_page_they_asked_for(client, n1_agent):
    response = client.post(
        "/accounts/login/",
        {"username": "n1", "password": "demo1234", "next": "/agent/"},
    )

    assert response["Location"] == "/agent/"


def test_a_login_never_leads_off_site(client, maria):
    maria.user.set_password("demo1234")
    maria.user.save()

    response = client.post(
        "/portal/login/",
        {"username": maria.user.username, "password": "demo1234", "next": "https://evil.example/"},
    )

    assert response["Location"] == "/portal/"


@pytest.mark.parametrize("url", ["/agent/", "/agent/canned/", "/agent/notifications/"])
def test_a_customer_gets_403_on_agent_pages(maria_client, url):
    assert maria_client.get(url).status_code == 403


def test_a_customer_cannot_open_an_agents_ticket_page(maria_client, maria, teams):
    from tests.tickets.factories import make_ticket

    ticket = make_ticket(customer=maria)

    assert maria_client.get(f"/agent/tickets/{ticket.number}/").status_code == 403
