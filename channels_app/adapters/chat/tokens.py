"""Signed things of the chat: the visitor's token (who they are, on which chat channel), the host
site's signature of its user, and the links we hand out (a file of the conversation, the
verification of a claimed email)."""

import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass

from django.core import signing

VISITOR_SALT = "jornada.chat.visitor"
FILE_SALT = "jornada.chat.file"
VERIFY_SALT = "jornada.chat.verify-email"
VISITOR_MAX_AGE = 365 * 24 * 3600
FILE_MAX_AGE = 7 * 24 * 3600
VERIFY_MAX_AGE = 3 * 24 * 3600
HOST_ID = re.compile(r"^[\w.@:+-]{1,200}$")


@dataclass(frozen=True)
class Visitor:
    id: uuid.UUID
    channel_id: int


def visitor_token_new(*, channel_id: int) -> tuple[str, Visitor]:
    visitor = Visitor(id=uuid.uuid4(), channel_id=channel_id)
    return visitor_token(visitor), visitor


def visitor_token(visitor: Visitor) -> str:
    return signing.dumps({"v": str(visitor.id), "c": visitor.channel_id}, salt=VISITOR_SALT)


def visitor_from_token(token: object, *, channel_id: int) -> Visitor | None:
    """The visitor a token names on this chat channel; None for a token forged, expired, of
    another channel or not a token at all."""
    if not isinstance(token, str) or not token or len(token) > 300:
        return None
    try:
        data = signing.loads(token, salt=VISITOR_SALT, max_age=VISITOR_MAX_AGE)
        visitor = Visitor(id=uuid.UUID(str(data["v"])), channel_id=int(data["c"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    return visitor if visitor.channel_id == channel_id else None


def _host_hmac(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def host_identity_valid(*, secret: str, host_id: object, signature: object) -> bool:
    """The host site signed this user id with the channel's secret (identity validation)."""
    if not (isinstance(host_id, str) and HOST_ID.match(host_id) and isinstance(signature, str)):
        return False
    return hmac.compare_digest(_host_hmac(secret, host_id), signature.strip().lower())


def host_email_valid(*, secret: str, email: str, signature: object) -> bool:
    """The host site also vouches for the user's email address."""
    if not (email and isinstance(signature, str)):
        return False
    expected = _host_hmac(secret, "email:" + email.strip().lower())
    return hmac.compare_digest(expected, signature.strip().lower())


def host_signatures(*, secret: str, host_id: str, email: str = "") -> dict[str, str]:
    """What a host site computes on its server (for its documentation, the demo and tests)."""
    signed = {"id": host_id, "hmac": _host_hmac(secret, host_id)}
    if email:
        signed |= {"email": email, "email_hmac": _host_hmac(secret, "email:" + email.lower())}
    return signed


def file_link(*, attachment_id: int, visitor: uuid.UUID) -> str:
    return signing.dumps({"a": attachment_id, "v": str(visitor)}, salt=FILE_SALT, compress=True)


def file_from_link(signed: str) -> tuple[int, uuid.UUID] | None:
    try:
        data = signing.loads(signed, salt=FILE_SALT, max_age=FILE_MAX_AGE)
        return int(data["a"]), uuid.UUID(str(data["v"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def verify_link(*, claim_id: int, email: str) -> str:
    return signing.dumps({"k": claim_id, "e": email.lower()}, salt=VERIFY_SALT)


def claim_from_verify_link(signed: str) -> tuple[int, str] | None:
    try:
        data = signing.loads(signed, salt=VERIFY_SALT, max_age=VERIFY_MAX_AGE)
        return int(data["k"]), str(data["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
