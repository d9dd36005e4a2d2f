"""Replies by email: threading headers the customer's mail client understands, text + HTML,
attachments, sent through Django's email backend (SMTP or an anymail ESP)."""

import secrets
import smtplib
from collections.abc import Iterator
from email.utils import formataddr, getaddresses, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection
from django.db.models import OuterRef, Subquery
from django.utils.html import escape, linebreaks

from tickets.inbound import SENDER_AUTHENTICATED
from tickets.memo import batch_memo
from tickets.models import CustomerIdentity, Message, Ticket
from tickets.rows import rows_update
from tickets.sanitize import single_line

from ..base import ChannelError, as_channel_error

MAX_REFERENCES = 20


def _mailbox_for(last_inbound: Message | None):
    from channels_app.models import Mailbox

    mailbox_id = last_inbound.metadata.get("mailbox_id") if last_inbound else None

    def load():
        mailbox = Mailbox.objects.filter(pk=mailbox_id).first() if mailbox_id else None
        return mailbox or Mailbox.objects.filter(is_active=True).order_by("pk").first()

    return batch_memo(("mailbox", mailbox_id), load)


def _last_inbound_emails(messages: list[Message]) -> dict[int, Message]:
    """The customer's latest email on each message's ticket (what a reply answers), by ticket
    id: one query for the batch."""
    ticket_ids = {m.ticket_id for m in messages}
    emails = Message.objects.filter(
        channel="email", direction=Message.Direction.INBOUND, is_auto_reply=False
    )
    if connection.features.can_distinct_on_fields:
        # Each ticket's newest through the (ticket, created_at) index; the subquery below is
        # planned as a scan of every message while the table is small.
        latest = emails.filter(ticket_id__in=ticket_ids).order_by("ticket_id", "-created_at", "-id")
        return {message.ticket_id: message for message in latest.distinct("ticket_id")}
    newest = emails.filter(ticket_id=OuterRef("pk")).order_by("-created_at", "-id").values("pk")
    tickets = Ticket.objects.filter(pk__in=ticket_ids)
    found = Message.objects.filter(
        pk__in=tickets.annotate(last=Subquery(newest[:1])).values("last")
    )
    return {message.ticket_id: message for message in found}


def _address(value: str) -> str:
    return parseaddr(value or "")[1].strip().lower()


def _recipient(message: Message, last_inbound: Message | None) -> str:
    """The customer's own address, never one an email merely named. Replies go where the
    customer's last email came from: the identity their customer record was found by (a forged
    From with a Reply-To reaches the real owner of that From, not the forger). A Reply-To counts
    only from an authenticated sender, and only to choose another verified address of theirs.
    A message from someone else on the thread (a colleague who answered our email) decides
    nothing; without a usable email of the customer's, their verified address, then their
    oldest."""
    customer_id = message.ticket.customer_id
    if last_inbound and last_inbound.author_customer_id == customer_id:
        metadata = last_inbound.metadata
        reply_to = [address.lower() for _, address in getaddresses([metadata.get("reply_to", "")])]
        sender = _address(metadata.get("from", ""))
        if metadata.get(SENDER_AUTHENTICATED) is True and any(a != sender for a in reply_to):
            chosen = (
                CustomerIdentity.objects.filter(
                    customer_id=customer_id,
                    kind=CustomerIdentity.Kind.EMAIL,
                    verified=True,
                    value__in=reply_to,
                )
                .values_list("value", flat=True)
                .first()
            )
            if chosen:
                return chosen
        if sender:
            return sender
    address = (
        CustomerIdentity.objects.filter(customer_id=customer_id, kind=CustomerIdentity.Kind.EMAIL)
        .order_by("-verified", "pk")
        .values_list("value", flat=True)
        .first()
    )
    if not address:
        raise ChannelError("The customer has no email address.", permanent=True, code="no_address")
    return address


def _give_message_ids(messages: list[Message], last_inbound: dict[int, Message]) -> None:
    """A Message-ID for each message that has none, stored (one statement) before the first
    attempt: a retried message keeps its id, and a bounce or our own copy coming back is
    recognised even before the send is recorded. The random part matters: replies thread by this
    id, so it must not be guessable."""
    new = []
    for message in messages:
        if not message.external_id:
            mailbox = _mailbox_for(last_inbound.get(message.ticket_id))
            from_address = mailbox.address if mailbox else settings.DEFAULT_FROM_EMAIL
            domain = from_address.rpartition("@")[2].strip(">") or "localhost"
            number, token = message.ticket.number, secrets.token_hex(8)
            message.external_id = f"<jornada.{number}.{message.pk}.{token}@{domain}>"
            new.append(message)
    rows_update(new, ["external_id"])


