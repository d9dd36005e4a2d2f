"""Who a chat visitor is (docs/chat.md, "Identity"), and what may be sent to them.

- An anonymous visitor is a customer known only by their visitor token (identity chat_visitor).
- A name and an email typed into the chat are claims (ChatContactClaim): the email is added to
  the visitor's record unverified when nobody has it, a link is mailed to it, and until that link
  is followed nothing is sent there (transcript, survey) and the visitor joins no one.
- A proven person (a customer signed in to the portal, a host site's user signed with the chat
  channel's secret) takes the visitor's anonymous chats; a visitor token that was already
  someone else's (a shared computer) is replaced rather than merged.
"""

import logging
import uuid
import zoneinfo
from datetime import UTC, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tickets import services as ticket_services
from tickets.models import Customer, CustomerIdentity, Message

from ..adapters.chat import tokens
from ..models import ChatChannel, ChatContactClaim, ChatSession
from ..throttle import over_limit

logger = logging.getLogger(__name__)
K = CustomerIdentity.Kind
VERIFICATIONS_PER_VISITOR_HOUR = 3
TRANSCRIPT_EVERY = timedelta(minutes=1)


class InvalidEmail(ValueError):
    pass


# --- proven people -------------------------------------------------------------------------------


def _visitor_identity(visitor: uuid.UUID) -> CustomerIdentity | None:
    return (
        CustomerIdentity.objects.select_related("customer")
        .filter(kind=K.CHAT_VISITOR, value=str(visitor))
        .first()
    )


def _anonymous(customer: Customer) -> bool:
    """Known only as a chat visitor: no login, nothing proven but visitor tokens."""
    if customer.user_id is not None:
        return False
    proven = customer.identities.exclude(kind=K.CHAT_VISITOR).filter(verified=True)
    return not proven.exists()


def _link_visitor(
    *, channel: ChatChannel, visitor: tokens.Visitor, customer: Customer
) -> tokens.Visitor:
    identity = _visitor_identity(visitor.id)
    if identity is None:
        ticket_services.customer_add_identity(
            customer=customer, kind=K.CHAT_VISITOR, value=str(visitor.id), verified=True
        )
        return visitor
    if identity.customer_id == customer.pk:
        return visitor
    if _anonymous(identity.customer):
        ticket_services.customer_merge(source=identity.customer, target=customer, by=None)
        return visitor
    # The token was another person's (a shared computer): this person gets a visitor of their own.
    _token, fresh = tokens.visitor_token_new(channel_id=channel.pk)
    ticket_services.customer_add_identity(
        customer=customer, kind=K.CHAT_VISITOR, value=str(fresh.id), verified=True
    )
    return fresh


def _host_customer(
    *, channel: ChatChannel, host_id: str, name: str, email: str, email_proven: bool
) -> Customer:
    """The customer of a host site's signed user: found by that signature on every device,
    joined with the customer of their email when the host vouches for the email too."""
    value = f"{channel.pk}:{host_id}"
    customer, _new = ticket_services.customer_get_or_create_for_identity(
        kind=K.HOST_USER, value=value, name=name
    )
    customer = customer.merged_into or customer
    ticket_services.customer_add_identity(
        customer=customer, kind=K.HOST_USER, value=value, verified=True
    )
    if email and email_proven:
        owner = (
            CustomerIdentity.objects.select_related("customer")
            .filter(kind=K.EMAIL, value=email.lower())
            .first()
        )
        if owner is not None and owner.customer_id != customer.pk:
            customer = ticket_services.customer_merge(
                source=customer, target=owner.customer, by=None
            )
        ticket_services.customer_add_identity(
            customer=customer, kind=K.EMAIL, value=email, verified=True
        )
    return customer


