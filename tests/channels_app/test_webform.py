"""The public contact form (/portal/contact/) and its embeddable twin (/channels/web/form/):
signed token instead of CSRF, honeypot, rate limit per IP, attachments within limits; a
submission becomes a ticket on channel "web" that is acknowledged and answered by email."""

import itertools
import re
import time

import pytest
from django.core import mail, signing
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from channels_app.forms import FORM_TOKEN_MAX_AGE, FORM_TOKEN_SALT
from channels_app.models import InboundEvent, Mailbox
from channels_app.views import RATE_LIMIT
from tests.tickets.factories import AgentFactory
from tickets import services as ticket_services
from tickets.models import Message, Ticket, Tier

PORTAL = "/portal/contact/"
EMBED = "/channels/web/form/"
MAILBOX = "suporte@jornada.example"
TOKEN_FIELD = re.compile(r'<input[^>]*name="token"[^>]*>')
_addresses = itertools.count(1)


@pytest.fixture
def mailbox(db):
    return Mailbox.objects.create(name="Suporte Jornada", address=MAILBOX)


@pytest.fixture
def ip():
    """An address of its own for each test: the rate limit counts per IP in the cache, which
    outlives a test (and is shared on Redis)."""
    address = f"198.51.{next(_addresses) % 250}.{int(time.time() * 1000) % 250 + 1}"
    cache.delete(f"webform-rate:{address}")
    yield address
    cache.delete(f"webform-rate:{address}")