def _subject(message: Message) -> str:
    ticket = message.ticket
    # Stripped again here: a subject stored before control characters were stripped on input
    # would otherwise break every email of its ticket (a line break in a header is refused).
    subject = single_line(message.subject or ticket.subject)
    tag = f"[#{ticket.number}]"
    if tag not in subject:
        subject = f"{subject} {tag}"
    if message.kind == Message.Kind.MESSAGE and not subject.lower().startswith("re:"):
        subject = f"Re: {subject}"
    return subject


def build_email(message: Message, last_inbound: Message | None) -> EmailMultiAlternatives:
    """The email of an outbound message; `last_inbound`: the customer's latest email on its
    ticket (_last_inbound_emails), which it answers."""
    ticket = message.ticket
    mailbox = _mailbox_for(last_inbound)
    from_address = mailbox.address if mailbox else settings.DEFAULT_FROM_EMAIL
    headers = {
        "Message-ID": message.external_id,
        "X-Jornada-Ticket": str(ticket.number),
    }
    if mailbox:
        headers["Reply-To"] = mailbox.address
    if last_inbound and last_inbound.external_id:
        references = [
            *last_inbound.metadata.get("references", []),
            last_inbound.external_id,
        ][-MAX_REFERENCES:]
        headers["In-Reply-To"] = last_inbound.external_id
        headers["References"] = " ".join(dict.fromkeys(references))
    if message.kind == Message.Kind.SYSTEM:
        # RFC 3834: automatic answers say so, and ask other robots not to answer back.
        headers["Auto-Submitted"] = "auto-replied"
        headers["X-Auto-Response-Suppress"] = "All"
        headers["Precedence"] = "auto_reply"
    sender_name = single_line(mailbox.name) if mailbox else "Jornada"
    if message.author_user is not None:
        agent = message.author_user.get_full_name() or message.author_user.get_username()
        sender_name = f"{single_line(agent)} ({sender_name})"
    email = EmailMultiAlternatives(
        subject=_subject(message),
        body=message.body_text,
        from_email=formataddr((sender_name, from_address)) if mailbox else from_address,
        to=[_recipient(message, last_inbound)],
        headers=headers,
    )
    html = message.body_html or linebreaks(escape(message.body_text))
    email.attach_alternative(html, "text/html")
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as handle:
            email.attach(attachment.filename, handle.read(), attachment.content_type)
    return email


def send_email_message(message: Message) -> str:
    """Send and return the Message-ID (ChannelError as send_email_messages gives it)."""
    [(_, result)] = list(send_email_messages([message]))
    if isinstance(result, ChannelError):
        raise result
    return result


def send_email_messages(messages: list[Message]) -> Iterator[tuple[Message, str | ChannelError]]:
    """Send each over one connection to the server, yielding it with its Message-ID or the
    ChannelError it met as soon as it is done (the caller records it before the next one goes).
    Refusals by the server are permanent (5xx), everything else (connection, timeouts, 4xx) is
    worth a retry. A server that cannot be reached is tried once for the batch, not once per
    message (each try may wait EMAIL_TIMEOUT)."""
    last_inbound = _last_inbound_emails(messages)
    _give_message_ids(messages, last_inbound)
    connection = get_connection(fail_silently=False)
    unreachable: ChannelError | None = None  # the server could not be reached: not tried again
    try:
        for message in messages:
            try:
                email = build_email(message, last_inbound.get(message.ticket_id))
            except Exception as exc:  # a message that cannot be built fails alone
                yield message, as_channel_error(exc)
                continue
            error = unreachable
            if error is None:
                try:
                    connection.open()  # kept open for the next message; again after a failure
                except Exception as exc:
                    error = unreachable = _channel_error(exc)
            if error is None:
                try:
                    connection.send_messages([email])
                except Exception as exc:
                    connection.close()
                    error = _channel_error(exc)
            yield message, email.extra_headers["Message-ID"] if error is None else error
    finally:
        connection.close()


def _channel_error(exc: Exception) -> ChannelError:
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        detail = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
        text = f"SMTP {exc.smtp_code}: {detail}"
        return ChannelError(text, permanent=500 <= exc.smtp_code < 600, code=str(exc.smtp_code))
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(
            f"{rcpt}: {code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
            for rcpt, (code, text) in exc.recipients.items()
        )
        # 4xx (greylisting, mailbox busy) may pass; only 5xx refusals are final.
        permanent = all(500 <= code < 600 for code in codes)
        return ChannelError(f"Recipient refused: {detail}", permanent=permanent)
    if isinstance(exc, smtplib.SMTPException | OSError):
        return ChannelError(f"{exc.__class__.__name__}: {exc}", permanent=False)
    return as_channel_error(exc)