@transaction.atomic
def chat_visitor_identify(
    *,
    channel: ChatChannel,
    visitor: tokens.Visitor,
    user: AbstractBaseUser | None = None,
    host: dict | None = None,
) -> tokens.Visitor:
    """The visitor as the proven person they are, if any: a portal customer by their session,
    a host site's user by its signature (`host`: id, hmac, name, email, email_hmac). Returns
    the visitor to go on with (another one when the token was someone else's)."""
    customer = None
    if user is not None and user.is_authenticated:
        customer = Customer.objects.filter(user=user).first()
        customer = customer.merged_into or customer if customer else None
    if (
        customer is None
        and host
        and tokens.host_identity_valid(
            secret=channel.secret, host_id=host.get("id"), signature=host.get("hmac")
        )
    ):
        email = str(host.get("email") or "").strip()[:254]
        customer = _host_customer(
            channel=channel,
            host_id=host["id"],
            name=str(host.get("name") or "")[:200],
            email=email,
            email_proven=tokens.host_email_valid(
                secret=channel.secret, email=email, signature=host.get("email_hmac")
            ),
        )
    if customer is None:
        return visitor
    return _link_visitor(channel=channel, visitor=visitor, customer=customer)


# --- claims --------------------------------------------------------------------------------------


def checked_email(email: str) -> str:
    """The address normalized (lower case), or InvalidEmail."""
    email = (email or "").strip().lower()[:254]
    try:
        validate_email(email)
    except ValidationError as exc:
        raise InvalidEmail(email) from exc
    return email


def chat_contact_claim(
    *, channel: ChatChannel, visitor: uuid.UUID, name: str, email: str, link_base: str
) -> tuple[ChatContactClaim | None, str]:
    """A name and email the visitor typed. Returns the claim and what became of the email:
    "verified" (already proven for this visitor), "sent" (a link is on its way), "limited"
    (too many links asked for lately), "none" (no email given). Raises InvalidEmail."""
    name = (name or "").strip()[:200]
    email = checked_email(email) if (email or "").strip() else ""
    with transaction.atomic():
        customer, _new = ticket_services.customer_get_or_create_for_identity(
            kind=K.CHAT_VISITOR, value=str(visitor), name=name
        )
        customer = customer.merged_into or customer
        if not email:
            return None, "none"
        known = CustomerIdentity.objects.filter(kind=K.EMAIL, value=email).first()
        if known is not None and known.customer_id == customer.pk and known.verified:
            claim = ChatContactClaim.objects.create(
                chat_channel=channel, visitor=visitor, customer=customer, name=name,
                email=email, verified_at=timezone.now(),
            )  # fmt: skip
            return claim, "verified"
        if known is None:
            # Agents see the address on the record, marked unverified.
            ticket_services.customer_add_identity(customer=customer, kind=K.EMAIL, value=email)
        earlier = ChatContactClaim.objects.filter(visitor=visitor, email=email).first()
        claim = earlier or ChatContactClaim.objects.create(
            chat_channel=channel, visitor=visitor, customer=customer, name=name, email=email
        )
    if earlier is not None and cache.get(f"jornada:chat-verify-sent:{claim.pk}"):
        return claim, "sent"  # one link at a time: the earlier one still works
    desk_limit = settings.JORNADA["CHAT_VERIFICATIONS_PER_HOUR"]
    if over_limit(
        f"jornada:chat-verify:{visitor}", limit=VERIFICATIONS_PER_VISITOR_HOUR, window=3600
    ) or over_limit("jornada:chat-verify-desk", limit=desk_limit, window=3600):
        return claim, "limited"
    cache.set(f"jornada:chat-verify-sent:{claim.pk}", 1, 600)
    link = link_base + reverse(
        "chat-verify-email", args=[tokens.verify_link(claim_id=claim.pk, email=email)]
    )
    language = translation.get_language() or settings.LANGUAGE_CODE
    transaction.on_commit(lambda: _queue_verification(claim.pk, link, language))
    return claim, "sent"


def _queue_verification(claim_id: int, link: str, language: str) -> None:
    from ..tasks import send_chat_verification

    try:
        send_chat_verification.delay(claim_id, link, language)
    except Exception:
        logger.warning("Could not queue the verification of chat claim %s", claim_id, exc_info=True)


