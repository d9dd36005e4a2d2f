"""What readers tell us and what they do: views, "Was this helpful?", searches that found
nothing (content gaps), and suggestions shown while writing a request (deflection)."""

import hashlib
import secrets
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.sessions.backends.base import SessionBase
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ..models import Article, ArticleFeedback, Deflection, SearchMiss

DEFLECTION_SESSION_KEY = "kb_deflection"
MAX_COMMENT = 2000
MAX_ARTICLE_IDS = 50


def reader_key(*, session: SessionBase, user: AbstractBaseUser | None = None) -> str:
    """Who reads, without keeping a session id: a hash of the user id, or of the browser
    session's key (a session is started if there was none)."""
    if user is not None and user.is_authenticated:
        raw = f"user:{user.pk}"
    else:
        if not session.session_key:
            session.save()
        raw = f"session:{session.session_key}"
    return hashlib.sha256(raw.encode()).hexdigest()


def article_record_view(*, article_id: int) -> None:
    """One UPDATE, no read: views = views + 1."""
    Article.objects.filter(pk=article_id).update(views=F("views") + 1)


@transaction.atomic
def article_feedback_record(
    *, article: Article, reader: str, helpful: bool, comment: str = ""
) -> ArticleFeedback:
    """A reader's answer to "Was this helpful?"; answering again replaces the first answer."""
    feedback, _created = ArticleFeedback.objects.update_or_create(
        article=article,
        reader=reader,
        defaults={
            "helpful": helpful,
            "comment": comment.strip()[:MAX_COMMENT],
            "created_at": timezone.now(),
        },
    )
    return feedback


def normalized_query(query: str) -> str:
    return " ".join(query.lower().split())[:200]


def search_miss_record(*, query: str, language: str) -> None:
    """Count a search that found nothing (the same words, in any case, count together)."""
    query = normalized_query(query)
    if not query:
        return
    now = timezone.now()
    misses = SearchMiss.objects.filter(language=language, query=query)
    if misses.update(count=F("count") + 1, last_seen=now):
        return
    try:
        with transaction.atomic():
            SearchMiss.objects.create(language=language, query=query, first_seen=now, last_seen=now)
    except IntegrityError:  # another request counted it first
        misses.update(count=F("count") + 1, last_seen=now)


@transaction.atomic
def deflection_record_shown(
    *, token: str, reader: str, language: str, query: str, article_ids: Iterable[int]
) -> Deflection:
    """Suggestions were shown to a customer writing a request. The first call of a browser
    session creates its record (a new random token); later calls with its token add to it. A
    token of another reader is ignored (a new record is made)."""
    now = timezone.now()
    ids = [int(pk) for pk in article_ids][:MAX_ARTICLE_IDS]
    deflection = (
        Deflection.objects.select_for_update()
        .filter(token=token, reader=reader, submitted_at=None)
        .first()
        if token
        else None
    )
    if deflection is None:
        return Deflection.objects.create(
            token=secrets.token_urlsafe(24),
            reader=reader,
            language=language,
            query=normalized_query(query),
            shown=1 if ids else 0,
            article_ids=ids,
            created_at=now,
            updated_at=now,
        )
    deflection.query = normalized_query(query) or deflection.query
    deflection.shown += 1 if ids else 0
    deflection.article_ids = list(dict.fromkeys([*deflection.article_ids, *ids]))[:MAX_ARTICLE_IDS]
    deflection.updated_at = now
    deflection.save(update_fields=["query", "shown", "article_ids", "updated_at"])
    return deflection


def deflection_record_submitted(*, token: str) -> bool:
    """The customer submitted the request after all: the record is not a deflection. Called by
    the portal's new-request view with the token its form carried. True when a record was
    marked (an unknown or already used token changes nothing)."""
    if not token:
        return False
    return bool(
        Deflection.objects.filter(token=token, submitted_at=None).update(
            submitted_at=timezone.now()
        )
    )