@pytest.fixture
def browser(ip):
    return Client(REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en")


def token_in(html: str) -> str:
    [field] = TOKEN_FIELD.findall(html)
    assert 'type="hidden"' in field
    return re.search(r'value="([^"]+)"', field).group(1)


def fresh_token(browser, url=PORTAL) -> str:
    response = browser.get(url)
    assert response.status_code == 200
    return token_in(response.content.decode())


def form_data(token: str, **changes) -> dict:
    data = {
        "name": "Carla Mendes",
        "email": "Carla.Mendes@Exemplo.com.br",
        "subject": "Pedido 4471 chegou incompleto",
        "body": "Faltou o carregador na caixa do pedido 4471.",
        "website": "",
        "token": token,
    }
    data.update(changes)
    return data


@pytest.fixture
def submit(browser, django_capture_on_commit_callbacks):
    """POST the form and run what the commit sets off (processing, acknowledgement)."""

    def submit(data, url=PORTAL, client=None):
        with django_capture_on_commit_callbacks(execute=True):
            return (client or browser).post(url, data)

    return submit


# --- the page ----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [PORTAL, EMBED])
def test_the_form_carries_a_signed_token_and_a_hidden_honeypot(db, browser, url):
    response = browser.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    token = token_in(html)
    signing.TimestampSigner(salt=FORM_TOKEN_SALT).unsign(token, max_age=FORM_TOKEN_MAX_AGE)
    honeypot = re.search(r'<div class="field hp"[^>]*>.*?</div>', html, re.DOTALL)
    assert honeypot is not None
    assert 'aria-hidden="true"' in honeypot.group()
    assert 'name="website"' in honeypot.group()
    assert 'tabindex="-1"' in honeypot.group()
    [contact_form] = re.findall(r"<form[^>]*contact-form.*?</form>", html, re.DOTALL)
    assert 'enctype="multipart/form-data"' in contact_form
    assert "csrfmiddlewaretoken" not in contact_form  # the signed token takes its place


def test_every_visit_gets_its_own_token(db, browser):
    assert fresh_token(browser) != fresh_token(browser)


def test_the_form_is_in_english_for_an_english_browser(db, ip):
    response = Client(REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en").get(PORTAL)

    html = response.content.decode()
    assert '<html lang="en"' in html
    assert "Your email" in html
    assert "Contact us" in html


def test_the_form_is_in_portuguese_for_a_portuguese_browser(db, ip):
    response = Client(REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="pt-BR,pt;q=0.9").get(PORTAL)

    html = response.content.decode()
    assert '<html lang="pt-br"' in html
    token_in(html)
    assert "Your email" not in html
    assert "Contact us" not in html


def test_the_embeddable_form_can_be_framed_by_other_sites(db, browser):
    response = browser.get(EMBED)

    assert response.status_code == 200
    assert "X-Frame-Options" not in response.headers


# --- a submission ------------------------------------------------------------------------------


def test_a_submission_opens_a_web_ticket_for_that_address(db, mailbox, browser, submit):
    response = submit(form_data(fresh_token(browser)))

    assert response.status_code == 200
    assert "Message sent" in response.content.decode()
    ticket = Ticket.objects.get()
    assert ticket.channel == "web"
    assert ticket.subject == "Pedido 4471 chegou incompleto"
    message = ticket.messages.get(direction=Message.Direction.INBOUND)
    assert message.channel == "web"
    assert message.body_text == "Faltou o carregador na caixa do pedido 4471."
    assert ticket.customer.name == "Carla Mendes"
    identities = list(ticket.customer.identities.values_list("kind", "value"))
    assert identities == [("email", "carla.mendes@exemplo.com.br")]
    event = InboundEvent.objects.get()
    assert (event.channel, event.status) == ("web", InboundEvent.Status.PROCESSED)


def test_a_submission_keeps_its_attachments(db, mailbox, browser, submit):
    photo = SimpleUploadedFile("caixa aberta.jpg", b"\xff\xd8\xff\xe0 jpeg", "image/jpeg")
    invoice = SimpleUploadedFile("nota-4471.pdf", b"%PDF-1.4 nota", "application/pdf")

    response = submit(form_data(fresh_token(browser), attachments=[photo, invoice]))

    assert response.status_code == 200
    message = Message.objects.get(direction=Message.Direction.INBOUND)
    stored = {}
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as handle:
            stored[attachment.filename] = (attachment.content_type, handle.read())
    assert stored == {
        "caixa aberta.jpg": ("image/jpeg", b"\xff\xd8\xff\xe0 jpeg"),
        "nota-4471.pdf": ("application/pdf", b"%PDF-1.4 nota"),
    }


def test_the_customer_gets_an_acknowledgement_by_email(db, mailbox, browser, submit):
    submit(form_data(fresh_token(browser)))

    ticket = Ticket.objects.get()
    [ack] = mail.outbox
    assert ack.to == ["carla.mendes@exemplo.com.br"]
    assert f"[#{ticket.number}]" in ack.subject
    assert f"#{ticket.number}" in ack.body
    assert ack.extra_headers["Auto-Submitted"] == "auto-replied"
    assert MAILBOX in ack.from_email
    assert Message.objects.get(kind=Message.Kind.SYSTEM).delivery_status == "sent"


def test_the_same_token_posted_twice_makes_one_ticket(db, mailbox, browser, submit):
    data = form_data(fresh_token(browser))

    first = submit(data)
    second = submit(data)  # a double click, or the browser re-posting

    assert (first.status_code, second.status_code) == (200, 200)
    assert "Message sent" in second.content.decode()
    assert Ticket.objects.count() == 1
    assert Message.objects.filter(direction=Message.Direction.INBOUND).count() == 1
    assert len(mail.outbox) == 1


def test_a_filled_honeypot_gets_thanks_but_no_ticket(db, mailbox, browser, submit):
    response = submit(form_data(fresh_token(browser), website="http://spam.example"))

    assert response.status_code == 200
    assert "Message sent" in response.content.decode()
    assert not InboundEvent.objects.exists()
    assert not Ticket.objects.exists()
    assert mail.outbox == []


def old_token(age_seconds: int) -> str:
    """A token the site really signed, `age_seconds` ago."""

    class Then(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - age_seconds)

    return Then(salt=FORM_TOKEN_SALT).sign("a" * 32)


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda good: good[:-2] + ("AA" if good[-2:] != "AA" else "BB"), id="tampered"),
        pytest.param(lambda good: old_token(FORM_TOKEN_MAX_AGE + 60), id="expired"),
        pytest.param(
            lambda good: signing.TimestampSigner(salt="another.form").sign("a" * 32),
            id="other-salt",
        ),
        pytest.param(lambda good: "", id="missing"),
    ],
)
def test_a_bad_token_is_refused_with_a_message(db, mailbox, browser, submit, token):
    response = submit(form_data(token(fresh_token(browser))))

    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "Message sent" not in html
    assert not InboundEvent.objects.exists()
    assert not Ticket.objects.exists()


