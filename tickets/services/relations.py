"""Services that relate tickets to each other without merging them: links and splits."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext

from .. import events
from ..errors import InvalidLink, InvalidSplit, TicketClosed
from ..models import Message, Ticket, TicketEvent, TicketLink
from ._common import agent_profile, lock_ticket, record_event, touch
from .new_tickets import ticket_create

S = Ticket.Status
E = TicketEvent.Kind


def _ordered(a: Ticket, b: Ticket) -> tuple[Ticket, Ticket]:
    return (a, b) if a.pk < b.pk else (b, a)


@transaction.atomic
def ticket_link(*, ticket: Ticket, other: Ticket, by: AbstractBaseUser) -> TicketLink:
    """Mark two tickets as related (same outage, same order...). Linking twice is harmless."""
    agent_profile(by)
    if ticket.pk == other.pk:
        raise InvalidLink(why=gettext("a ticket cannot be linked to itself"))
    first, second = _ordered(ticket, other)
    link, created = TicketLink.objects.get_or_create(
        from_ticket=first, to_ticket=second, defaults={"created_by": by}
    )
    if created:
        record_event(ticket, E.LINKED, by=by, after=other.number, other=other.number)
        record_event(other, E.LINKED, by=by, after=ticket.number, other=ticket.number)
        events.publish(events.TicketLinked(ticket_id=ticket.pk, other_id=other.pk, by_id=by.pk))
        events.publish(events.TicketLinked(ticket_id=other.pk, other_id=ticket.pk, by_id=by.pk))
    return link


@transaction.atomic
def ticket_unlink(*, ticket: Ticket, other: Ticket, by: AbstractBaseUser) -> None:
    agent_profile(by)
    first, second = _ordered(ticket, other)
    deleted, _ = TicketLink.objects.filter(from_ticket=first, to_ticket=second).delete()
    if deleted:
        record_event(ticket, E.UNLINKED, by=by, before=other.number, other=other.number)
        record_event(other, E.UNLINKED, by=by, before=ticket.number, other=ticket.number)
        events.publish(events.TicketUnlinked(ticket_id=ticket.pk, other_id=other.pk, by_id=by.pk))
        events.publish(events.TicketUnlinked(ticket_id=other.pk, other_id=ticket.pk, by_id=by.pk))


@transaction.atomic
def message_split(*, message: Message, by: AbstractBaseUser, subject: str = "") -> Ticket:
    """Move a customer's message that raised a second, unrelated request into a ticket of its
    own. Its attachments go with it; both tickets are linked and record the split."""
    agent_profile(by)
    message = Message.objects.select_for_update().select_related("ticket").get(pk=message.pk)
    source = lock_ticket(message.ticket_id)
    if source.status == S.CLOSED:
        raise TicketClosed(number=source.number)
    if message.direction != Message.Direction.INBOUND or message.kind != Message.Kind.MESSAGE:
        raise InvalidSplit(why=gettext("only a customer's message can start a new ticket"))
    if not source.messages.exclude(pk=message.pk).filter(kind=Message.Kind.MESSAGE).exists():
        raise InvalidSplit(why=gettext("it is the only message of its ticket"))
    new = ticket_create(
        customer=source.customer,
        subject=subject.strip() or message.subject or source.subject,
        channel=message.channel,
        priority=source.priority,
        by=by,
        language=source.language,
    )
    message.ticket = new
    message.save(update_fields=["ticket"])
    source.last_customer_message_at = (
        source.messages.filter(direction=Message.Direction.INBOUND, kind=Message.Kind.MESSAGE)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    touch(source, "last_customer_message_at")
    new.last_customer_message_at = message.created_at
    touch(new, "last_customer_message_at")
    record_event(source, E.SPLIT, by=by, after=new.number, message_id=message.pk)
    record_event(new, E.SPLIT_FROM, by=by, before=source.number, message_id=message.pk)
    TicketLink.objects.get_or_create(from_ticket=source, to_ticket=new, defaults={"created_by": by})
    events.publish(events.TicketSplit(ticket_id=source.pk, new_ticket_id=new.pk, by_id=by.pk))
    return new
