"""The IMAP poller against a real dovecot on loopback (see tests/channels_app/conftest.py)."""

import json
import re
import socket
import time
from pathlib import Path

import pytest

from channels_app.adapters.email import imap as imap_poller
from channels_app.adapters.email.adapter import email_provider_id
from channels_app.models import InboundEvent, Mailbox
from channels_app.services import inbound_event_store
from channels_app.tasks import poll_mailbox

NOTHING_NEW = {"fetched": 0, "stored": 0, "duplicates": 0, "failed": [], "error": ""}
SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "email"
REAL_EMAILS = [
    "djhelpdesk_multipart_alternative_qp.eml",
    "mikelmail_reply_in-reply-to_references.eml",
    "hunnysoft_outlook_raw_8bit_latin1_headers.eml",
]


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def as_delivered(raw: bytes) -> bytes:
    """What an IMAP server gives back for a message APPENDed with imaplib: CRLF line ends."""
    return re.sub(rb"\r\n|\r|\n", b"\r\n", raw)


def email(number: int) -> bytes:
    """A small customer email of our own, with a Message-ID of its own."""
    return (
        f"From: Cliente {number} <cliente{number}@example.com>\r\n"
        "To: suporte@example.test\r\n"
        f"Subject: Pedido {number}\r\n"
        f"Message-ID: <imap-test-{number}@example.com>\r\n"
        f"Date: Mon, 03 Mar 2025 10:{number % 60:02d}:00 -0300\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Olá, preciso de ajuda com o pedido {number}.\r\n"
    ).encode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_mailbox(account, monkeypatch, **fields) -> Mailbox:
    variable = f"JORNADA_TEST_IMAP_PASSWORD_{account.user.upper()}"
    monkeypatch.setenv(variable, account.password)
    defaults = {
        "name": f"Suporte {account.user}",
        "address": account.address,
        "imap_host": account.server.host,
        "imap_port": account.server.port,
        "imap_security": Mailbox.Security.NONE,
        "imap_username": account.user,
        "imap_password_env": variable,
    }
    return Mailbox.objects.create(**{**defaults, **fields})


@pytest.fixture
def mailbox(db, imap_account, monkeypatch) -> Mailbox:
    return make_mailbox(imap_account, monkeypatch)


def stored_raw(mailbox: Mailbox) -> list[bytes]:
    return [bytes(e.raw) for e in InboundEvent.objects.filter(mailbox=mailbox).order_by("pk")]


def test_poll_stores_every_message_raw_and_marks_it_seen(imap_account, mailbox):
    uids = [imap_account.append(sample(name)) for name in REAL_EMAILS]
    assert all(not flags for flags in imap_account.flags().values())
    on_server = imap_account.messages()

    result = imap_poller.poll(mailbox, store=inbound_event_store)

    assert result.as_dict() == {**NOTHING_NEW, "fetched": 3, "stored": 3}
    events = list(InboundEvent.objects.filter(mailbox=mailbox).order_by("pk"))
    assert [bytes(e.raw) for e in events] == [on_server[uid] for uid in uids]
    assert [bytes(e.raw) for e in events] == [as_delivered(sample(name)) for name in REAL_EMAILS]
    for event in events:
        assert event.channel == "email"
        assert event.source == f"imap:{mailbox.address}"
        assert event.provider_id == email_provider_id(bytes(event.raw))
        assert event.provider_id.startswith("msgid:<")
        assert event.size == len(event.raw)
    assert imap_account.flags() == {uid: {"\\Seen"} for uid in uids}
    mailbox.refresh_from_db()
    assert mailbox.uidvalidity == imap_account.uidvalidity()
    assert mailbox.last_uid == uids[-1]
    assert mailbox.last_polled_at is not None
    assert mailbox.last_error == ""


