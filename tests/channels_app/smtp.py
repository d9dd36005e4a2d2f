"""A real SMTP server on loopback for the email channel's tests (aiosmtpd), as a pytest plugin.

`smtp_server` listens on 127.0.0.1 and a free port and records every envelope it accepts. It can
be told to refuse (`reject_rcpt = "550 5.1.1 mailbox unavailable"`, or `reject_data`), or stopped
and started again on the same port to play a server that is down for a while. `smtp_settings`
points Django's SMTP backend at it.

Register with `pytest_plugins = ["tests.channels_app.smtp"]` in the top-level conftest, or import
both fixtures into a test module.
"""

import logging
import socket
import threading
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


@dataclass
class Envelope:
    """One message as the server accepted it."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage = field(repr=False)


class RecordingHandler:
    """aiosmtpd handler: accepts (or refuses, when told to) and keeps what it accepted."""

    def __init__(self):
        self.envelopes: list[Envelope] = []
        self.reject_rcpt: str | None = None
        self.reject_data: str | None = None
        self.connections = 0
        self._lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self._lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject_rcpt:
            return self.reject_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.reject_data:
            return self.reject_data
        raw = bytes(envelope.original_content or envelope.content)
        with self._lock:
            self.envelopes.append(
                Envelope(
                    mail_from=envelope.mail_from,
                    rcpt_tos=list(envelope.rcpt_tos),
                    raw=raw,
                    message=BytesParser(policy=policy.default).parsebytes(raw),
                )
            )
        return "250 2.0.0 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class SMTPServer:
    """The fixture's value: a running server, its port, what it received, and its switches."""

    def __init__(self):
        self.host = HOST
        self.port = _free_port()
        self.handler = RecordingHandler()
        self._controller: Controller | None = None

    # -- what it received ---------------------------------------------------------------------
    @property
    def envelopes(self) -> list[Envelope]:
        return list(self.handler.envelopes)

    @property
    def messages(self) -> list[EmailMessage]:
        return [envelope.message for envelope in self.handler.envelopes]

    def by_message_id(self, message_id: str) -> list[Envelope]:
        return [e for e in self.handler.envelopes if e.message["Message-ID"] == message_id]

    def clear(self) -> None:
        self.handler.envelopes.clear()

    # -- switches -----------------------------------------------------------------------------
    @property
    def reject_rcpt(self) -> str | None:
        return self.handler.reject_rcpt

    @reject_rcpt.setter
    def reject_rcpt(self, reply: str | None) -> None:
        """An SMTP reply such as "550 5.1.1 mailbox unavailable" for every RCPT TO."""
        self.handler.reject_rcpt = reply

    @property
    def reject_data(self) -> str | None:
        return self.handler.reject_data

    @reject_data.setter
    def reject_data(self, reply: str | None) -> None:
        """An SMTP reply such as "554 5.7.1 message refused" after DATA."""
        self.handler.reject_data = reply

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        """Listen (again) on the same port: a server that comes back."""
        if self._controller is not None:
            return
        controller = Controller(self.handler, hostname=self.host, port=self.port)
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        """Close the port: connections are refused until start() (a server that is down)."""
        if self._controller is None:
            return
        self._controller.stop()
        self._controller = None


@pytest.fixture
def smtp_server():
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command
    server = SMTPServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_settings(settings, smtp_server):
    """Django's SMTP backend, pointed at `smtp_server`, without TLS or authentication."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    return settings
