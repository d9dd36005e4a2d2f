"""Creating API tokens and authenticating requests with them.

Tokens are 43 random URL-safe characters after a `jrn_` prefix, so a SHA-256 digest is enough
(a slow password hash would only cost every request); the digest is what the database keeps."""

import functools
import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from tickets.models import AgentProfile

from .models import ALL_SCOPES, ApiToken

TOKEN_PREFIX = "jrn_"  # noqa: S105  (a marker, not a secret)
# last_used_at is written at most this often per token: one UPDATE a minute, not one a request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def check_scopes(scopes) -> list[str]:
    unknown = sorted(set(scopes) - set(ALL_SCOPES))
    if unknown:
        raise ValueError(", ".join(unknown))
    return sorted(set(scopes))


@transaction.atomic
def api_token_create(
    *,
    user: AbstractBaseUser,
    scopes: list[str],
    name: str = "",
    expires_in_days: int | None = None,
) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the token itself, which is never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=raw[:12],
        digest=token_digest(raw),
        scopes=check_scopes(scopes),
        expires_at=timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=timezone.now())
    token.refresh_from_db(fields=["revoked_at"])
    return token


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>`. A token acts as its user, narrowed by its scopes
    (request.auth is the ApiToken; see permissions.ScopedAgent)."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Malformed Authorization header."))
        try:
            raw = header[1].decode()
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("Malformed Authorization header.")) from exc
        token = token_with_user(token_digest(raw))
        now = timezone.now()
        if token is None or not token.is_usable(now) or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            # Conditional: of many concurrent requests, at most one writes per minute.
            ApiToken.objects.filter(pk=token.pk).exclude(
                last_used_at__gt=now - LAST_USED_RESOLUTION
            ).update(last_used_at=now)
            token.last_used_at = now
        return token.user, token

    def authenticate_header(self, request) -> str:
        return self.keyword


def token_with_user(digest: str) -> ApiToken | None:
    """The token of this digest with its user and the user's agent profile (or its absence)
    in hand, read fresh on every request (a revocation, an expiry, a deactivated user or a
    changed profile holds at once). Written out: building this query through the ORM costs
    several times what PostgreSQL spends running it, and every Bearer request pays it."""
    sql, models = _token_with_user_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [digest])
        row = cursor.fetchone()
    if row is None:
        return None
    instances, start = [], 0
    for model, columns, names, converters in models:
        values = list(row[start : start + len(columns)])
        start += len(columns)
        if values[0] is None:  # the profile's LEFT JOIN found none
            instances.append(None)
            continue
        for index, column, convert in converters:
            values[index] = convert(values[index], column, connection)
        instances.append(model.from_db(connection.alias, names, values))
    token, user, profile = instances
    ApiToken.user.field.set_cached_value(token, user)
    type(user).agent_profile.related.set_cached_value(user, profile)
    if profile is not None:
        AgentProfile.user.field.set_cached_value(profile, user)
    return token


@functools.cache
def _token_with_user_sql() -> tuple[str, list]:
    quote = connection.ops.quote_name
    user_model = get_user_model()
    models = []
    for model in (ApiToken, user_model, AgentProfile):
        cols = [f.get_col(model._meta.db_table) for f in model._meta.concrete_fields]
        # The database's and the fields' converters of each column, worked out once here.
        converters = [
            (index, col, convert)
            for index, col in enumerate(cols)
            for convert in [
                *connection.ops.get_db_converters(col),
                *col.target.get_db_converters(connection),
            ]
        ]
        models.append((model, cols, [col.target.attname for col in cols], converters))
    columns = ", ".join(
        f"{quote(col.alias)}.{quote(col.target.column)}"
        for _model, cols, *_ in models
        for col in cols
    )
    token, user, profile = (quote(model._meta.db_table) for model, *_ in models)
    # Names from the models; the digest goes as a parameter.
    sql = (
        f"SELECT {columns} FROM {token} "  # noqa: S608
        f"JOIN {user} ON {user}.{quote(user_model._meta.pk.column)} = "
        f"{token}.{quote(ApiToken._meta.get_field('user').column)} "
        f"LEFT JOIN {profile} ON {profile}.{quote(AgentProfile._meta.get_field('user').column)} = "
        f"{user}.{quote(user_model._meta.pk.column)} "
        f"WHERE {token}.{quote(ApiToken._meta.get_field('digest').column)} = %s"
    )
    return sql, models


class CsrfSessionAuthentication(authentication.SessionAuthentication):
    """The browser's session, with Django's CSRF check on unsafe methods."""