def test_second_poll_fetches_nothing_new(imap_account, mailbox):
    for number in range(3):
        imap_account.append(email(number))
    assert imap_poller.poll(mailbox, store=inbound_event_store).stored == 3

    # `UID 4:*` still matches UID 3, the newest message: it must not be fetched again.
    again = imap_poller.poll(mailbox, store=inbound_event_store)

    assert again.as_dict() == NOTHING_NEW
    assert InboundEvent.objects.filter(mailbox=mailbox).count() == 3


def test_messages_delivered_between_polls_are_fetched_on_the_next_poll_and_only_those(
    imap_account, mailbox
):
    imap_account.append(email(1))
    imap_account.append(email(2))
    imap_poller.poll(mailbox, store=inbound_event_store)
    # Marked unread again by someone reading the mailbox: UIDs, not flags, decide what is new.
    with imap_account.client() as client:
        client.uid("STORE", "1:*", "-FLAGS", "(\\Seen)")
    new_uids = [imap_account.append(email(3)), imap_account.append(email(4))]

    result = imap_poller.poll(mailbox, store=inbound_event_store)

    assert (result.fetched, result.stored, result.duplicates) == (2, 2, 0)
    assert stored_raw(mailbox) == [email(n) for n in (1, 2, 3, 4)]
    mailbox.refresh_from_db()
    assert mailbox.last_uid == new_uids[-1]
    assert imap_poller.poll(mailbox, store=inbound_event_store).fetched == 0


def test_many_messages_are_fetched_in_batches_in_uid_order(imap_account, mailbox, monkeypatch):
    monkeypatch.setattr(imap_poller, "BATCH_SIZE", 2)
    for number in range(7):
        imap_account.append(email(number))

    result = imap_poller.poll(mailbox, store=inbound_event_store)

    assert (result.fetched, result.stored) == (7, 7)
    assert stored_raw(mailbox) == [email(n) for n in range(7)]
    mailbox.refresh_from_db()
    assert mailbox.last_uid == 7


def test_folder_recreated_with_new_uidvalidity_is_fetched_again_without_duplicates(
    db, make_imap_account, monkeypatch
):
    account = make_imap_account()
    account.create("Suporte")
    mailbox = make_mailbox(account, monkeypatch, imap_folder="Suporte")
    for number in (1, 2, 3):
        account.append(email(number), folder="Suporte")
    imap_poller.poll(mailbox, store=inbound_event_store)
    old_validity = account.uidvalidity("Suporte")
    account.delete("Suporte")
    account.create("Suporte")
    # The same two messages again (restored from a backup) and a new one: UIDs 1, 2, 3 again.
    for number in (1, 2, 4):
        account.append(email(number), folder="Suporte")
    assert account.uidvalidity("Suporte") != old_validity

    result = imap_poller.poll(mailbox, store=inbound_event_store)

    assert (result.fetched, result.stored, result.duplicates, result.error) == (3, 1, 2, "")
    assert stored_raw(mailbox) == [email(n) for n in (1, 2, 3, 4)]
    mailbox.refresh_from_db()
    assert mailbox.uidvalidity == account.uidvalidity("Suporte")
    assert mailbox.last_uid == 3
    assert account.flags("Suporte") == {1: {"\\Seen"}, 2: {"\\Seen"}, 3: {"\\Seen"}}


def test_uidvalidity_different_from_the_one_remembered_starts_over_from_uid_one(
    imap_account, mailbox
):
    for number in range(3):
        imap_account.append(email(number))
    imap_poller.poll(mailbox, store=inbound_event_store)
    Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=1)

    result = imap_poller.poll(mailbox, store=inbound_event_store)

    assert (result.fetched, result.stored, result.duplicates) == (3, 0, 3)
    assert InboundEvent.objects.filter(mailbox=mailbox).count() == 3
    mailbox.refresh_from_db()
    assert (mailbox.uidvalidity, mailbox.last_uid) == (imap_account.uidvalidity(), 3)


