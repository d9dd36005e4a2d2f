"""The e-mail copy of SLA notifications (the in-app ones are AgentNotification rows, pushed live
by the workspace): one message per notified agent with an address, in the help desk's language.
Sent by a queued task after the escalation steps commit, each once (AgentNotification.emailed_at),
retried while the mail server cannot take them; a lost e-mail is a missed courtesy (the
notification is in the app, the entry on the timeline)."""

from collections.abc import Sequence

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage, get_connection
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from tickets.models import AgentNotification

K = AgentNotification.Kind


def sla_notifications_email(*, notification_ids: Sequence[int]) -> int:
    """E-mail these SLA notifications to their agents, each once: taken under a lock, those
    e-mailed already left out, marked as e-mailed as soon as they are sent (a task run again, or
    retried after a failure, sends only the rest). Raises the first failure after marking the
    ones that went out (the task retries). Returns how many e-mails were sent."""
    locks = [f"{_LOCK}{pk}" for pk in notification_ids]
    held = [key for key in locks if cache.add(key, 1, timeout=_LOCK_SECONDS)]
    try:
        return _email([int(key.removeprefix(_LOCK)) for key in held])
    finally:
        cache.delete_many(held)


_LOCK = "jornada:sla-email:"
_LOCK_SECONDS = 600


def _email(notification_ids: list[int]) -> int:
    rows = (
        AgentNotification.objects.filter(
            pk__in=notification_ids, kind__in=[K.SLA_WARNING, K.SLA_BREACHED], emailed_at=None
        )
        .exclude(recipient__email="")
        .select_related("recipient", "ticket")
        .order_by("pk")
    )
    base = settings.JORNADA["PUBLIC_BASE_URL"]
    sent, failure = [], None
    connection = get_connection(fail_silently=False)
    try:
        with translation.override(settings.LANGUAGE_CODE):
            for row in rows:
                try:
                    connection.send_messages([_message(row, base, connection)])
                except Exception as exc:
                    failure = failure or exc
                    connection.close()  # opened again for the next one
                    continue
                sent.append(row.pk)
    finally:
        connection.close()
        if sent:
            AgentNotification.objects.filter(pk__in=sent).update(emailed_at=timezone.now())
    if failure is not None:
        raise failure
    return len(sent)


def _message(row: AgentNotification, base: str, connection) -> EmailMessage:
    ticket = row.ticket
    values = {"number": ticket.number, "subject": ticket.subject}
    if row.kind == K.SLA_WARNING:
        subject = gettext("Jornada: ticket #%(number)s is about to miss its SLA") % values
    else:
        subject = gettext("Jornada: ticket #%(number)s missed its SLA") % values
    url = base + reverse("ticket-detail", args=[ticket.number])
    body = f"#{ticket.number} · {ticket.subject}\n{row.get_kind_display()}\n\n{url}\n"
    return EmailMessage(subject, body, to=[row.recipient.email], connection=connection)
