"""Sender authentication of inbound email: Authentication-Results headers read only from the
receiving hosts the operator names, DMARC pass in alignment with the single From address, the
verdicts an ESP's signed webhook carries, and mailboxes whose mail server is trusted. The
samples in tests/fixtures/email/authentication/ copy the headers real receiving hosts write."""

from pathlib import Path

import pytest

from channels_app import services
from channels_app.adapters.email.adapter import email_provider_id
from channels_app.adapters.email.authentication import (
    parse_authentication_results,
    sender_authentication,
)
from channels_app.adapters.email.parse import parse_email
from channels_app.models import InboundEvent, Mailbox
from tickets.models import Message

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "email"
AUTH = FIXTURES / "authentication"
S = InboundEvent.Status


def verdict(sample: str, *trusted: str, **kwargs):
    folder = FIXTURES if sample.startswith("flanker_") else AUTH
    parsed = parse_email((folder / sample).read_bytes())
    return sender_authentication(
        from_address=parsed.from_address,
        from_count=parsed.from_count,
        results=parsed.authentication_results,
        trusted_authserv_ids=frozenset(trusted),
        **kwargs,
    )


# --- reading the header ------------------------------------------------------------------------


def test_gmails_header_is_read_with_its_comments_left_out():
    parsed = parse_authentication_results(
        "mx.google.com;\r\n       dkim=pass header.i=@cliente.com.br header.s=google "
        "header.b=Xy7Qp2Lm;\r\n       spf=pass (google.com: domain of joao@cliente.com.br "
        "designates 209.85.220.41 as permitted sender) smtp.mailfrom=joao@cliente.com.br;\r\n"
        "       dmarc=pass (p=QUARANTINE sp=QUARANTINE dis=NONE) header.from=cliente.com.br"
    )

    assert parsed.authserv_id == "mx.google.com"
    assert [(r.method, r.result) for r in parsed.results] == [
        ("dkim", "pass"),
        ("spf", "pass"),
        ("dmarc", "pass"),
    ]
    assert parsed.first("dmarc").properties == {"header.from": "cliente.com.br"}
    assert parsed.first("spf").properties == {"smtp.mailfrom": "joao@cliente.com.br"}


def test_amazon_ses_properties_without_a_type_are_kept():
    [header] = parse_email((AUTH / "amazon_ses_inbound.eml").read_bytes()).authentication_results

    assert header.authserv_id == "amazonses.com"
    assert header.first("spf").properties["client-ip"] == "209.85.221.44"
    assert header.first("dmarc").properties == {"header.from": "cliente.example"}


def test_a_header_without_an_authserv_id_names_no_host():
    parsed = parse_email((AUTH / "microsoft365_without_authserv_id.eml").read_bytes())

    [header] = parsed.authentication_results
    assert header.authserv_id == ""
    assert header.first("dmarc").result == "pass"


def test_a_quoted_reason_with_separators_inside_does_not_split_the_result():
    parsed = parse_authentication_results(
        'mx.jornada.example; dmarc=fail reason="SPF not aligned (relaxed); No valid DKIM" '
        "header.from=cliente.com.br (policy=reject); spf=pass smtp.mailfrom=evil.example"
    )

    assert [(r.method, r.result) for r in parsed.results] == [("dmarc", "fail"), ("spf", "pass")]
    assert parsed.first("dmarc").properties["header.from"] == "cliente.com.br"


@pytest.mark.parametrize(
    "value", ["", "none", "mx.example.org; none", ";;;", "((((", "mx; =; dmarc", "mx; dmarc="]
)
def test_unreadable_headers_give_no_result_and_no_error(value):
    assert all(r.result != "pass" for r in parse_authentication_results(value).results)


# --- the verdict -------------------------------------------------------------------------------


def test_dmarc_pass_at_a_trusted_host_authenticates_the_sender():
    found = verdict("gmail_dmarc_pass.eml", "mx.google.com")

    assert found.authenticated
    assert found.reason == "dmarc=pass for cliente.com.br at mx.google.com"
    assert found.checks["spf"].startswith("spf=pass smtp.mailfrom=joao@cliente.com.br")
    assert found.checks["dkim"].startswith("dkim=pass header.i=@cliente.com.br")


def test_the_same_headers_from_a_host_nobody_named_authenticate_nothing():
    found = verdict("gmail_dmarc_pass.eml", "mx.jornada.example")

    assert not found.authenticated
    assert "no Authentication-Results from a receiving host we trust" in found.reason


def test_the_arc_copy_of_the_results_is_not_read():
    raw = (AUTH / "gmail_dmarc_pass.eml").read_bytes()
    without_own = b"\n".join(
        line for line in raw.split(b"\n") if not line.startswith(b"Authentication-Results:")
    )

    parsed = parse_email(without_own)

    assert all(
        h.authserv_id != "mx.google.com" or not h.results for h in parsed.authentication_results
    )