def test_move_mode_moves_stored_messages_to_the_folder(db, make_imap_account, monkeypatch):
    account = make_imap_account()
    account.create("Conclu&AO0-dos")  # "Concluídos" in IMAP's modified UTF-7
    mailbox = make_mailbox(
        account, monkeypatch, after_fetch=Mailbox.AfterFetch.MOVE, move_to_folder="Concluídos"
    )
    for name in REAL_EMAILS[:2]:
        account.append(sample(name))

    result = imap_poller.poll(mailbox, store=inbound_event_store)

    assert (result.stored, result.error) == (2, "")
    assert account.messages("INBOX") == {}
    moved = account.messages("Conclu&AO0-dos")
    assert sorted(moved.values()) == sorted(stored_raw(mailbox))
    assert all("\\Seen" not in flags for flags in account.flags("Conclu&AO0-dos").values())
    moves = [command for command in account.commands() if "MOVE" in command]
    assert moves == ['UID MOVE 1 "Conclu&AO0-dos"', 'UID MOVE 2 "Conclu&AO0-dos"']


def test_move_without_the_move_extension_copies_deletes_and_expunges(
    db, make_imap_account, monkeypatch
):
    account = make_imap_account("legacy")  # a server without MOVE and UIDPLUS
    account.create("Processados")
    mailbox = make_mailbox(
        account, monkeypatch, after_fetch=Mailbox.AfterFetch.MOVE, move_to_folder="Processados"
    )
    with account.client() as client:
        assert "MOVE" not in client.capability()[1][0].decode()
    for number in range(3):
        account.append(email(number))

    result = imap_poller.poll(mailbox, store=inbound_event_store)

    assert (result.stored, result.error) == (3, "")
    assert account.messages("INBOX") == {}
    assert sorted(account.messages("Processados").values()) == sorted(email(n) for n in range(3))
    sent = account.commands()
    assert 'UID COPY 1 "Processados"' in sent
    assert "UID STORE 1 +FLAGS.SILENT (\\Deleted)" in sent
    assert "EXPUNGE" in sent
    assert not [command for command in sent if "MOVE" in command]


def test_move_to_a_missing_folder_stops_the_poll_and_is_retried_once_it_exists(
    db, make_imap_account, monkeypatch
):
    account = make_imap_account()
    mailbox = make_mailbox(
        account, monkeypatch, after_fetch=Mailbox.AfterFetch.MOVE, move_to_folder="Arquivo"
    )
    account.append(email(1))

    failed = imap_poller.poll(mailbox, store=inbound_event_store)

    assert "Arquivo" in failed.error
    assert "TRYCREATE" in failed.error
    assert failed.stored == 1  # stored first: the message is safe in the database
    assert list(account.messages("INBOX")) == [1]
    mailbox.refresh_from_db()
    assert mailbox.last_error == failed.error
    assert mailbox.last_uid == 0

    account.create("Arquivo")
    retried = imap_poller.poll(mailbox, store=inbound_event_store)

    assert (retried.fetched, retried.stored, retried.duplicates, retried.error) == (1, 0, 1, "")
    assert account.messages("INBOX") == {}
    assert list(account.messages("Arquivo").values()) == [email(1)]
    mailbox.refresh_from_db()
    assert (mailbox.last_uid, mailbox.last_error) == (1, "")


def test_wrong_password_records_the_error_and_stores_nothing(imap_account, mailbox, monkeypatch):
    imap_account.append(email(1))
    monkeypatch.setenv(mailbox.imap_password_env, "not-the-password")

    result = imap_poller.poll(mailbox, store=inbound_event_store)

    assert "login" in result.error
    assert "AUTHENTICATIONFAILED" in result.error
    assert (result.fetched, result.stored) == (0, 0)
    assert not InboundEvent.objects.exists()
    mailbox.refresh_from_db()
    assert mailbox.last_error == result.error
    assert mailbox.last_polled_at is not None
    assert imap_account.flags() == {1: set()}