def test_an_expired_token_says_to_reload_the_page(db, browser, submit):
    response = submit(form_data(old_token(FORM_TOKEN_MAX_AGE + 60)))

    assert response.status_code == 400
    assert "This form has expired" in response.content.decode()


def test_a_token_a_little_younger_than_a_day_is_still_good(db, mailbox, submit):
    response = submit(form_data(old_token(FORM_TOKEN_MAX_AGE - 60)))

    assert response.status_code == 200
    assert Ticket.objects.count() == 1


def test_more_than_five_posts_from_one_address_in_ten_minutes_are_refused(
    db, mailbox, browser, submit
):
    for n in range(RATE_LIMIT):
        response = submit(form_data(fresh_token(browser), subject=f"Pedido {n}"))
        assert response.status_code == 200

    response = submit(form_data(fresh_token(browser), subject="Pedido 6"))

    assert response.status_code == 429
    assert Ticket.objects.count() == RATE_LIMIT
    assert InboundEvent.objects.count() == RATE_LIMIT


def test_the_rate_limit_is_per_address(db, mailbox, browser, submit, ip):
    for n in range(RATE_LIMIT + 1):
        submit(form_data(fresh_token(browser), subject=f"Pedido {n}"))
    other_ip = ip.rsplit(".", 1)[0] + (".7" if not ip.endswith(".7") else ".8")
    cache.delete(f"webform-rate:{other_ip}")
    neighbour = Client(REMOTE_ADDR=other_ip)

    response = submit(form_data(fresh_token(browser), subject="Outro cliente"), client=neighbour)

    cache.delete(f"webform-rate:{other_ip}")
    assert response.status_code == 200
    assert Ticket.objects.filter(subject="Outro cliente").exists()


def test_an_attachment_over_the_limit_is_refused_with_an_error(
    db, mailbox, browser, submit, settings
):
    settings.JORNADA = {**settings.JORNADA, "ATTACHMENT_MAX_BYTES": 1024}
    big = SimpleUploadedFile("video.mp4", b"x" * 1025, "video/mp4")

    response = submit(form_data(fresh_token(browser), attachments=[big]))

    assert response.status_code == 400
    html = response.content.decode()
    assert "video.mp4" in html
    assert 'role="alert"' in html
    assert not InboundEvent.objects.exists()
    assert not Ticket.objects.exists()


def test_an_attachment_at_the_limit_is_accepted(db, mailbox, browser, submit, settings):
    settings.JORNADA = {**settings.JORNADA, "ATTACHMENT_MAX_BYTES": 1024}
    exact = SimpleUploadedFile("foto.png", b"p" * 1024, "image/png")

    response = submit(form_data(fresh_token(browser), attachments=[exact]))

    assert response.status_code == 200
    assert Message.objects.get(direction=Message.Direction.INBOUND).attachments.count() == 1


def test_more_than_five_attachments_are_refused(db, mailbox, browser, submit):
    files = [SimpleUploadedFile(f"f{n}.txt", b"x", "text/plain") for n in range(6)]

    response = submit(form_data(fresh_token(browser), attachments=files))

    assert response.status_code == 400
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("missing", ["name", "email", "subject", "body"])
def test_a_submission_without_a_required_field_is_refused(db, mailbox, browser, submit, missing):
    response = submit(form_data(fresh_token(browser), **{missing: ""}))

    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_the_embeddable_form_works_the_same(db, mailbox, browser, submit):
    token = fresh_token(browser, EMBED)

    response = submit(form_data(token), url=EMBED)

    assert response.status_code == 200
    assert "X-Frame-Options" not in response.headers
    assert "Message sent" in response.content.decode()
    assert Ticket.objects.get().channel == "web"
    assert len(mail.outbox) == 1
    assert submit(form_data(token), url=EMBED).status_code == 200  # double submit
    assert Ticket.objects.count() == 1