def test_a_spoofed_from_fails_dmarc():
    found = verdict("gmail_dmarc_fail_spoofed_from.eml", "mx.google.com")

    assert not found.authenticated
    assert found.reason == "dmarc=fail for cliente.com.br at mx.google.com"


def test_results_the_sender_wrote_below_our_hosts_own_are_not_read():
    found = verdict("forged_results_below_ours.eml", "mx.jornada.example")

    assert not found.authenticated
    assert found.reason.startswith("dmarc=fail for cliente.com.br")


def test_amazon_ses_results_count_when_the_operator_names_amazonses():
    assert verdict("amazon_ses_inbound.eml", "amazonses.com").authenticated
    assert not verdict("amazon_ses_inbound.eml").authenticated


def test_a_header_without_an_authserv_id_is_never_trusted():
    assert not verdict("microsoft365_without_authserv_id.eml", "", "outlook.com").authenticated


def test_spf_and_dkim_alone_do_not_authenticate():
    # A real Gmail header of 2011 (before DMARC): SPF and DKIM passed, for other domains.
    found = verdict("flanker_iphone_inline_jpeg.eml", "mx.google.com")

    assert not found.authenticated
    assert found.reason.startswith("no DMARC result")
    assert found.checks["spf"].startswith("spf=pass")


def test_dmarc_pass_for_another_domain_than_the_from_is_no_alignment():
    found = sender_authentication(
        from_address="joao@cliente.com.br",
        from_count=1,
        results=(parse_authentication_results("mx.x; dmarc=pass header.from=evil.example"),),
        trusted_authserv_ids=frozenset({"mx.x"}),
    )

    assert not found.authenticated


def test_several_from_addresses_are_never_authenticated():
    raw = (
        (AUTH / "gmail_dmarc_pass.eml")
        .read_bytes()
        .replace(
            b"From: =?UTF-8?Q?Jo=C3=A3o_Pereira?= <joao@cliente.com.br>",
            b"From: joao@cliente.com.br, mallory@evil.example",
        )
    )
    parsed = parse_email(raw)

    found = sender_authentication(
        from_address=parsed.from_address,
        from_count=parsed.from_count,
        results=parsed.authentication_results,
        trusted_authserv_ids=frozenset({"mx.google.com"}),
    )

    assert parsed.from_count == 2
    assert not found.authenticated


def test_the_esps_dmarc_verdict_authenticates_and_its_spam_flag_does_not():
    common = {"from_address": "a@cliente.example", "from_count": 1, "results": ()}
    trusted = frozenset()

    assert sender_authentication(
        **common, trusted_authserv_ids=trusted, esp_verdict={"dmarc": "pass"}
    ).authenticated
    assert not sender_authentication(
        **common, trusted_authserv_ids=trusted, esp_verdict={"dmarc": "pass", "spam_detected": True}
    ).authenticated
    assert not sender_authentication(
        **common, trusted_authserv_ids=trusted, esp_verdict={"dmarc": "fail", "spf": "pass"}
    ).authenticated


# --- on the stored message -------------------------------------------------------------------


@pytest.fixture
def mailbox(db):
    return Mailbox.objects.create(name="Suporte", address="suporte@jornada.example")


def receive(raw: bytes, mailbox, capture) -> Message:
    with capture(execute=True):
        event, _ = services.inbound_event_store(
            channel="email",
            source="imap:test",
            provider_id=email_provider_id(raw),
            raw=raw,
            mailbox=mailbox,
        )
    event.refresh_from_db()
    assert event.status == S.PROCESSED, (event.error, event.notes)
    return event.message


def test_the_verdict_is_kept_on_the_message(settings, mailbox, django_capture_on_commit_callbacks):
    settings.JORNADA = {**settings.JORNADA, "TRUSTED_AUTHSERV_IDS": ["mx.google.com"]}
    raw = (AUTH / "gmail_dmarc_pass.eml").read_bytes()

    message = receive(raw, mailbox, django_capture_on_commit_callbacks)

    assert message.metadata["sender_authenticated"] is True
    assert message.metadata["sender_auth"]["reason"] == (
        "dmarc=pass for cliente.com.br at mx.google.com"
    )
    assert message.metadata["sender_auth"]["by"] == "dmarc"


def test_without_trusted_hosts_every_sender_is_unverified(
    mailbox, django_capture_on_commit_callbacks
):
    raw = (AUTH / "gmail_dmarc_pass.eml").read_bytes()

    message = receive(raw, mailbox, django_capture_on_commit_callbacks)

    assert message.metadata["sender_authenticated"] is False


def test_a_mailbox_whose_server_is_trusted_authenticates_its_senders(
    mailbox, django_capture_on_commit_callbacks
):
    Mailbox.objects.filter(pk=mailbox.pk).update(trusts_mta=True)
    raw = (AUTH / "microsoft365_without_authserv_id.eml").read_bytes()

    message = receive(raw, mailbox, django_capture_on_commit_callbacks)

    assert message.metadata["sender_authenticated"] is True
    assert message.metadata["sender_auth"]["by"] == "mailbox"