def test_missing_password_variable_is_a_clear_error(imap_account, mailbox, monkeypatch):
    imap_account.append(email(1))
    monkeypatch.delenv(mailbox.imap_password_env)

    result = imap_poller.poll(mailbox, store=inbound_event_store)

    assert result.error == (
        f"the environment variable {mailbox.imap_password_env} (the IMAP password) is not set"
    )
    assert not InboundEvent.objects.exists()
    mailbox.refresh_from_db()
    assert mailbox.last_error == result.error


def test_successful_poll_clears_the_previous_error(imap_account, mailbox, monkeypatch):
    monkeypatch.setenv(mailbox.imap_password_env, "wrong")
    assert imap_poller.poll(mailbox, store=inbound_event_store).error
    monkeypatch.setenv(mailbox.imap_password_env, imap_account.password)

    assert imap_poller.poll(mailbox, store=inbound_event_store).error == ""

    mailbox.refresh_from_db()
    assert mailbox.last_error == ""


def test_server_that_is_not_listening_is_an_error_not_an_exception(imap_account, mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_port=free_port())
    mailbox.refresh_from_db()

    result = imap_poller.poll(mailbox, store=inbound_event_store)

    assert result.error.startswith(f"cannot connect to 127.0.0.1:{mailbox.imap_port} (none)")
    mailbox.refresh_from_db()
    assert mailbox.last_error == result.error


def logins(account, expected: int = 0) -> list[str]:
    """dovecot's log lines of this account's logins (waiting a little for `expected` of them:
    dovecot writes its log asynchronously)."""
    for _attempt in range(40):
        lines = account.server.log().splitlines()
        found = [line for line in lines if f"Login: user=<{account.user}>" in line]
        if len(found) >= expected:
            break
        time.sleep(0.05)
    return found


@pytest.mark.parametrize("security", [Mailbox.Security.SSL, Mailbox.Security.STARTTLS])
def test_tls_modes_poll_over_tls(imap_account, mailbox, monkeypatch, security):
    monkeypatch.setenv("SSL_CERT_FILE", str(imap_account.server.certificate))
    port = imap_account.server.tls_port if security == "ssl" else imap_account.server.port
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_security=security, imap_port=port)
    mailbox.refresh_from_db()
    imap_account.append(email(1))

    result = imap_poller.poll(mailbox, store=inbound_event_store)

    assert (result.stored, result.error) == (1, "")
    poller_login = logins(imap_account, expected=2)[-1]  # the append's, then the poller's
    assert ", TLS," in poller_login, poller_login


@pytest.mark.parametrize("security", [Mailbox.Security.SSL, Mailbox.Security.STARTTLS])
def test_tls_modes_refuse_an_untrusted_certificate_before_logging_in(
    imap_account, mailbox, monkeypatch, security
):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)  # the system store knows no such server
    port = imap_account.server.tls_port if security == "ssl" else imap_account.server.port
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_security=security, imap_port=port)
    mailbox.refresh_from_db()

    result = imap_poller.poll(mailbox, store=inbound_event_store)

    assert result.error.startswith(f"cannot connect to 127.0.0.1:{port} ({security}): ")
    assert "CERTIFICATE_VERIFY_FAILED" in result.error
    assert logins(imap_account) == []
    mailbox.refresh_from_db()
    assert mailbox.last_error == result.error


