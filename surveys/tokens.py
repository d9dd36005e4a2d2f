"""The token of an invitation link: the invitation's id signed with the site's secret, so that it
cannot be altered or guessed; it stops working at the invitation's deadline (checked on the row)
and, as a second lock, when the signature is older than the longest life a link may have."""

from datetime import timedelta

from django.conf import settings
from django.core import signing

SALT = "surveys.invitation"


def invitation_token(invitation_id: int) -> str:
    return signing.dumps({"i": invitation_id}, salt=SALT)


def invitation_id_from(token: str) -> int | None:
    """The invitation id a token names, or None for a forged, altered or stale one."""
    max_age = timedelta(days=settings.JORNADA["SURVEY_LINK_DAYS"] + 1)
    try:
        return int(signing.loads(token, salt=SALT, max_age=max_age)["i"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
