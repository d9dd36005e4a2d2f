"""Signing in to the portal by an emailed link: signed, expiring, single-use, and silent about
which addresses we know (an unknown address gets no mail, and the page says the same)."""

import hashlib
import logging
import secrets
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from tickets import selectors
from tickets import services as ticket_services
from tickets.identities import InvalidIdentity, normalize_identity_value
from tickets.models import Customer, CustomerIdentity

from .models import SignInLink

logger = logging.getLogger(__name__)

SIGNIN_SALT = "jornada.portal.signin"
LINK_LIFETIME = timedelta(minutes=15)
# Spent and expired links are of no use after this long; they are deleted as new ones are made.
LINK_KEEP = timedelta(days=1)


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def may_sign_in_by_link(customer: Customer) -> bool:
    """A link signs in customers only: a login that is also an agent's or staff's, or that an
    administrator deactivated, needs its password."""
    user = customer.user
    if user is None:
        return True
    return user.is_active and not (
        user.is_staff or user.is_superuser or hasattr(user, "agent_profile")
    )


def _identity_for(email: str) -> CustomerIdentity | None:
    try:
        value = normalize_identity_value(CustomerIdentity.Kind.EMAIL, email)
    except InvalidIdentity:
        return None
    return (
        CustomerIdentity.objects.select_related("customer__user__agent_profile")
        .filter(kind=CustomerIdentity.Kind.EMAIL, value=value)
        .first()
    )


@transaction.atomic
def signin_link_create(*, email: str) -> str | None:
    """A new sign-in link's token for this address, or None when the address is no customer's
    (or its customer may not sign in by link)."""
    identity = _identity_for(email)
    if identity is None or not may_sign_in_by_link(selectors.customer_survivor(identity.customer)):
        return None
    now = timezone.now()
    SignInLink.objects.filter(created_at__lt=now - LINK_KEEP).delete()
    nonce = secrets.token_urlsafe(24)
    link = SignInLink.objects.create(
        identity=identity, nonce_hash=_hash(nonce), created_at=now, expires_at=now + LINK_LIFETIME
    )
    return signing.dumps({"l": link.pk, "n": nonce}, salt=SIGNIN_SALT)


def signin_link_send(*, email: str, link_base: str, language: str) -> bool:
    """Email a sign-in link to this address if it is a customer's; whether one was sent.
    `link_base` is the absolute URL the token is appended to."""
    token = signin_link_create(email=email)
    if token is None:
        logger.info("Sign-in link not sent: no customer may sign in with that address")
        return False
    with translation.override(language):
        context = {
            "link": f"{link_base}{token}/",
            "minutes": int(LINK_LIFETIME.total_seconds() // 60),
        }
        body = render_to_string("portal/email/signin_link.txt", context)
        subject = gettext("Your sign-in link")
    send_mail(subject, body, None, [email.strip()], fail_silently=False)
    return True


def _read(token: str) -> tuple[int, str] | None:
    try:
        data = signing.loads(token, salt=SIGNIN_SALT, max_age=LINK_LIFETIME)
        return int(data["l"]), str(data["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def signin_link_check(*, token: str) -> bool:
    """Whether a token is one of ours, unexpired and unused (for the page that asks to confirm:
    reading it spends nothing)."""
    read = _read(token)
    if read is None:
        return False
    return SignInLink.objects.filter(
        pk=read[0], nonce_hash=_hash(read[1]), used_at=None, expires_at__gt=timezone.now()
    ).exists()


@transaction.atomic
def signin_link_redeem(*, token: str) -> AbstractBaseUser | None:
    """Spend a sign-in link: the customer's portal login (created the first time), or None for
    a link that is forged, altered, expired or used already. The address is proven by the
    click, so its identity becomes verified; the other links sent to it stop working."""
    read = _read(token)
    if read is None:
        return None
    link_id, nonce = read
    now = timezone.now()
    spent = SignInLink.objects.filter(
        pk=link_id, nonce_hash=_hash(nonce), used_at=None, expires_at__gt=now
    ).update(used_at=now)
    if not spent:
        return None
    link = SignInLink.objects.select_related("identity__customer").get(pk=link_id)
    SignInLink.objects.filter(identity_id=link.identity_id, used_at=None).update(used_at=now)
    customer = selectors.customer_survivor(link.identity.customer)
    if not may_sign_in_by_link(customer):
        return None
    user, _ = ticket_services.customer_portal_login_get_or_create(
        customer=customer, email=link.identity.value, proven_identity=link.identity
    )
    return user
