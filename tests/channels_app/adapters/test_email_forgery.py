"""Forged email against the desk, through the real pipeline and a real SMTP server: a forged
From with a Reply-To never redirects an agent's answer, a delivery report marks a reply failed
only when our own mail system (or an authenticated one) sent it, and an old ticket whose subject
holds a line break still gets its replies."""

# ruff: noqa: F811  (pytest hands the fixtures imported below to the tests that name them)

from pathlib import Path

import pytest

from channels_app.models import InboundEvent, Mailbox
from tests.channels_app.adapters.email_support import (  # noqa: F401  (fixtures)
    CUSTOMER,
    MAILBOX,
    SUBJECT,
    agent,
    email,
    mailbox,
    receive,
    reply,
    ticket,
)
from tests.tickets.factories import CustomerIdentityFactory
from tickets.models import Message, Ticket

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "email"
S = InboundEvent.Status
D = Message.DeliveryStatus
OUR_MX = "mx.jornada.example"
ATTACKER = "attacker@evil.example"


@pytest.fixture
def trusted_mx(settings):
    """The operator names the host that receives our mail as the one whose verdicts count."""
    settings.JORNADA = {**settings.JORNADA, "TRUSTED_AUTHSERV_IDS": [OUR_MX]}
    return OUR_MX


def passed_dmarc(domain: str, authserv_id: str = OUR_MX) -> dict[str, str]:
    return {
        "Authentication-Results": (
            f"{authserv_id}; dkim=pass header.d={domain} header.s=s1; "
            f"spf=pass smtp.mailfrom={domain}; dmarc=pass (p=REJECT) header.from={domain}"
        )
    }


def recipients_of(smtp_server, message: Message) -> list[str]:
    [envelope] = smtp_server.by_message_id(message.external_id)
    return envelope.rcpt_tos


# --- where replies go ------------------------------------------------------------------------


def test_a_forged_customer_email_with_a_reply_to_never_gets_the_agents_reply(
    ticket, receive, reply, smtp_server
):
    forged = receive(
        email(
            message_id="<forged-1@evil.example>",
            subject=f"Re: {SUBJECT} [#{ticket.number}]",
            body="Mudei de e-mail, respondam neste endereço.",
            headers={"Reply-To": f"Suporte <{ATTACKER}>"},
        )
    )
    assert forged.message.ticket_id == ticket.pk  # it joined the customer's ticket...

    answer = reply(ticket)

    assert answer.delivery_status == D.SENT
    assert recipients_of(smtp_server, answer) == [CUSTOMER]  # ...but never redirects the answer
    assert ATTACKER not in str(smtp_server.by_message_id(answer.external_id)[0].raw)


FINANCE = "financeiro@cliente.com.br"


@pytest.mark.parametrize(
    ("authenticated", "verified_identity", "answered"),
    [
        pytest.param(True, False, CUSTOMER, id="authenticated, a new address"),
        pytest.param(True, True, FINANCE, id="authenticated, another verified address of theirs"),
        pytest.param(False, True, CUSTOMER, id="unauthenticated, even a verified address"),
    ],
)
def test_a_reply_to_only_chooses_among_the_customers_verified_addresses_if_authenticated(
    ticket, receive, reply, smtp_server, trusted_mx, authenticated, verified_identity, answered
):
    if verified_identity:
        CustomerIdentityFactory(customer=ticket.customer, value=FINANCE, verified=True)
    headers = {"Reply-To": FINANCE, **(passed_dmarc("cliente.com.br") if authenticated else {})}
    receive(
        email(
            message_id="<cliente-3@cliente.com.br>",
            subject=f"Re: {SUBJECT} [#{ticket.number}]",
            headers=headers,
        )
    )

    answer = reply(ticket)

    assert recipients_of(smtp_server, answer) == [answered]


# --- delivery reports --------------------------------------------------------------------------