@transaction.atomic
def chat_contact_verify(*, claim_id: int, email: str) -> ChatContactClaim | None:
    """The owner of a claimed email followed our link: the address is proven for that visitor.
    It joins their record (verified); an address another customer had proves the visitor is
    that customer, and the two records become one. None for a link that names no claim."""
    claim = (
        ChatContactClaim.objects.select_for_update()
        .select_related("customer")
        .filter(pk=claim_id, email=email)
        .first()
    )
    if claim is None:
        return None
    customer = claim.customer.merged_into or claim.customer
    owner = CustomerIdentity.objects.select_related("customer").filter(kind=K.EMAIL, value=email)
    owner = owner.first()
    if owner is not None and owner.customer_id != customer.pk:
        customer = ticket_services.customer_merge(source=customer, target=owner.customer, by=None)
    ticket_services.customer_add_identity(
        customer=customer, kind=K.EMAIL, value=email, verified=True
    )
    if claim.verified_at is None:
        claim.verified_at = timezone.now()
        claim.save(update_fields=["verified_at"])
    return claim


def send_verification_email(*, claim_id: int, link: str, language: str) -> bool:
    """The link to the claimed address (Celery task send_chat_verification)."""
    claim = ChatContactClaim.objects.filter(pk=claim_id, verified_at=None).first()
    if claim is None:
        return False
    with translation.override(language):
        subject = _("Confirm your email address for the chat")
        body = render_to_string("chat/email/verify.txt", {"link": link, "claim": claim})
    EmailMessage(subject=subject, body=body, to=[claim.email]).send()
    return True


# --- transcripts ---------------------------------------------------------------------------------


def verified_email(customer_id: int) -> str:
    """Where a transcript or a survey of this customer may go: a proven address, or ""."""
    return (
        CustomerIdentity.objects.filter(customer_id=customer_id, kind=K.EMAIL, verified=True)
        .order_by("pk")
        .values_list("value", flat=True)
        .first()
        or ""
    )


def _author(message: Message) -> str:
    if message.direction == Message.Direction.INBOUND:
        return _("You")
    if message.kind == Message.Kind.SYSTEM:
        return _("Assistant") if message.metadata.get("chat") == "bot" else _("System")
    user = message.author_user
    return (user.get_full_name() or user.get_username()) if user else _("Agent")


def chat_transcript_text(*, session: ChatSession) -> str:
    """The conversation as the visitor saw it (no internal note), as plain text, in the active
    language and the chat channel's time zone."""
    from ..selectors.chat import chat_messages_after

    try:
        zone = zoneinfo.ZoneInfo(session.chat_channel.time_zone)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        zone = UTC
    lines = [
        _("Chat %(channel)s · conversation #%(number)s")
        % {"channel": session.chat_channel.name, "number": session.ticket.number},
        "",
    ]
    after = 0
    while batch := chat_messages_after(ticket_id=session.ticket_id, after=after):
        for message in batch:
            at = timezone.localtime(message.created_at, zone).strftime("%Y-%m-%d %H:%M")
            lines.append(f"[{at}] {_author(message)}:")
            lines += [f"  {line}" for line in message.body_text.splitlines() or [""]]
            lines += [f"  ({_('file')}: {a.filename})" for a in message.attachments.all()]
        after = batch[-1].pk
    return "\n".join(lines) + "\n"


def chat_transcript_email(*, session: ChatSession) -> str:
    """Mail the transcript to the visitor, only to a proven address: "sent", "unverified" (no
    proven address), or "limited" (one a minute)."""
    address = verified_email(session.ticket.customer_id)
    if not address:
        return "unverified"
    if not cache.add(f"jornada:chat-transcript:{session.pk}", 1, TRANSCRIPT_EVERY.seconds):
        return "limited"
    from ..tasks import send_chat_transcript

    language = session.language
    transaction.on_commit(lambda: send_chat_transcript.delay(session.pk, address, language))
    return "sent"


def send_transcript_email(*, session_id: int, address: str, language: str) -> bool:
    session = ChatSession.objects.select_related("ticket", "chat_channel").filter(pk=session_id)
    session = session.first()
    if session is None or address != verified_email(session.ticket.customer_id):
        return False  # gone, or no longer this customer's proven address
    with translation.override(language):
        subject = _("Your chat with %(channel)s") % {"channel": session.chat_channel.name}
        body = chat_transcript_text(session=session)
    EmailMessage(subject=subject, body=body, to=[address]).send()
    return True
