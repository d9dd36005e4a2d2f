"""The e-mail copy of SLA notifications (the in-app ones are AgentNotification rows, pushed live
by the workspace): one message per notified agent with an address, in the help desk's language.
Sent by a queued task after the escalation steps commit; a lost e-mail is a missed courtesy (the
notification is in the app, the entry on the timeline)."""

from collections.abc import Sequence

from django.conf import settings
from django.core.mail import send_mass_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from tickets.models import AgentNotification

K = AgentNotification.Kind


def sla_notifications_email(*, notification_ids: Sequence[int]) -> int:
    """Returns how many e-mails were sent."""
    rows = (
        AgentNotification.objects.filter(
            pk__in=list(notification_ids), kind__in=[K.SLA_WARNING, K.SLA_BREACHED]
        )
        .exclude(recipient__email="")
        .select_related("recipient", "ticket")
        .order_by("pk")
    )
    base = settings.JORNADA["PUBLIC_BASE_URL"]
    messages = []
    with translation.override(settings.LANGUAGE_CODE):
        for row in rows:
            ticket = row.ticket
            values = {"number": ticket.number, "subject": ticket.subject}
            if row.kind == K.SLA_WARNING:
                subject = gettext("Jornada: ticket #%(number)s is about to miss its SLA") % values
            else:
                subject = gettext("Jornada: ticket #%(number)s missed its SLA") % values
            url = base + reverse("ticket-detail", args=[ticket.number])
            body = f"#{ticket.number} · {ticket.subject}\n{row.get_kind_display()}\n\n{url}\n"
            messages.append((subject, body, None, [row.recipient.email]))
    if messages:
        send_mass_mail(messages, fail_silently=False)
    return len(messages)