def test_move_mode_without_a_folder_is_a_configuration_error(imap_account, mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(after_fetch=Mailbox.AfterFetch.MOVE)
    mailbox.refresh_from_db()
    imap_account.append(email(1))

    result = imap_poller.poll(mailbox, store=inbound_event_store)

    assert result.error == "after_fetch is 'move' but no folder to move to is set"
    assert not InboundEvent.objects.exists()


def test_garbage_in_the_middle_of_a_batch_is_stored_and_the_rest_too(
    imap_account, mailbox, django_capture_on_commit_callbacks
):
    garbage = bytes(range(1, 256)) * 3 + b"\xff\xfe\x80 no headers at all \x81"
    broken_mime = (
        b"From: someone@example.com\r\nSubject: =?utf-8?B?broken\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed\r\n\r\n--nowhere\r\nContent-Type: text/plain\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n!!! not base64 \xe9\r\n"
    )
    messages = [sample(REAL_EMAILS[0]), garbage, broken_mime, sample(REAL_EMAILS[1]), email(9)]
    for raw in messages:
        imap_account.append(raw)

    with django_capture_on_commit_callbacks(execute=True):
        result = imap_poller.poll(mailbox, store=inbound_event_store)

    assert (result.fetched, result.stored, result.failed, result.error) == (5, 5, [], "")
    assert stored_raw(mailbox) == [as_delivered(raw) for raw in messages]
    assert not InboundEvent.objects.filter(status=InboundEvent.Status.RECEIVED).exists()
    assert imap_account.flags() == {uid: {"\\Seen"} for uid in range(1, 6)}


def test_message_the_server_cannot_read_is_recorded_and_skipped(imap_account, mailbox):
    for number in (1, 2, 3):
        imap_account.append(email(number))
    imap_account.make_unreadable(b"<imap-test-2@example.com>")

    result = imap_poller.poll(mailbox, store=inbound_event_store)

    assert (result.fetched, result.stored, result.error) == (2, 2, "")
    assert [uid for uid, _reason in result.failed] == [2]
    assert "FETCH failed" in result.failed[0][1]
    assert stored_raw(mailbox) == [email(1), email(3)]
    mailbox.refresh_from_db()
    assert mailbox.last_uid == 3
    assert mailbox.last_error.startswith("1 message(s) skipped: UID 2:")
    assert imap_poller.poll(mailbox, store=inbound_event_store).as_dict() == NOTHING_NEW


def test_email_already_stored_from_another_source_counts_as_duplicate(imap_account, mailbox):
    raw = as_delivered(sample(REAL_EMAILS[0]))
    first, created = inbound_event_store(
        channel="email", source="anymail:mailgun", provider_id=email_provider_id(raw), raw=raw
    )
    assert created
    imap_account.append(raw)
    imap_account.append(email(1))

    result = imap_poller.poll(mailbox, store=inbound_event_store)

    assert (result.fetched, result.stored, result.duplicates) == (2, 1, 1)
    assert InboundEvent.objects.count() == 2
    first.refresh_from_db()
    assert first.source == "anymail:mailgun"
    assert imap_account.flags() == {1: {"\\Seen"}, 2: {"\\Seen"}}
    mailbox.refresh_from_db()
    assert mailbox.last_uid == 2


def test_poll_mailbox_task_runs_end_to_end(
    imap_account, mailbox, django_capture_on_commit_callbacks
):
    imap_account.append(sample("mikelmail_reply_in-reply-to_references.eml"))

    with django_capture_on_commit_callbacks(execute=True):
        summary = poll_mailbox.delay(mailbox.pk).get()

    assert summary == {**NOTHING_NEW, "fetched": 1, "stored": 1}
    assert json.loads(json.dumps(summary)) == summary
    event = InboundEvent.objects.get(mailbox=mailbox)
    assert event.status == InboundEvent.Status.PROCESSED, event.error
    assert event.message is not None
    assert event.message.external_id == "<473FFE27.20003@xxx.org>"
    assert poll_mailbox.delay(mailbox.pk).get()["fetched"] == 0


def test_imap_without_tls_is_refused_beyond_loopback(db, imap_account, monkeypatch):
    mailbox = make_mailbox(imap_account, monkeypatch, imap_host="imap.example.com")

    result = imap_poller.poll(mailbox, store=inbound_event_store)

    mailbox.refresh_from_db()
    assert "only allowed on loopback" in result.error
    assert "only allowed on loopback" in mailbox.last_error
    assert not InboundEvent.objects.exists()
