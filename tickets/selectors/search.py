"""Inbox search: ticket subject, the conversation's text and the customer (name, email address,
phone number), always inside the queryset it is given (the agent's scope and view).

PostgreSQL matches words with the full-text GIN indexes of migration 0005_search_indexes
(accents folded, so "não" finds "nao"). In subjects and customer names a word may also be the
start of a longer one ("acess" finds "acessar"); in messages words match whole, because a prefix
over millions of messages makes the index hand back whole pages to re-read. SQLite, the embedded
mode, matches each word with LIKE.

Messages are many (millions), so they are never joined to the ticket list: their index yields
matching ticket ids, at most SEARCH_MATCH_LIMIT of them, and only those ids meet the scope.
A search that hits the limit says so, and the agent narrows it with more words or filters.
"""

import re
from functools import reduce
from operator import and_

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BooleanField, F, Func, Q, QuerySet, Value

from ..identities import InvalidIdentity, normalize_phone, phone_equivalents
from ..models import Customer, CustomerIdentity, Message, Ticket

NUMBER = re.compile(r"#?\s*(\d{1,18})")
WORD = re.compile(r"[^\W_]+")
PHONE = re.compile(r"\+?[\d\s().-]{8,24}")
MAX_WORDS = 8
PREFIX_FROM = 3  # words this long also match as the start of longer words


def ticket_number(q: str) -> int | None:
    """The ticket number in "#1234" or "1234", for the search box to jump straight to it."""
    match = NUMBER.fullmatch((q or "").strip())
    return int(match.group(1)) if match else None


def words(q: str) -> list[str]:
    found = []
    for word in WORD.findall((q or "").lower()):
        if len(word) > 1 and word not in found:
            found.append(word[:64])
    return found[:MAX_WORDS]


class TextMatches(Func):
    """PostgreSQL: `column` contains every word of a tsquery, written exactly as the index
    expression of migration 0005 so that the planner uses the index."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra_context):
        column, query = (compiler.compile(e) for e in self.source_expressions)
        return (
            f"to_tsvector('simple'::regconfig, jornada_fold({column[0]})) "
            f"@@ to_tsquery('simple'::regconfig, jornada_fold({query[0]}))",
            [*column[1], *query[1]],
        )


def _matcher(terms: list[str], *, prefix: bool = True):
    if connection.vendor == "postgresql":
        tsquery = " & ".join(f"{t}:*" if prefix and len(t) >= PREFIX_FROM else t for t in terms)
        return lambda column: Q(TextMatches(F(column), Value(tsquery)))
    return lambda column: reduce(and_, (Q(**{f"{column}__icontains": t}) for t in terms))


def _identity_values(q: str) -> list[str]:
    """The identity values an email address or phone number typed in the box is stored as:
    normalized as identities are, with the Brazilian ninth digit or without it."""
    q = q.strip()
    if "@" in q and " " not in q:
        return [q.lower()]
    if PHONE.fullmatch(q):
        try:
            return list(phone_equivalents(normalize_phone(q)))
        except InvalidIdentity:
            return []
    return []


def _message_ticket_ids(terms: list[str], limit: int) -> list[int]:
    """Ticket ids of up to `limit` messages containing every word, in no particular order (an
    ORDER BY would have to read every match first)."""
    rows = (
        Message.objects.filter(_matcher(terms, prefix=False)("body_text"))
        .order_by()
        .values_list("ticket_id", flat=True)[:limit]
    )
    if connection.vendor != "postgresql":
        return list(rows)
    with transaction.atomic(), connection.cursor() as cursor:
        # A word found in a few percent of millions of messages overflows the default 4 MB
        # bitmap, which then turns lossy: every row of those pages is parsed again (seconds
        # instead of a fifth of one). The bitmap needs memory per heap page, not per match.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        return list(rows)


def search_tickets(tickets: QuerySet[Ticket], q: str) -> tuple[QuerySet[Ticket], bool]:
    """The tickets among `tickets` whose subject, messages or customer match `q`, and whether
    the message or customer matches were cut at the limit."""
    terms = words(q)
    values = _identity_values(q)
    if not terms and not values:
        return tickets.none(), False
    limit = settings.JORNADA.get("SEARCH_MATCH_LIMIT", 2000)
    matches = _matcher(terms) if terms else None

    ticket_ids, message_rows = [], 0
    if terms:
        rows = _message_ticket_ids(terms, limit)
        message_rows, ticket_ids = len(rows), list(dict.fromkeys(rows))

    # Two lists rather than one OR: next to a subquery, the name index could not be used.
    customer_ids = []
    if values:
        identities = CustomerIdentity.objects.filter(value__in=values).order_by()
        customer_ids += identities.values_list("customer_id", flat=True)[:limit]
    if matches:
        named = Customer.objects.filter(matches("name")).order_by()
        customer_ids += named.values_list("pk", flat=True)[:limit]

    condition = Q(pk__in=ticket_ids) | Q(customer_id__in=customer_ids)
    if matches:
        condition |= matches("subject")
    truncated = message_rows >= limit or len(customer_ids) >= limit
    return tickets.filter(condition), truncated
