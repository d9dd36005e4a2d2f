"""Poll IMAP mailboxes into the inbound pipeline, with the standard library's imaplib.

Store first, act after: each message is stored as an InboundEvent (the store commits) before it
is marked \\Seen or moved, and `Mailbox.last_uid` only moves forward past stored messages. When
the folder's UIDVALIDITY changes the folder is fetched again from UID 1: the pipeline recognises
messages it already has by their Message-ID. A message the server cannot deliver is recorded and
skipped; a connection, login or configuration problem ends the poll and is kept in
`Mailbox.last_error`. Parsing is not the poller's business: it stores the bytes as received.
"""

import base64
import contextlib
import imaplib
import logging
import os
import re
import ssl
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import InterfaceError, OperationalError
from django.utils import timezone

from channels_app.models import Mailbox

from .adapter import email_provider_id

logger = logging.getLogger(__name__)

# The pipeline's storing function (channels_app.services.inbound_event_store): keyword arguments
# channel, source, provider_id, raw, mailbox; returns (event, created).
Store = Callable[..., tuple[Any, bool]]

TIMEOUT_SECONDS = 30
BATCH_SIZE = 50
_UID = re.compile(rb"\bUID (\d+)")


class PollError(Exception):
    """The mailbox cannot be polled now (configuration, connection, login, folder)."""


@dataclass
class PollResult:
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "failed": [[uid, reason] for uid, reason in self.failed]}


def poll(mailbox: Mailbox, *, store: Store) -> PollResult:
    """Fetch the messages that arrived in the mailbox's folder since the last poll and store
    each one with `store`. Never raises: problems end up in the result and in `mailbox.last_error`.
    Call it outside any transaction (as the poll_mailbox task does), so that each store has
    committed before the message is marked or moved on the server."""
    result = PollResult()
    session = _Session(mailbox)
    try:
        session.open()
        _fetch_new(session, mailbox, result, store)
    except (PollError, imaplib.IMAP4.error, OSError) as exc:
        result.error = _text(exc) or exc.__class__.__name__
        logger.warning("Polling mailbox %s failed: %s", mailbox.address, result.error)
    except Exception as exc:
        result.error = f"{exc.__class__.__name__}: {exc}"
        logger.exception("Polling mailbox %s failed", mailbox.address)
    finally:
        session.close(polite=not result.error)
    _record(mailbox, result)
    return result


