"""Bounces (delivery status notifications) as the email parser reports them: the real-world DSNs
in tests/fixtures/email and synthetic ones for the variants the samples do not cover."""

from pathlib import Path

import pytest

from channels_app.adapters.email.bounce import BounceReport, message_ids
from channels_app.adapters.email.parse import parse_email

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "email"
BOUNCE_FIXTURES = {
    "chatwoot_bounce_gmail_x-failed-recipients.eml",
    "flanker_bounce_aol_mailbox_full.eml",
    "flanker_bounce_gmail_invalid_address_nonstandard.eml",
    "flanker_dsn_delayed.eml",
    "mikelmail_dsn_bounce_multi_address.eml",
    "mikelmail_dsn_delay_warning_auto-submitted.eml",
}


def test_bounce_samples_exist():
    names = {path.name for path in FIXTURES.glob("*.eml")}
    assert names >= BOUNCE_FIXTURES


def bounce_of(name: str) -> BounceReport:
    parsed = parse_email((FIXTURES / name).read_bytes())
    assert parsed.bounce is not None
    assert parsed.auto_reason == "delivery status notification"
    assert parsed.message.is_auto_reply is True
    return parsed.bounce


def test_postfix_aol_mailbox_full_with_rfc822_headers():
    assert bounce_of("flanker_bounce_aol_mailbox_full.eml") == BounceReport(
        original_message_ids=("<4E326A95.3010907@example.com>",),
        recipients=("user@aol.com",),
        action="failed",
        status="5.2.2",
        diagnostic="552 5.2.2 E4.12 user MAILBOX FULL",
        permanent=True,
    )


def test_postfix_dsn_with_several_failed_recipients():
    bounce = bounce_of("mikelmail_dsn_bounce_multi_address.eml")

    assert bounce.original_message_ids == ("<118707422.15521266992174819.JavaMail.root@lvmail01>",)
    assert bounce.recipients == (
        "bbbbvhvbbvkjbhfbvbvjhb@gmail.com",
        "bscdbcjhasbcjhbdscbhbsdhcbj@gmail.com",
        "egyfefsdvsfvvhjsd@gmail.com",
        "kfhejkfbsjkjsbhds@gmail.com",
        "qfvhgsvhgsduiohncdhcvhsdfvsfygusd@gmail.com",
    )
    assert (bounce.action, bounce.status, bounce.permanent) == ("failed", "5.1.1", True)
    assert bounce.diagnostic.startswith("550-5.1.1 The email account that you tried to reach")
    assert "\n" not in bounce.diagnostic


def test_sendmail_delay_warning_is_not_permanent():
    assert bounce_of("mikelmail_dsn_delay_warning_auto-submitted.eml") == BounceReport(
        original_message_ids=(
            "<15655788.13.1200472642578.JavaMail.Administrator@mail.ttttt.com.au>",
        ),
        recipients=("fraser@oooooooo.com.au",),
        action="delayed",
        status="4.2.2",
        diagnostic="452 4.2.2 <fraser@oooooooo.com.au>... Mailbox full",
        permanent=False,
    )


def test_rfc3464_give_up_after_five_days_is_a_failure_with_a_transient_status():
    # SOURCES.md calls this sample a delay DSN, but its report says "Action: failed" with
    # "Status: 4.0.0": the server gave up ("Message will be deleted from queue"). The message is
    # not delivered, so the report is permanent; the 4.x.x status says the cause was transient.
    bounce = bounce_of("flanker_dsn_delayed.eml")

    assert bounce == BounceReport(
        original_message_ids=(),  # the returned message has no Message-ID
        recipients=("foo@example.com",),
        action="failed",
        status="4.0.0",
        diagnostic="426 connection timed out",
        permanent=True,
    )


def test_gmail_multipart_report_with_an_empty_delivery_status_part():
    bounce = bounce_of("chatwoot_bounce_gmail_x-failed-recipients.eml")

    assert bounce.original_message_ids == (
        "<conversation/93775311-9416-4428-964b-862001f8a8b2/messages/27855337@gmail.com>",
    )
    assert bounce.recipients == ("alex.jones@fictionalcorp.com",)  # X-Failed-Recipients
    assert (bounce.action, bounce.status, bounce.permanent) == ("failed", "5.1.1", True)
    assert "The email account that you tried to reach does not exist" in bounce.diagnostic


def test_old_gmail_plain_text_bounce():
    bounce = bounce_of("flanker_bounce_gmail_invalid_address_nonstandard.eml")

    assert bounce.original_message_ids == (
        "<CAKsfaBUUGqVZiaMrmH3TRPfq1odQPtM7Ey5YW1SgyJJRHtAjgw@mail.gmail.com>",
    )
    assert bounce.recipients == ("awfawfawfawfawfaw@someserverhere.com",)
    assert (bounce.action, bounce.status, bounce.permanent) == ("failed", "5.1.0", True)
    assert bounce.diagnostic.startswith("Delivery to the following recipient failed permanently")
    assert "DKIM-Signature" not in bounce.diagnostic  # the quoted original is not the reason


@pytest.mark.parametrize(
    "name", sorted(p.name for p in FIXTURES.glob("*.eml") if p.name not in BOUNCE_FIXTURES)
)
def test_other_samples_are_no_bounces(name):
    assert parse_email((FIXTURES / name).read_bytes()).bounce is None


def daemon_mail(body: str, *, subject: str, extra: str = "") -> bytes:
    return (
        "From: Mail Delivery Subsystem <MAILER-DAEMON@mx.exemplo.com>\r\n"
        "To: suporte@jornada.example\r\n"
        f"Subject: {subject}\r\n"
        "Message-ID: <dsn-1@mx.exemplo.com>\r\n"
        f"{extra}"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{body}"
    ).encode()


