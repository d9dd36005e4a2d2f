"""Guessing passwords: after a few wrong ones, a username is locked out from that address (both
login pages), an admin can unlock it, and password reset requests are throttled too."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.test.client import ClientHandler
from django.urls import reverse

from helpdesk import accounts
from helpdesk.wsgi import ProxyHeaders
from tests.tickets.factories import UserFactory

ATTACKER = "203.0.113.66"
OFFICE = "198.51.100.20"
LIMIT = 5  # wrong passwords allowed: the 6th attempt and every later one is refused
RESET_PER_EMAIL = 3  # reset emails one address receives per hour
RESET_PER_IP = 10  # reset requests one network address makes per hour
RESET_IPS = [ATTACKER, OFFICE, *(f"192.0.2.{n}" for n in range(RESET_PER_EMAIL + 3))]
LOGIN_PAGES = ["/accounts/login/", "/admin/login/"]


@pytest.fixture(autouse=True)
def _fresh_reset_counters():
    """Reset requests are counted in the cache, which outlives a test (and is shared on Redis)."""
    keys = [accounts.reset_ip_key(ip) for ip in RESET_IPS] + [
        accounts.reset_email_key("ana@example.com")
    ]
    cache.delete_many(keys)
    yield
    cache.delete_many(keys)


@pytest.fixture
def staff(db):
    return UserFactory(username="ana", email="ana@example.com", is_staff=True)


@pytest.fixture
def colleague(db):
    return UserFactory(username="bruno", email="bruno@example.com", is_staff=True)


def browser(ip: str, language: str = "en") -> Client:
    return Client(REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE=language)


def attempt(client: Client, page: str, username: str, password: str):
    return client.post(page, {"username": username, "password": password})


def logged_in(client: Client) -> bool:
    return SESSION_KEY in client.session


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_wrong_passwords_lock_the_username_out_even_for_the_right_password(staff, page):
    client = browser(ATTACKER)
    for _ in range(LIMIT - 1):
        assert attempt(client, page, "ana", "wrong").status_code == 200

    refused = [attempt(client, page, "ana", f"guess{n}") for n in range(LIMIT, 31)]
    right = attempt(client, page, "ana", "demo1234")

    assert {response.status_code for response in refused} == {429}
    assert right.status_code == 429
    assert not logged_in(client)


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_another_username_from_the_same_address_still_logs_in(staff, colleague, page):
    client = browser(ATTACKER)
    for _ in range(LIMIT + 2):
        attempt(client, page, "ana", "wrong")

    response = attempt(client, page, "bruno", "demo1234")

    assert response.status_code == 302
    assert logged_in(client)


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_the_same_username_from_another_address_still_logs_in(staff, page):
    attacker = browser(ATTACKER)
    for _ in range(LIMIT + 2):
        attempt(attacker, page, "ana", "wrong")
    owner = browser(OFFICE)

    response = attempt(owner, page, "ana", "demo1234")

    assert response.status_code == 302
    assert logged_in(owner)


def test_a_forged_forwarded_for_header_does_not_escape_the_lockout(staff):
    """The address is REMOTE_ADDR, which only the trusted-proxy middleware of the WSGI app (or
    uvicorn's --proxy-headers) rewrites: a header the client sends itself changes nothing."""
    client = browser(ATTACKER)
    for n in range(LIMIT):
        client.post(
            "/accounts/login/",
            {"username": "ana", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )

    response = client.post(
        "/accounts/login/",
        {"username": "ana", "password": "demo1234"},
        HTTP_X_FORWARDED_FOR="192.0.2.200",
    )

    assert response.status_code == 429


def test_behind_our_trusted_proxy_each_client_is_counted_by_its_own_address(staff):
    """Through helpdesk/wsgi.py's ProxyHeaders, as gunicorn serves it behind deploy/nginx.conf:
    the lockout follows the client the proxy names, not the proxy."""
    handler = ClientHandler(enforce_csrf_checks=False)
    app = ProxyHeaders(lambda environ, start_response: handler(environ), "10.0.0.0/8")

    def login(client_address: str, password: str, *, proxy: str = "10.0.0.5") -> int:
        request = RequestFactory().post(
            "/accounts/login/",
            {"username": "ana", "password": password},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=client_address,
        )
        return app(request.environ, None).status_code

    for _ in range(LIMIT):
        login(ATTACKER, "wrong")

    assert login(ATTACKER, "demo1234") == 429
    assert login(OFFICE, "demo1234") == 302
    # A client that is not our proxy cannot speak for someone else.
    assert login(OFFICE, "demo1234", proxy=ATTACKER) == 429


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Too many failed login attempts"),
        ("pt-BR,pt;q=0.9", "Muitas tentativas de entrada sem sucesso"),
    ],
)
def test_the_lockout_page_explains_what_happened_in_the_readers_language(staff, language, text):
    client = browser(ATTACKER, language)
    for _ in range(LIMIT):
        attempt(client, "/accounts/login/", "ana", "wrong")

    response = attempt(client, "/accounts/login/", "ana", "demo1234")

    assert response.status_code == 429
    page = response.content.decode()
    assert text in page
    assert "<html" in page  # the site's layout, not a bare line of text
    assert reverse("password_reset") in page


def test_an_admin_unlocks_a_locked_out_username(staff, admin_client):
    from axes.models import AccessAttempt

    client = browser(ATTACKER)
    for _ in range(LIMIT):
        attempt(client, "/accounts/login/", "ana", "wrong")
    assert attempt(client, "/accounts/login/", "ana", "demo1234").status_code == 429
    locked = AccessAttempt.objects.get(username="ana")

    response = admin_client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "unlock", "_selected_action": [locked.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert not AccessAttempt.objects.filter(username="ana").exists()
    assert attempt(client, "/accounts/login/", "ana", "demo1234").status_code == 302
    assert logged_in(client)


def test_a_successful_login_forgets_earlier_failures(staff):
    client = browser(ATTACKER)
    for _ in range(LIMIT - 1):
        attempt(client, "/accounts/login/", "ana", "wrong")
    assert attempt(client, "/accounts/login/", "ana", "demo1234").status_code == 302
    client.logout()

    for _ in range(LIMIT - 1):
        attempt(client, "/accounts/login/", "ana", "wrong")

    assert attempt(client, "/accounts/login/", "ana", "demo1234").status_code == 302


def ask_reset(client: Client, email: str):
    return client.post(reverse("password_reset"), {"email": email})


def test_password_reset_mails_one_address_a_few_times_only(staff):
    for n in range(RESET_PER_EMAIL + 3):
        response = ask_reset(browser(f"192.0.2.{n}"), "ana@example.com")
        # Always the same answer, so the page tells nobody whether the address is known.
        assert response.status_code == 302
        assert response["Location"] == reverse("password_reset_done")

    assert len(mail.outbox) == RESET_PER_EMAIL
    assert all(message.to == ["ana@example.com"] for message in mail.outbox)


def test_password_reset_refuses_one_address_asking_for_many_emails(staff):
    client = browser(ATTACKER)
    for n in range(RESET_PER_IP):
        assert ask_reset(client, f"someone{n}@example.com").status_code == 302

    response = ask_reset(client, "ana@example.com")

    assert response.status_code == 429
    assert "Too many password reset requests" in response.content.decode()
    assert mail.outbox == []
    assert ask_reset(browser(OFFICE), "ana@example.com").status_code == 302
    assert len(mail.outbox) == 1
