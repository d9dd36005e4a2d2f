"""What the email tests share: a customer's email as a mail client writes it, a mailbox, an
agent, storing and processing a received email, an agent's reply, a ticket opened by email, and
forgetting the delivery marks a test leaves in the cache."""

from email.utils import formatdate
from pathlib import Path

import pytest
from django.core.cache import cache

from channels_app import services, tasks
from channels_app.adapters.email.adapter import email_provider_id
from channels_app.models import InboundEvent, Mailbox
from tests.tickets.factories import AgentFactory
from tickets import services as ticket_services
from tickets.models import Message, Ticket, Tier

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "email"
MAILBOX = "suporte@jornada.example"
CUSTOMER = "joao@cliente.com.br"
SUBJECT = "Não consigo emitir a nota fiscal"
FIRST_ID = "<cliente-1@cliente.com.br>"
EARLIER_REFS = ("<thread-a@cliente.com.br>", "<thread-b@cliente.com.br>")
S = InboundEvent.Status
D = Message.DeliveryStatus


def email(
    *,
    message_id: str = FIRST_ID,
    subject: str = SUBJECT,
    sender: str = f"João Pereira <{CUSTOMER}>",
    body: str = "Olá, a emissão da nota fiscal dá erro de validação.",
    headers: dict[str, str] | None = None,
) -> bytes:
    """A plain customer email as a mail client writes it (UTF-8, 8bit)."""
    lines = [
        f"From: {sender}",
        f"To: Suporte Jornada <{MAILBOX}>",
        f"Subject: {subject}",
        f"Message-ID: {message_id}",
        f"Date: {formatdate(localtime=True)}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
        "",
        body,
        "",
    ]
    return "\r\n".join(lines).encode("utf-8")


@pytest.fixture
def mailbox(db):
    return Mailbox.objects.create(name="Suporte Jornada", address=MAILBOX)


@pytest.fixture
def agent(teams):
    return AgentFactory(
        user__username="ana.souza",
        user__first_name="Ana",
        user__last_name="Souza",
        tier=Tier.N1,
        teams=[teams[Tier.N1]],
    ).user


@pytest.fixture
def receive(mailbox, django_capture_on_commit_callbacks):
    """Store a raw email as the IMAP poller would and run everything it sets off (processing,
    acknowledgement, delivery) as after a real commit. Returns the processed InboundEvent."""

    def receive(raw: bytes) -> InboundEvent:
        with django_capture_on_commit_callbacks(execute=True):
            event, _ = services.inbound_event_store(
                channel="email",
                source=f"imap:{mailbox.pk}",
                provider_id=email_provider_id(raw),
                raw=raw,
                mailbox=mailbox,
            )
        event.refresh_from_db()
        return event

    return receive


@pytest.fixture
def reply(agent, django_capture_on_commit_callbacks):
    """An agent's reply through the service, delivered on commit (Celery is eager in tests)."""

    def reply(ticket: Ticket, **kwargs) -> Message:
        kwargs.setdefault("body_text", "Olá João,\n\nConfira o CNPJ do destinatário.")
        with django_capture_on_commit_callbacks(execute=True):
            message = ticket_services.message_reply(ticket=ticket, by=agent, **kwargs)
        message.refresh_from_db()
        return message

    return reply


@pytest.fixture
def ticket(smtp_settings, receive):
    """A ticket opened by a customer email that answers an earlier thread of theirs."""
    event = receive(
        email(
            headers={
                "In-Reply-To": EARLIER_REFS[-1],
                "References": " ".join(EARLIER_REFS),
            }
        )
    )
    assert event.status == S.PROCESSED, event.error
    return event.message.ticket


def acknowledgements(smtp_server):
    return [m for m in smtp_server.messages if m["Auto-Submitted"] is not None]


def subject_of(sent) -> str:
    # A long encoded Subject is folded right after "Subject:"; mail clients drop the leading
    # whitespace that unfolding leaves, so do we.
    return str(sent["Subject"]).strip()


MARKS = ("deliver-message:", tasks.RETRYING, tasks.SENT_UNRECORDED)


def forget_delivery_marks(messages) -> None:
    """The locks and marks left in the cache for these messages (ids are reused by other tests,
    and the cache outlives a run)."""
    cache.delete_many([f"{key}{m.pk}" for m in messages for key in MARKS])


@pytest.fixture
def marked():
    """Messages whose delivery marks are forgotten after the test, whatever its outcome."""
    messages = []
    yield messages
    forget_delivery_marks(messages)