PLAIN_BOUNCE = "flanker_bounce_gmail_invalid_address_nonstandard.eml"
PLAIN_BOUNCE_ID = "<CAKsfaBUUGqVZiaMrmH3TRPfq1odQPtM7Ey5YW1SgyJJRHtAjgw@mail.gmail.com>"
DSN = "mikelmail_dsn_bounce_multi_address.eml"
DSN_ID = "<118707422.15521266992174819.JavaMail.root@lvmail01>"


def bounce_of(sample: str, original_id: str, our_id: str, headers: dict | None = None) -> bytes:
    raw = (FIXTURES / sample).read_bytes()
    assert original_id.encode() in raw
    added = "".join(f"{name}: {value}\n" for name, value in (headers or {}).items())
    return added.encode() + raw.replace(original_id.encode(), our_id.encode())


def test_a_plain_text_bounce_from_anyone_leaves_our_reply_sent(ticket, reply, receive):
    answer = reply(ticket)

    event = receive(bounce_of(PLAIN_BOUNCE, PLAIN_BOUNCE_ID, answer.external_id))

    answer.refresh_from_db()
    assert answer.delivery_status == D.SENT
    assert event.status == S.IGNORED
    assert any("not authenticated" in note for note in event.notes), event.notes
    assert Ticket.objects.count() == 1


def test_an_unauthenticated_dsn_leaves_our_reply_sent(ticket, reply, receive):
    answer = reply(ticket)

    event = receive(bounce_of(DSN, DSN_ID, answer.external_id))

    answer.refresh_from_db()
    assert answer.delivery_status == D.SENT
    assert event.status == S.IGNORED


def test_a_dsn_whose_sender_passed_dmarc_at_our_receiving_host_marks_the_reply_failed(
    ticket, reply, receive, trusted_mx
):
    answer = reply(ticket)

    event = receive(
        bounce_of(DSN, DSN_ID, answer.external_id, headers=passed_dmarc("lvmail01.LL.com"))
    )

    answer.refresh_from_db()
    assert event.status == S.PROCESSED, event.notes
    assert answer.delivery_status == D.FAILED
    assert "5.1.1" in answer.delivery_error


def test_a_dsn_with_a_verdict_from_a_host_nobody_named_leaves_the_reply_sent(
    ticket, reply, receive, trusted_mx
):
    answer = reply(ticket)
    forged_verdict = passed_dmarc("lvmail01.LL.com", authserv_id="mx.evil.example")

    receive(bounce_of(DSN, DSN_ID, answer.external_id, headers=forged_verdict))

    answer.refresh_from_db()
    assert answer.delivery_status == D.SENT


def test_a_plain_text_bounce_that_passed_dmarc_is_still_no_delivery_report(
    ticket, reply, receive, trusted_mx
):
    answer = reply(ticket)
    verdict = passed_dmarc("googlemail.com")

    receive(bounce_of(PLAIN_BOUNCE, PLAIN_BOUNCE_ID, answer.external_id, headers=verdict))

    answer.refresh_from_db()
    assert answer.delivery_status == D.SENT


def test_a_mailbox_that_trusts_its_mail_server_links_even_a_plain_text_bounce(
    ticket, reply, receive, mailbox
):
    Mailbox.objects.filter(pk=mailbox.pk).update(trusts_mta=True)
    answer = reply(ticket)

    receive(bounce_of(PLAIN_BOUNCE, PLAIN_BOUNCE_ID, answer.external_id))

    answer.refresh_from_db()
    assert answer.delivery_status == D.FAILED


# --- control characters stored before they were stripped ---------------------------------------


def test_a_ticket_whose_stored_subject_holds_a_line_break_still_gets_its_replies(
    ticket, reply, smtp_server
):
    Ticket.objects.filter(pk=ticket.pk).update(subject="Pedido\r\nBcc: vitima@example.org")
    ticket.refresh_from_db()

    answer = reply(ticket)

    assert answer.delivery_status == D.SENT, answer.delivery_error
    sent = smtp_server.by_message_id(answer.external_id)[0]
    assert sent.rcpt_tos == [CUSTOMER]
    assert sent.message["Bcc"] is None
    assert str(sent.message["Subject"]).startswith("Re: Pedido Bcc: vitima@example.org")
    assert MAILBOX in str(sent.message["From"])