def test_plain_text_delay_notice_is_not_permanent():
    raw = daemon_mail(
        "Delivery to the following recipient has been delayed:\r\n\r\n"
        "     ana@cliente.com.br\r\n\r\n"
        "Message will be retried for 2 more day(s)\r\n\r\n"
        "Technical details of temporary failure:\r\n"
        "451 4.3.0 Mail server temporarily rejected message.\r\n",
        subject="Delivery Status Notification (Delay)",
    )

    bounce = parse_email(raw).bounce

    assert bounce is not None
    assert (bounce.action, bounce.status, bounce.permanent) == ("delayed", "4.3.0", False)
    assert bounce.recipients == ("ana@cliente.com.br",)


def test_plain_text_hard_bounce_mentioning_temporary_things_is_a_failure():
    raw = daemon_mail(
        "Your message to ana@cliente.com.br could not be delivered.\r\n"
        "The server was temporarily unreachable before; now it says:\r\n"
        "550 5.1.1 User unknown\r\n",
        subject="Undeliverable: Re: [#42] Boleto",
    )

    bounce = parse_email(raw).bounce

    assert bounce is not None
    assert (bounce.action, bounce.status, bounce.permanent) == ("failed", "5.1.1", True)


def test_qmail_failure_notice_finds_recipient_status_and_original_id():
    raw = daemon_mail(
        "Hi. This is the qmail-send program at mx.exemplo.com.\r\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\r\n\r\n"
        "<ana@cliente.com.br>:\r\n"
        "Remote host said: 550 5.1.1 <ana@cliente.com.br>: Recipient address rejected\r\n\r\n"
        "--- Below this line is a copy of the message.\r\n\r\n"
        "From: suporte@jornada.example\r\nTo: ana@cliente.com.br\r\n"
        "Message-ID: <ticket-42.reply-7@jornada.example>\r\n"
        "Subject: Re: [#42] Boleto\r\n\r\nOi\r\n",
        subject="failure notice",
    )

    bounce = parse_email(raw).bounce

    assert bounce == BounceReport(
        original_message_ids=("<ticket-42.reply-7@jornada.example>",),
        recipients=("ana@cliente.com.br",),
        action="failed",
        status="5.1.1",
        diagnostic=bounce.diagnostic,
        permanent=True,
    )
    assert "Recipient address rejected" in bounce.diagnostic
    assert "Boleto" not in bounce.diagnostic


def test_portuguese_bounce_subject_from_a_mailer_daemon():
    raw = daemon_mail(
        "Sua mensagem não pôde ser entregue para joao@cliente.com.br.\r\n"
        "Erro: 550 5.7.1 Mensagem rejeitada.\r\n",
        subject="Mensagem não entregue",
        extra="In-Reply-To: <ticket-9@jornada.example>\r\n",
    )

    bounce = parse_email(raw).bounce

    assert bounce is not None
    assert bounce.status == "5.7.1"
    assert bounce.original_message_ids == ("<ticket-9@jornada.example>",)  # from In-Reply-To


def test_dsn_with_one_failed_and_one_delayed_recipient_reports_the_failure():
    raw = (
        b"From: MAILER-DAEMON@mx.exemplo.com\r\nTo: suporte@jornada.example\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-2@mx.exemplo.com>\r\n"
        b"References: <older@jornada.example> <ticket-5@jornada.example>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=R\r\n\r\n"
        b"--R\r\nContent-Type: text/plain\r\n\r\nDelivery problems.\r\n"
        b"--R\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.exemplo.com\r\n\r\n"
        b"Final-Recipient: rfc822; lenta@cliente.com.br\r\nAction: delayed\r\nStatus: 4.4.1\r\n\r\n"
        b"Final-Recipient: rfc822;<Errada@Cliente.com.br>\r\nAction: FAILED\r\nStatus: 5.1.1\r\n"
        b"Diagnostic-Code: smtp; 550 5.1.1 <errada@cliente.com.br>: User unknown\r\n\r\n"
        b"--R--\r\n"
    )

    bounce = parse_email(raw).bounce

    assert bounce == BounceReport(
        original_message_ids=("<ticket-5@jornada.example>", "<older@jornada.example>"),
        recipients=("errada@cliente.com.br",),
        action="failed",
        status="5.1.1",
        diagnostic="550 5.1.1 <errada@cliente.com.br>: User unknown",
        permanent=True,
    )


def test_long_explanations_are_trimmed():
    raw = daemon_mail(
        "Delivery to ana@cliente.com.br failed: 550 5.1.1 " + "muito texto " * 500,
        subject="Undeliverable: Boleto",
        extra="X-Failed-Recipients: ana@cliente.com.br\r\n",
    )

    bounce = parse_email(raw).bounce

    assert bounce is not None
    assert len(bounce.diagnostic) <= 1000
    assert bounce.diagnostic.endswith("…")


@pytest.mark.parametrize(
    ("sender", "subject"),
    [
        ("postmaster@cliente.com.br", "Dúvida sobre a fatura"),  # a person using postmaster@
        ("ana@cliente.com.br", "Undelivered package"),  # a customer, not a mail server
    ],
)
def test_ordinary_mail_is_not_a_bounce(sender, subject):
    raw = daemon_mail("Meu pacote não foi entregue.", subject=subject).replace(
        b"Mail Delivery Subsystem <MAILER-DAEMON@mx.exemplo.com>", sender.encode()
    )

    assert parse_email(raw).bounce is None


def test_message_ids_keeps_only_well_formed_ids_in_order():
    assert message_ids("<a@b.c> junk <invalid. <d@e> <no-at-sign> <f@g h> <x@y@z>") == [
        "<a@b.c>",
        "<d@e>",
    ]
