"""Which tickets get a survey, when, and where: invitations are scheduled when a ticket is solved
(or closed by hand), after the delay of the rule that picked the survey, and cancelled when it
reopens first; a chat's ticket gets its survey when the chat ends instead, at once, in the widget
(invitations_schedule_after_chat). The rules that keep surveys welcome:

- none for a merged ticket, one tagged spam, one closed automatically, nor an internal ticket
  (opened by an agent, the customer never wrote on it);
- at most one survey per customer every SURVEY_FATIGUE_DAYS (the others are recorded as skipped,
  with the reason, so the admin shows why a customer got nothing);
- only to an identity of the customer our channels have verified; else the portal's "pending
  surveys" list when the customer signs in there, else nothing.
"""

from collections.abc import Iterable
from datetime import timedelta
from email.utils import parseaddr

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from channels_app.models import ChatSession
from tickets.inbound import SENDER_AUTHENTICATED
from tickets.models import Customer, CustomerIdentity, Message, Ticket, TicketEvent

from .models import Survey, SurveyInvitation, SurveyRule

S = Ticket.Status
I = SurveyInvitation.Status  # noqa: E741
LIVE = (I.SCHEDULED, I.SENT, I.ANSWERED)
# The identity kinds an invitation may go to, per channel, in order of preference.
CHANNEL_IDENTITIES = {
    "email": ("email",),
    "whatsapp": ("whatsapp",),
    "sms": ("phone",),
    # A chat's signed visitor token, or the host site's signed user: the widget is reached
    # through them (an email typed into the chat is a claim and counts for nothing here).
    "chat": ("chat_visitor", "host_user"),
}
SPAM_TAG = "spam"


def skip_reason(ticket: Ticket) -> str:
    """Why this ticket gets no survey, or ""."""
    if ticket.merged_into_id is not None:
        return "merged"
    if any(tag.name == SPAM_TAG for tag in ticket.tags.all()):
        return "spam"
    created_by_agent = ticket.events.filter(
        kind=TicketEvent.Kind.CREATED, actor__isnull=False
    ).exists()
    customer_wrote = ticket.messages.filter(
        direction=Message.Direction.INBOUND, author_customer_id=ticket.customer_id
    ).exists()
    if created_by_agent and not customer_wrote:
        return "internal"
    return ""


def rule_for(ticket: Ticket, rules: Iterable[SurveyRule]) -> SurveyRule | None:
    """The most specific matching rule (then the oldest)."""
    matching = [rule for rule in rules if rule.matches(ticket)]
    return max(matching, key=lambda rule: (rule.specificity, -rule.pk), default=None)


def _proven_values(customer: Customer) -> set[tuple[str, str]]:
    """(kind, value) of the identities the customer has written to us from, as the channel
    proved it: a signed WhatsApp or SMS webhook, an email whose sender was authenticated."""
    inbound = Message.objects.filter(
        author_customer=customer,
        direction=Message.Direction.INBOUND,
        channel__in=("email", "whatsapp", "sms"),
    ).values_list("channel", "metadata")[:200]
    proven = set()
    for channel, metadata in inbound:
        if channel == "whatsapp" and (wa_id := (metadata.get("whatsapp") or {}).get("wa_id")):
            proven.add(("whatsapp", f"+{str(wa_id).lstrip('+')}"))
        elif channel == "sms" and (number := (metadata.get("sms") or {}).get("from")):
            proven.add(("phone", str(number)))
        elif channel == "email" and metadata.get(SENDER_AUTHENTICATED) is True:
            proven.add(("email", parseaddr(metadata.get("from", ""))[1].strip().lower()))
    if customer.identities.filter(kind=CustomerIdentity.Kind.CHAT_VISITOR).exists():
        # A chat's visitor wrote through our own signed token: its sessions prove it.
        visitors = ChatSession.objects.filter(ticket__customer=customer).values_list(
            "visitor", flat=True
        )[:50]
        proven |= {("chat_visitor", str(visitor)) for visitor in visitors}
    return proven


def verified_identities(customer: Customer) -> list[CustomerIdentity]:
    """The identities an invitation may go to: marked verified (a portal sign-in link was
    clicked), or proven by a message the customer sent us from them. Never an address merely
    typed into a form or a chat."""
    proven = _proven_values(customer)
    return [
        identity
        for identity in customer.identities.order_by("pk")
        if identity.verified or (identity.kind, identity.value) in proven
    ]


def delivery_target(customer: Customer, channel: str) -> tuple[str, CustomerIdentity | None]:
    """(channel, verified identity) an invitation goes to: the ticket's own channel when the
    customer has a verified identity there, else their verified email, else the portal (no
    identity: the pending list), else ("", None): nobody to ask."""
    verified = verified_identities(customer)
    for wanted_channel in (channel, "email"):
        for kind in CHANNEL_IDENTITIES.get(wanted_channel, ()):
            for identity in verified:
                if identity.kind == kind:
                    return wanted_channel, identity
    if customer.user_id is not None:
        return "web", None
    return "", None


def recently_surveyed(customer: Customer, now) -> bool:
    since = now - timedelta(days=settings.JORNADA["SURVEY_FATIGUE_DAYS"])
    return SurveyInvitation.objects.filter(
        customer=customer, status__in=LIVE, created_at__gt=since
    ).exists()


