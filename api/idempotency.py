"""`Idempotency-Key` on POST: a retried request gets the first answer instead of acting twice.

The record is inserted in the same transaction as the work it guards, before it (INSERT ... ON
CONFLICT DO NOTHING): a second request with the key waits on the unique index until the first
commits, then finds the stored answer and replays it (or, if the first rolled back, does the
work itself). Keys are kept
for 24 hours; the same key with another body answers 422."""

import hashlib
from datetime import timedelta
from functools import wraps

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response

from tickets.rows import row_insert_unless_taken

from .models import ApiToken, IdempotencyRecord

HEADER = "Idempotency-Key"
KEEP_FOR = timedelta(hours=24)
MAX_KEY = 255


def _error(code: str, message: str) -> Response:
    return Response(
        {"error": {"code": code, "message": message, "fields": {}}},
        status=status.HTTP_422_UNPROCESSABLE_ENTITY,
    )


def owner_of(request) -> str:
    if isinstance(request.auth, ApiToken):
        return f"token:{request.auth.pk}"
    return f"user:{request.user.pk}"


def request_hash(request) -> str:
    """The request's method, path and body; for a multipart upload (which may be larger than
    Django lets a body be read whole) its parsed fields and files instead."""
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    if request.content_type.startswith("multipart/"):
        for name, values in sorted(request.data.lists()):
            for value in values:
                if hasattr(value, "chunks"):
                    digest.update(f"{name}={value.name}:{value.size}:".encode())
                    for chunk in value.chunks():
                        digest.update(chunk)
                    value.seek(0)
                else:
                    digest.update(f"{name}={value}\n".encode())
    else:
        digest.update(request._request.body)
    return digest.hexdigest()


def idempotent(handler):
    """The view's handler wrapped: with the header, runs at most once per owner and key."""

    @wraps(handler)
    def run(request_, *args, **kwargs):
        key = request_.headers.get(HEADER, "").strip()
        if not key:
            return handler(request_, *args, **kwargs)
        if len(key) > MAX_KEY:
            return _error("invalid_idempotency_key", _("The Idempotency-Key is too long."))
        owner, fingerprint = owner_of(request_), request_hash(request_)
        with transaction.atomic():
            record = _claim(owner, key, fingerprint)
            if record is None:
                return _replay(owner, key, fingerprint)
            response = handler(request_, *args, **kwargs)
            if response.status_code < 500:
                record.status_code = response.status_code
                record.response = response.data
                record.save(update_fields=["status_code", "response"])
            return response

    return run


def _claim(owner: str, key: str, fingerprint: str) -> IdempotencyRecord | None:
    """The key's new record, or None when a record of it within its 24 hours exists (one
    statement when the key is new: no savepoint, no look for an expired record first)."""
    record = IdempotencyRecord(owner=owner, key=key, request_hash=fingerprint)
    if row_insert_unless_taken(record, unique=["owner", "key"]):
        return record
    expired = IdempotencyRecord.objects.filter(
        owner=owner, key=key, created_at__lt=timezone.now() - KEEP_FOR
    )
    if expired.delete()[0] and row_insert_unless_taken(record, unique=["owner", "key"]):
        return record
    return None


def _replay(owner: str, key: str, fingerprint: str) -> Response:
    record = IdempotencyRecord.objects.get(owner=owner, key=key)
    if record.request_hash != fingerprint:
        return _error(
            "idempotency_key_reused",
            _("This Idempotency-Key was used with a different request."),
        )
    if record.status_code is None:  # not reachable on PostgreSQL: the insert waited for it
        return Response(
            {"error": {"code": "in_progress", "message": _("Still in progress."), "fields": {}}},
            status=status.HTTP_409_CONFLICT,
        )
    return Response(
        record.response, status=record.status_code, headers={"Idempotent-Replayed": "true"}
    )


def idempotency_records_purge() -> int:
    """Forget keys older than 24 hours (run daily; expired keys are also ignored when met)."""
    deleted, _rows = IdempotencyRecord.objects.filter(
        created_at__lt=timezone.now() - KEEP_FOR
    ).delete()
    return deleted