class _Session:
    """One logged-in IMAP connection with the mailbox's folder selected. Reopened when the server
    drops it (dovecot says BYE when it cannot read a message)."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox
        self.imap: imaplib.IMAP4 | None = None
        self.capabilities: set[str] = set()
        self.uidvalidity: int | None = None

    def open(self) -> None:
        """Connect, log in and select the folder (again, after the server dropped us)."""
        mailbox, folder, previous = self.mailbox, self.mailbox.imap_folder, self.uidvalidity
        if mailbox.after_fetch == Mailbox.AfterFetch.MOVE and not mailbox.move_to_folder:
            raise PollError("after_fetch is 'move' but no folder to move to is set")
        password = _password(mailbox)
        self.close(polite=False)
        self.imap = imap = _connect(mailbox)
        username = mailbox.imap_username or mailbox.address
        try:
            imap.login(username, password)
        except imaplib.IMAP4.error as exc:
            raise PollError(f"login as {username} refused: {_text(exc)}") from exc
        self.capabilities = set(_text(_ok(imap.capability(), "CAPABILITY")).upper().split())
        _ok(imap.select(_folder(folder)), f"cannot open folder {folder!r}")
        value = imap.response("UIDVALIDITY")[1][0]
        if value is None:
            raise PollError(f"the server gave no UIDVALIDITY for {folder!r}")
        self.uidvalidity = int(value)
        if previous is not None and previous != self.uidvalidity:
            raise PollError("UIDVALIDITY changed during the poll; the next poll starts over")

    def close(self, *, polite: bool = True) -> None:
        imap, self.imap = self.imap, None
        if imap is None:
            return
        try:
            imap.logout() if polite else imap.shutdown()  # logout closes the socket too
        except Exception:
            logger.debug("Closing the IMAP connection failed", exc_info=True)
            with contextlib.suppress(Exception):
                imap.shutdown()

    def new_uids(self, last_uid: int) -> list[int]:
        # `n:*` always matches the newest message, even when its UID is below n.
        data = _ok(self.imap.uid("SEARCH", f"UID {last_uid + 1}:*"), "SEARCH")
        found = map(int, b" ".join(filter(None, data)).split())
        return sorted(uid for uid in found if uid > last_uid)

    def fetch(self, uids: list[int]) -> tuple[dict[int, bytes], dict[int, str]]:
        """The raw bytes of each UID; the UIDs the server would not give, with its reason."""
        found, reason = self._fetch(uids)
        failures: dict[int, str] = {}
        for uid in uids:
            if uid not in found and len(uids) > 1:  # find out which one it was
                single, reason = self._fetch([uid])
                found.update(single)
            if uid not in found:
                failures[uid] = reason or "not returned by the server"
        return found, failures

    def _fetch(self, uids: list[int]) -> tuple[dict[int, bytes], str]:
        try:
            typ, data = self.imap.uid("FETCH", ",".join(map(str, uids)), "(UID BODY.PEEK[])")
        except imaplib.IMAP4.abort as exc:
            logger.warning("Connection dropped fetching UIDs %s: %s", uids, exc)
            self.open()
            return {}, f"the server dropped the connection: {_text(exc)}"
        reason = ""
        if typ != "OK":  # what did arrive is still waiting among the untagged responses
            reason, data = _text(data), self.imap.response("FETCH")[1]
        found = {}
        for item, after in zip(data, [*data[1:], b""], strict=True):
            if isinstance(item, tuple):  # (b'1 (UID 7 BODY[] {size}', raw), then b')' or b' UID 7)'
                tail = after if isinstance(after, bytes) else b""
                if match := _UID.search(item[0]) or _UID.search(tail):
                    found[int(match.group(1))] = item[1]
        return found, reason

    def after_store(self, uid: int) -> None:
        imap, folder, number = self.imap, self.mailbox.move_to_folder, str(uid)
        if self.mailbox.after_fetch != Mailbox.AfterFetch.MOVE:
            _ok(imap.uid("STORE", number, "+FLAGS.SILENT", r"(\Seen)"), f"mark UID {uid} seen")
        elif "MOVE" in self.capabilities:
            _ok(imap.uid("MOVE", number, _folder(folder)), f"move UID {uid} to {folder!r}")
        else:
            _ok(imap.uid("COPY", number, _folder(folder)), f"copy UID {uid} to {folder!r}")
            _ok(imap.uid("STORE", number, "+FLAGS.SILENT", r"(\Deleted)"), f"delete UID {uid}")
            # Without UIDPLUS, EXPUNGE also removes whatever else is flagged \Deleted.
            uidplus = "UIDPLUS" in self.capabilities
            _ok(imap.uid("EXPUNGE", number) if uidplus else imap.expunge(), "EXPUNGE")


def _fetch_new(session: _Session, mailbox: Mailbox, result: PollResult, store: Store) -> None:
    mailbox.refresh_from_db(fields=["uidvalidity", "last_uid"])
    uidvalidity = session.uidvalidity
    if mailbox.uidvalidity != uidvalidity:
        if mailbox.uidvalidity is not None:
            logger.warning("%s: UIDVALIDITY changed, fetching from UID 1", mailbox.address)
        Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=uidvalidity, last_uid=0)
        mailbox.uidvalidity, mailbox.last_uid = uidvalidity, 0
    uids = session.new_uids(mailbox.last_uid)
    for start in range(0, len(uids), BATCH_SIZE):
        found, failures = session.fetch(uids[start : start + BATCH_SIZE])
        for uid in uids[start : start + BATCH_SIZE]:
            if uid in failures:
                result.failed.append((uid, failures[uid]))
                logger.warning("%s: UID %s skipped: %s", mailbox.address, uid, failures[uid])
                continue
            result.fetched += 1
            raw = found.pop(uid)
            try:
                _event, created = store(
                    channel="email",
                    source=f"imap:{mailbox.address}",
                    provider_id=email_provider_id(raw),
                    raw=raw,
                    mailbox=mailbox,
                )
            except (OperationalError, InterfaceError):
                raise  # the database is away: stop, nothing is lost
            except Exception as exc:  # something in this message: skip it, keep the rest
                logger.exception("%s: UID %s could not be stored", mailbox.address, uid)
                result.failed.append((uid, f"not stored: {exc.__class__.__name__}: {exc}"))
                continue
            if created:
                result.stored += 1
            else:
                result.duplicates += 1
            session.after_store(uid)
            Mailbox.objects.filter(pk=mailbox.pk, uidvalidity=uidvalidity, last_uid__lt=uid).update(
                last_uid=uid
            )
            mailbox.last_uid = max(mailbox.last_uid, uid)


def _record(mailbox: Mailbox, result: PollResult) -> None:
    error = result.error
    if not error and result.failed:
        skipped = "; ".join(f"UID {uid}: {reason}" for uid, reason in result.failed)
        error = f"{len(result.failed)} message(s) skipped: {skipped}"
    now = timezone.now()
    try:
        Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=now, last_error=error[:2000])
    except Exception:
        logger.exception("Could not record the poll of mailbox %s", mailbox.address)
    mailbox.last_polled_at, mailbox.last_error = now, error[:2000]
    logger.info("Polled mailbox %s: %s", mailbox.address, result.as_dict())


def _password(mailbox: Mailbox) -> str:
    name = mailbox.imap_password_env.strip()
    if not name:
        raise PollError("no password: set imap_password_env to the environment variable holding it")
    password = os.environ.get(name)
    if not password:
        raise PollError(f"the environment variable {name} (the IMAP password) is not set")
    return password


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def _connect(mailbox: Mailbox) -> imaplib.IMAP4:
    host, port, security = mailbox.imap_host, mailbox.imap_port, mailbox.imap_security
    if not host or security not in Mailbox.Security.values:
        raise PollError(f"no IMAP host or unknown security {security!r}")
    if security == Mailbox.Security.NONE and host not in LOOPBACK_HOSTS:
        # A password in clear text over a network: refused, whatever the admin form said.
        raise PollError(f"IMAP without TLS is only allowed on loopback, not on {host}")
    try:
        if security == Mailbox.Security.SSL:
            context = ssl.create_default_context()
            return imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=TIMEOUT_SECONDS)
        imap = imaplib.IMAP4(host, port, timeout=TIMEOUT_SECONDS)
        if security == Mailbox.Security.STARTTLS:
            try:
                imap.starttls(ssl_context=ssl.create_default_context())
            except BaseException:
                with contextlib.suppress(OSError):  # a failed handshake leaves no socket
                    imap.shutdown()
                raise
        return imap
    except (OSError, imaplib.IMAP4.error) as exc:
        raise PollError(f"cannot connect to {host}:{port} ({security}): {_text(exc)}") from exc


def _ok(response: tuple[str, list[Any]], what: str) -> list[Any]:
    typ, data = response
    if typ != "OK":
        raise PollError(f"{what}: {typ} {_text(data)}")
    return data


def _text(value: object) -> str:
    """Readable text from imaplib's bytes, lists of bytes and exceptions carrying them."""
    if isinstance(value, imaplib.IMAP4.error | list | tuple):
        items = value.args if isinstance(value, BaseException) else value
        return " ".join(_text(item) for item in items if item is not None)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _folder(name: str) -> str:
    """A folder name as an IMAP quoted string in modified UTF-7 (RFC 3501, 5.1.3)."""
    encoded, pending = [], []
    for char in [*name, None]:
        if char is not None and not 0x20 <= ord(char) <= 0x7E:
            pending.append(char)
            continue
        if pending:
            chunk = base64.b64encode("".join(pending).encode("utf-16-be")).rstrip(b"=")
            encoded.append(f"&{chunk.decode().replace('/', ',')}-")
            pending = []
        if char is not None:
            encoded.append("&-" if char == "&" else char)
    quoted = "".join(encoded).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}"'
