"""Fixtures for the unified inbox tests: a real IMAP server (Debian's dovecot, package
dovecot-imapd) on a free loopback port, started once per test session from its own throwaway
configuration, with one fresh account (user and empty maildir) per test. Every IMAP command
the account receives after login is kept (dovecot's rawlog), so a test can check what was sent.
It speaks plain IMAP with STARTTLS on `port` and IMAPS on `tls_port`, with a self-signed
certificate for 127.0.0.1 made by openssl (a dependency of dovecot-core) at startup.

The accounts are all written to dovecot's passwd-file before it starts, so no test depends on
dovecot noticing that the file changed."""

import contextlib
import grp
import imaplib
import itertools
import os
import pwd
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

DOVECOT = Path("/usr/sbin/dovecot")
ACCOUNTS_PER_KIND = 100
# Account kinds: user name prefix -> passwd-file extra fields (userdb_<setting> overrides a
# dovecot setting for that user).
ACCOUNT_KINDS = {
    "agent": {},
    "legacy": {"userdb_imap_capability": "IMAP4rev1"},  # a server without MOVE and UIDPLUS
}

DOVECOT_CONF = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{root}/tls.crt
ssl_key = <{root}/tls.key
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:~/Maildir
first_valid_uid = 1
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users
  default_fields = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service imap {{
  executable = imap postlogin
}}
service postlogin {{
  executable = script-login -d rawlog
  unix_listener postlogin {{
  }}
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


@dataclass
class Dovecot:
    host: str
    port: int
    tls_port: int
    root: Path
    mail_uid: int = -1
    mail_gid: int = -1

    @property
    def certificate(self) -> Path:
        """The server's self-signed certificate: trust it with SSL_CERT_FILE."""
        return self.root / "tls.crt"

    @staticmethod
    def password(user: str) -> str:
        return f"{user}-Secret"

    def home(self, user: str) -> Path:
        return self.root / "mail" / user

    def maildir(self, user: str) -> Path:
        return self.home(user) / "Maildir"

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


@dataclass
class ImapAccount:
    """One dovecot user, with helpers that talk to the server the way a mail client would."""

    server: Dovecot
    user: str
    password: str

    @property
    def address(self) -> str:
        return f"{self.user}@example.test"

    @contextlib.contextmanager
    def client(self, folder: str | None = "INBOX") -> Iterator[imaplib.IMAP4]:
        imap = imaplib.IMAP4(self.server.host, self.server.port, timeout=10)
        try:
            imap.login(self.user, self.password)
            if folder is not None:
                assert imap.select(folder)[0] == "OK", folder
            yield imap
        finally:
            imap.logout()

    def append(self, raw: bytes, folder: str = "INBOX") -> int:
        """Deliver a message (imaplib turns its line ends into CRLF); returns its UID."""
        with self.client(folder=None) as imap:
            typ, data = imap.append(folder, None, None, raw)
        assert typ == "OK", data
        return int(re.search(rb"APPENDUID \d+ (\d+)", data[0]).group(1))

    def create(self, folder: str) -> None:
        with self.client(folder=None) as imap:
            assert imap.create(folder)[0] == "OK"

    def delete(self, folder: str) -> None:
        with self.client(folder=None) as imap:
            assert imap.delete(folder)[0] == "OK"

    def uidvalidity(self, folder: str = "INBOX") -> int:
        with self.client(folder) as imap:
            return int(imap.response("UIDVALIDITY")[1][0])

    def flags(self, folder: str = "INBOX") -> dict[int, set[str]]:
        """UID -> flags of every message in the folder."""
        with self.client(folder) as imap:
            typ, data = imap.uid("FETCH", "1:*", "(UID FLAGS)")
        assert typ == "OK", data
        found = {}
        for line in filter(None, data):
            uid = int(re.search(rb"UID (\d+)", line).group(1))
            flags = set(re.search(rb"FLAGS \(([^)]*)\)", line).group(1).decode().split())
            found[uid] = flags - {"\\Recent"}  # \Recent belongs to a session, not the message
        return found

    def messages(self, folder: str = "INBOX") -> dict[int, bytes]:
        """UID -> raw bytes of every message in the folder, as the server gives them."""
        with self.client(folder) as imap:
            typ, data = imap.uid("FETCH", "1:*", "(UID BODY.PEEK[])")
        assert typ == "OK", data
        return {
            int(re.search(rb"UID (\d+)", item[0]).group(1)): item[1]
            for item in data
            if isinstance(item, tuple)
        }

    def commands(self) -> list[str]:
        """The IMAP commands (without their tags) of every session of this account so far.
        dovecot writes them as it goes: wait (a little) until each session has logged out."""
        rawlog = self.server.home(self.user) / "dovecot.rawlog"
        for _attempt in range(40):
            sessions = sorted(rawlog.glob("*.in"), key=lambda path: path.stat().st_mtime_ns)
            texts = [path.read_text(errors="replace") for path in sessions]
            if all(text.rstrip().endswith("LOGOUT") for text in texts):
                break
            time.sleep(0.05)
        lines = [line for text in texts for line in text.splitlines()]
        return [line.split(" ", 1)[1] for line in lines if " " in line]

    def make_unreadable(self, marker: bytes) -> None:
        """Take away the read permission of the maildir file holding the message that contains
        `marker`: dovecot then fails to FETCH it (and says BYE)."""
        maildir = self.server.maildir(self.user)
        for _attempt in range(20):
            for path in [*maildir.glob("cur/*"), *maildir.glob("new/*")]:
                # By descriptor: dovecot may be renaming it from new/ to cur/ right now.
                with contextlib.suppress(FileNotFoundError), path.open("rb") as file:
                    if marker in file.read():
                        os.fchmod(file.fileno(), 0)
                        return
            time.sleep(0.05)
        raise AssertionError(f"no message with {marker!r} in {maildir}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _process_users(root: Path) -> dict[str, str | int]:
    """As root, dovecot runs its login and internal processes as the users its Debian package
    created, and refuses mail access as uid 0: the mail belongs to `nobody`. As anyone else it
    runs everything as that user."""
    if os.geteuid() != 0:
        me, group = pwd.getpwuid(os.geteuid()).pw_name, grp.getgrgid(os.getegid()).gr_name
        return {
            "internal_user": me,
            "internal_group": group,
            "login_user": me,
            "uid": os.geteuid(),
            "gid": os.getegid(),
        }
    nobody = pwd.getpwnam("nobody")
    os.chown(root / "mail", nobody.pw_uid, nobody.pw_gid)
    root.chmod(0o711)
    return {
        "internal_user": "dovecot",
        "internal_group": "dovecot",
        "login_user": "dovenull",
        "uid": nobody.pw_uid,
        "gid": nobody.pw_gid,
    }


def _make_certificate(root: Path) -> None:
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout", root / "tls.key", "-out", root / "tls.crt",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip


def _greets(port: int, certificate: Path | None = None) -> bool:
    """Whether an IMAP server answers on the port (over TLS, checked against `certificate`)."""
    try:
        with socket.create_connection(("127.0.0.1", port), 1) as sock:
            if certificate is None:
                return sock.recv(100).startswith(b"* OK")
            context = ssl.create_default_context(cafile=certificate)
            with context.wrap_socket(sock, server_hostname="127.0.0.1") as tls:
                return tls.recv(100).startswith(b"* OK")
    except OSError:
        return False


def _wait_until_up(process: subprocess.Popen, port: int, tls_port: int, root: Path) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and process.poll() is None:
        if _greets(port) and _greets(tls_port, root / "tls.crt"):
            return True
        time.sleep(0.05)
    return False


def _passwd_file() -> str:
    lines = []
    for kind, fields in ACCOUNT_KINDS.items():
        extra = " ".join(f"{key}={value}" for key, value in fields.items())
        for number in range(1, ACCOUNTS_PER_KIND + 1):
            user = f"{kind}{number}"
            lines.append(f"{user}:{{PLAIN}}{Dovecot.password(user)}::::::{extra}\n")
    return "".join(lines)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    if not DOVECOT.exists():
        pytest.skip(
            f"{DOVECOT} not found: the IMAP tests need dovecot (apt-get install dovecot-imapd)"
        )
    root = Path(tempfile.mkdtemp(prefix="jornada-dovecot-"))
    for part in ("run", "state", "mail"):
        (root / part).mkdir()
    (root / "users").write_text(_passwd_file())
    _make_certificate(root)
    users = _process_users(root)
    process = None
    try:
        for _attempt in range(3):  # the free port may be taken before dovecot binds it
            port, tls_port = _free_port(), _free_port()
            config = root / "dovecot.conf"
            config.write_text(DOVECOT_CONF.format(root=root, port=port, tls_port=tls_port, **users))
            with (root / "stderr.log").open("w") as stderr:
                process = subprocess.Popen(
                    [DOVECOT, "-F", "-c", config], stdout=subprocess.DEVNULL, stderr=stderr
                )
            if _wait_until_up(process, port, tls_port, root):
                break
            process.terminate()
            process.wait(10)
        else:
            stderr = (root / "stderr.log").read_text(errors="replace")
            log = (root / "dovecot.log").read_text(errors="replace")
            pytest.fail(f"dovecot did not start:\n{stderr}\n{log}")
        yield Dovecot("127.0.0.1", port, tls_port, root, users["uid"], users["gid"])
    finally:
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(root, ignore_errors=True)


_account_numbers = {kind: itertools.count(1) for kind in ACCOUNT_KINDS}


@pytest.fixture
def make_imap_account(dovecot):
    """Gives a fresh dovecot account (its own user, password and empty maildir) of a kind in
    ACCOUNT_KINDS: "agent" on a full server, "legacy" on one without MOVE and UIDPLUS."""

    def make(kind: str = "agent") -> ImapAccount:
        number = next(_account_numbers[kind])
        if number > ACCOUNTS_PER_KIND:
            pytest.fail(f"more than {ACCOUNTS_PER_KIND} {kind} accounts: raise ACCOUNTS_PER_KIND")
        user = f"{kind}{number}"
        home = dovecot.home(user)
        (home / "dovecot.rawlog").mkdir(parents=True)  # dovecot logs the session when it exists
        for path in (home, home / "dovecot.rawlog"):
            os.chown(path, dovecot.mail_uid, dovecot.mail_gid)
        return ImapAccount(server=dovecot, user=user, password=Dovecot.password(user))

    return make


@pytest.fixture
def imap_account(make_imap_account) -> ImapAccount:
    return make_imap_account()