def test_the_form_needs_no_csrf_cookie(db, mailbox, ip, django_capture_on_commit_callbacks):
    strict = Client(REMOTE_ADDR=ip, enforce_csrf_checks=True)
    token = token_in(strict.get(EMBED).content.decode())

    with django_capture_on_commit_callbacks(execute=True):
        response = strict.post(EMBED, form_data(token))

    assert response.status_code == 200
    assert Ticket.objects.count() == 1


# --- the answer --------------------------------------------------------------------------------


def test_an_agent_reply_on_a_web_ticket_goes_out_by_email(
    db, mailbox, teams, browser, submit, django_capture_on_commit_callbacks
):
    agent = AgentFactory(user__username="rui", tier=Tier.N1, teams=[teams[Tier.N1]]).user
    submit(form_data(fresh_token(browser)))
    ticket = Ticket.objects.get()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket_services.message_reply(
            ticket=ticket, by=agent, body_text="Olá Carla, vamos enviar o carregador hoje."
        )

    reply.refresh_from_db()
    assert reply.channel == "email"
    assert reply.delivery_status == "sent"
    [sent] = mail.outbox
    assert sent.to == ["carla.mendes@exemplo.com.br"]
    assert sent.subject == f"Re: Pedido 4471 chegou incompleto [#{ticket.number}]"
    assert "vamos enviar o carregador" in sent.body
    assert sent.extra_headers["Message-ID"] == reply.external_id
    assert "Auto-Submitted" not in sent.extra_headers


# --- what an attacker types ------------------------------------------------------------------


def test_the_acknowledgement_repeats_neither_the_typed_name_nor_the_subject(
    db, mailbox, browser, submit
):
    # Anyone may type anyone's address: the acknowledgement must not carry their words to it.
    lure = "Sua conta foi bloqueada: acesse http://evil.example/login"
    submit(form_data(fresh_token(browser), name="Banco Seguro", subject=lure))

    ticket = Ticket.objects.get()
    [ack] = mail.outbox
    assert ack.subject == f"We received your message [#{ticket.number}]"
    assert "evil.example" not in ack.body
    assert "bloqueada" not in ack.body
    assert "Banco Seguro" not in ack.body
    assert f"#{ticket.number}" in ack.body


def test_line_breaks_typed_in_the_subject_and_name_are_not_stored(db, mailbox, browser, submit):
    submit(
        form_data(
            fresh_token(browser),
            name="Carla\r\nMendes\x07",
            subject="Pedido 4471\r\nBcc: vitima@example.org\x07",
        )
    )

    ticket = Ticket.objects.get()
    assert ticket.subject == "Pedido 4471 Bcc: vitima@example.org"
    assert ticket.customer.name == "Carla Mendes"
    message = ticket.messages.get(direction=Message.Direction.INBOUND)
    assert message.subject == ticket.subject
    [ack] = mail.outbox  # and the email on it goes out
    assert ack.to == ["carla.mendes@exemplo.com.br"]


def test_a_web_form_sender_is_marked_as_not_verified(db, mailbox, browser, submit):
    submit(form_data(fresh_token(browser)))

    message = Message.objects.get(direction=Message.Direction.INBOUND)
    assert message.metadata["sender_authenticated"] is False


def test_only_the_portals_own_events_name_a_portal_login(db):
    """The sender of a contact form is the address typed in it; a portal login is named only by
    requests the portal stored itself (a signed-in customer's)."""
    import json

    from channels_app.adapters import get_adapter

    raw = json.dumps(
        {"portal_user": 1, "email": "alguem@example.com", "subject": "Oi", "body": "Oi"}
    ).encode()
    form = InboundEvent(channel="web", source="webform", provider_id="t1", raw=raw)
    portal = InboundEvent(channel="web", source="portal", provider_id="portal:t2", raw=raw)

    (from_form,) = get_adapter("web").parse(form)
    (from_portal,) = get_adapter("web").parse(portal)

    assert (from_form.sender_kind, from_form.sender_value) == ("email", "alguem@example.com")
    assert from_form.metadata["sender_authenticated"] is False
    assert (from_portal.sender_kind, from_portal.sender_value) == ("portal_user", "1")
    assert from_portal.metadata["sender_authenticated"] is True