def _invite(
    *,
    survey: Survey,
    customer: Customer,
    ticket: Ticket | None,
    channel: str,
    delay: timedelta,
    now,
    trigger: str = SurveyInvitation.Trigger.SOLVED,
) -> SurveyInvitation:
    reason = ""
    target, identity = delivery_target(customer, channel)
    if not target:
        reason = "no verified identity"
    elif recently_surveyed(customer, now):
        reason = "fatigue"
    scheduled_at = now + delay
    return SurveyInvitation.objects.create(
        survey=survey,
        ticket=ticket,
        customer=customer,
        identity=identity,
        channel=target,
        status=I.SKIPPED if reason else I.SCHEDULED,
        reason=reason,
        scheduled_at=scheduled_at,
        expires_at=scheduled_at + timedelta(days=settings.JORNADA["SURVEY_LINK_DAYS"]),
        created_at=now,
        trigger=trigger,
    )


def _chat_tickets(ticket_ids: list[int]) -> set[int]:
    """The tickets of these that had a live chat: their survey follows the chat's end."""
    return set(
        ChatSession.objects.filter(ticket_id__in=ticket_ids).values_list("ticket_id", flat=True)
    )


@transaction.atomic
def invitations_schedule(*, ticket_ids: Iterable[int]) -> list[SurveyInvitation]:
    """Schedule the survey of each solved or closed ticket that has none yet (a task run twice
    schedules one). A chat's ticket is left to the chat's end (invitations_schedule_after_chat),
    which solving it brings anyway."""
    rules = list(
        SurveyRule.objects.filter(
            is_active=True, survey__is_active=True, survey__is_relationship=False
        ).select_related("survey")
    )
    if not rules:
        return []
    tickets = (
        Ticket.objects.filter(pk__in=list(ticket_ids), status__in=(S.SOLVED, S.CLOSED))
        .exclude(survey_invitations__status__in=LIVE)
        .select_related("customer")
        .prefetch_related("tags")
    )
    now = timezone.now()
    created = []
    tickets = list(tickets)
    chats = _chat_tickets([ticket.pk for ticket in tickets])
    for ticket in tickets:
        if ticket.pk in chats:
            continue
        customer = Customer.objects.select_for_update().get(pk=ticket.customer_id)
        rule = rule_for(ticket, rules)
        if rule is None or skip_reason(ticket):
            continue
        created.append(
            _invite(
                survey=rule.survey,
                customer=customer,
                ticket=ticket,
                channel=ticket.channel,
                delay=timedelta(minutes=rule.delay_minutes),
                now=now,
            )
        )
    return created


@transaction.atomic
def invitations_schedule_after_chat(*, ticket_ids: Iterable[int]) -> list[SurveyInvitation]:
    """A chat ended (issue 13's trigger "a chat ends"): its ticket's survey, due at once, while
    the visitor is still in the widget; whatever the ticket's status (the agent decides whether
    the request is solved). The same rules pick it and the same rules keep it welcome: no
    second survey for the ticket, fatigue, merged, spam or internal tickets, verified
    identities only (the chat's own visitor, else their verified email)."""
    rules = list(
        SurveyRule.objects.filter(
            is_active=True, survey__is_active=True, survey__is_relationship=False
        ).select_related("survey")
    )
    if not rules:
        return []
    tickets = (
        Ticket.objects.filter(pk__in=list(ticket_ids))
        .exclude(survey_invitations__status__in=LIVE)
        .select_related("customer")
        .prefetch_related("tags")
    )
    now = timezone.now()
    created = []
    for ticket in tickets:
        customer = Customer.objects.select_for_update().get(pk=ticket.customer_id)
        rule = rule_for(ticket, rules)
        if rule is None or skip_reason(ticket):
            continue
        created.append(
            _invite(
                survey=rule.survey,
                customer=customer,
                ticket=ticket,
                channel="chat",
                delay=timedelta(0),
                now=now,
                trigger=SurveyInvitation.Trigger.CHAT_ENDED,
            )
        )
    return created


@transaction.atomic
def invitations_cancel(*, ticket_ids: Iterable[int]) -> int:
    """Cancel the scheduled invitations of tickets that are no longer solved or closed."""
    return (
        SurveyInvitation.objects.filter(ticket_id__in=list(ticket_ids), status=I.SCHEDULED)
        .exclude(ticket__status__in=(S.SOLVED, S.CLOSED))
        .update(status=I.CANCELLED, reason="reopened")
    )


@transaction.atomic
def relationship_nps_schedule(*, limit: int = 500) -> list[SurveyInvitation]:
    """The relationship survey of customers who had none in SURVEY_RELATIONSHIP_DAYS and were
    served in that time (a ticket solved or closed), at most `limit` per run."""
    survey = Survey.objects.filter(is_active=True, is_relationship=True).order_by("pk").first()
    if survey is None:
        return []
    now = timezone.now()
    since = now - timedelta(days=settings.JORNADA["SURVEY_RELATIONSHIP_DAYS"])
    asked = SurveyInvitation.objects.filter(
        survey__is_relationship=True, created_at__gt=since
    ).values("customer_id")
    customers = (
        Customer.objects.filter(tickets__solved_at__gt=since)
        .exclude(pk__in=asked)
        .distinct()
        .order_by("pk")[:limit]
    )
    created = []
    for customer in customers:
        last = customer.tickets.exclude(channel="").order_by("-created_at").first()
        created.append(
            _invite(
                survey=survey,
                customer=customer,
                ticket=None,
                channel=last.channel if last else "email",
                delay=timedelta(0),
                now=now,
                trigger=SurveyInvitation.Trigger.RELATIONSHIP,
            )
        )
    return created
