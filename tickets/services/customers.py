"""Services on customers: finding one person across channels, and merging duplicates."""

import contextlib
import functools
from collections import defaultdict
from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext

from .. import events
from ..errors import InvalidCustomerMerge
from ..identities import PHONE_KINDS, normalize_identity_value, phone_equivalents
from ..inbound import NormalizedMessage
from ..memo import batch_memo, batch_memo_fill, in_batch
from ..models import Customer, CustomerIdentity, Message, Organization, Ticket, TicketEvent
from ..rows import row_insert_unless_taken, rows_insert_unless_taken
from ..sanitize import single_line
from ._common import agent_profile

Kind = CustomerIdentity.Kind


def _organization_for_email(value: str) -> Organization | None:
    # Domains are case-insensitive; the organization's may be typed in any case in the admin.
    domain = value.rpartition("@")[2]
    if not domain:
        return None
    return batch_memo(
        ("organization", domain.lower()),
        lambda: Organization.objects.filter(domain__iexact=domain).first(),
    )


# Batch memo keys, filled by customers_prefetch_for_identities. NEW: the (kind, value) identities
# (not phones) that were nobody's, whose lookup is skipped (the common case: a new ticket from a
# new sender). PHONES: {(kind, value): the identity a phone's lookup finds, or None}. An identity
# created since is taken out of both, so the sender's next message looks it up again.
_NEW_IDENTITIES = "new-identities"
_PHONES = "phone-identities"
_KNOWN = "known-identities"  # {(kind, value): customer} read ahead, phones aside


def customers_prefetch_for_identities(*, identities: list[tuple[str, str]]) -> None:
    """Inside memoized_for_batch() (a drain's batch): read ahead, in one query, which of these
    identities are nobody's yet and, for phones, whose they are (in any of their forms), then the
    organizations of the new email senders' domains in another: instead of a query or two per
    message. Values that cannot be normalized are left to the per-message lookup."""
    if not in_batch():
        return
    wanted = set()
    for kind, value in identities:
        with contextlib.suppress(Exception):
            wanted.add((kind, normalize_identity_value(kind, value)))
    if len(wanted) < 2:
        return  # one sender: their own lookup costs the same as this one
    phones = {(kind, value) for kind, value in wanted if kind in PHONE_KINDS}
    others = wanted - phones
    values = {value for _, value in others}
    values |= {form for _, value in phones for form in phone_equivalents(value)}
    rows = list(CustomerIdentity.objects.select_related("customer").filter(value__in=values))
    known = {(row.kind, row.value) for row in rows}
    batch_memo_fill({
        _NEW_IDENTITIES: others - known,
        _KNOWN: {(r.kind, r.value): r.customer for r in rows if (r.kind, r.value) in others},
    })  # fmt: skip
    if phones:
        by_value = defaultdict(list)
        for row in rows:
            if row.kind in PHONE_KINDS:
                by_value[row.value].append(row)
        batch_memo_fill({_PHONES: {
            (kind, value): _best_phone(
                [row for form in phone_equivalents(value) for row in by_value[form]], kind, value
            )
            for kind, value in phones
        }})  # fmt: skip
    domains = {
        value.rpartition("@")[2].lower() for kind, value in others - known if kind == Kind.EMAIL
    } - {""}
    if domains:
        found: dict[str, Organization] = {}
        organizations = Organization.objects.annotate(lower_domain=Lower("domain")).filter(
            lower_domain__in=domains
        )
        for organization in organizations.order_by(*Organization._meta.ordering or ["pk"], "pk"):
            found.setdefault(organization.lower_domain, organization)
        batch_memo_fill({("organization", domain): found.get(domain) for domain in domains})


def _new_identities() -> set:
    return batch_memo(_NEW_IDENTITIES, set)


def _prefetched_phones() -> dict:
    return batch_memo(_PHONES, dict)


def _forget_prefetched(kind: str, value: str) -> None:
    """An identity was created: what was read ahead of it (for a phone, of its every form and
    kind, which the new identity answers for too) is stale."""
    _new_identities().discard((kind, value))
    if kind in PHONE_KINDS:
        phones = _prefetched_phones()
        for form in phone_equivalents(value):
            for phone_kind in PHONE_KINDS:
                phones.pop((phone_kind, form), None)


def _best_phone(found, kind: str, value: str) -> CustomerIdentity | None:
    """Of a phone's identities in its forms and kinds: its own first, then the same kind."""
    return min(found, key=lambda i: (i.kind != kind, i.value != value, i.pk), default=None)


def _known_identity(kind: str, value: str) -> CustomerIdentity | None:
    """The identity of this kind and value; for a phone, also the same number as another phone
    kind (SMS, WhatsApp and calls reach one person) or in its other Brazilian form."""
    identities = CustomerIdentity.objects.select_related("customer")
    if kind not in PHONE_KINDS:
        return identities.filter(kind=kind, value=value).first()
    found = identities.filter(kind__in=PHONE_KINDS, value__in=phone_equivalents(value))
    return _best_phone(found, kind, value)


def customer_get_or_create_for_identity(
    *, kind: str, value: str, name: str = "", language: str | None = None, lock: bool = False
) -> tuple[Customer, bool]:
    """The customer behind an identity, creating both when new.
    Raises InvalidIdentity for values that cannot be normalized.

    `lock`: the customer (the one they were merged into, if they were) is returned locked for
    the rest of the caller's transaction, so that two messages of one person processed at once
    queue up (message_receive). A known identity's customer is then read and locked in one
    statement (but for phones, whose lookup may find several)."""
    value = normalize_identity_value(kind, value)  # before the transaction: callers catch it
    name = single_line(name)
    # No savepoint of its own inside a caller's transaction (one per message received adds up).
    with transaction.atomic(savepoint=False):
        if not lock:
            return _get_or_create(kind, value, name, language)
        found, looked_up = None, False
        phones = _prefetched_phones()
        if kind in PHONE_KINDS:
            if (kind, value) in phones:
                found, looked_up = phones[kind, value], True
        elif (kind, value) in _new_identities():
            looked_up = True
        else:
            customer = _locked_customer_of(kind, value)
            found = (
                CustomerIdentity(kind=kind, value=value, customer=customer) if customer else None
            )
            looked_up = True
        read_locked = found is not None and kind not in PHONE_KINDS
        customer, created = _get_or_create(kind, value, name, language, found, looked_up)
        if not created and not read_locked:  # created now: nobody else's yet
            customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if customer.merged_into_id is not None:
            return Customer.objects.select_for_update().get(pk=customer.merged_into_id), created
        return customer, created


def _locked_customer_of(kind: str, value: str) -> Customer | None:
    """The customer of this identity, read and locked in one statement. Written out: building
    this query through the ORM costs more than PostgreSQL spends running it (~0.7 ms against
    ~0.3), and every message of a known sender pays it.

    In a drain's batch the lock is not waited for (NOWAIT): the customer's other message being
    received by another worker would hold this batch's every other lock meanwhile. The message
    fails in its savepoint instead, and the drain receives it again alone after its commit."""
    sql = _locked_customer_sql(nowait=in_batch())
    return next(iter(Customer.objects.raw(sql, [kind, value])), None)


@functools.cache
def _locked_customer_sql(*, nowait: bool) -> str:
    quote = connection.ops.quote_name
    customer, identity = Customer._meta, CustomerIdentity._meta
    field = identity.get_field
    lock = ""
    if connection.features.has_select_for_update_of:
        lock = " FOR UPDATE OF c" + (" NOWAIT" if nowait else "")
    return (
        f"SELECT c.* FROM {quote(customer.db_table)} c "  # noqa: S608 (names from the models)
        f"JOIN {quote(identity.db_table)} i ON i.{quote(field('customer').column)} = "
        f"c.{quote(customer.pk.column)} "
        f"WHERE i.{quote(field('kind').column)} = %s AND i.{quote(field('value').column)} = %s "
        f"LIMIT 1{lock}"
    )


def _get_or_create(
    kind: str,
    value: str,
    name: str,
    language: str | None,
    found: CustomerIdentity | None = None,
    looked_up: bool = False,
) -> tuple[Customer, bool]:
    """`looked_up`: `found` is what the caller's lookup of the identity found (maybe None)."""
    identity = found if looked_up else _known_identity(kind, value)
    if identity is not None:
        customer = identity.customer
        if (identity.kind, identity.value) != (kind, value):
            # The same phone under another kind or form: remember this one too.
            with contextlib.suppress(IntegrityError), transaction.atomic():
                CustomerIdentity.objects.create(customer=customer, kind=kind, value=value)
            _forget_prefetched(kind, value)
        if not customer.name and name:
            customer.name = name[:200]
            customer.save(update_fields=["name", "updated_at"])
        return customer, False
    customer = Customer.objects.create(
        name=(name or "")[:200],
        organization=_organization_for_email(value) if kind == Kind.EMAIL else None,
        language=language or Customer._meta.get_field("language").default,
    )
    inserted = _identity_insert(customer_id=customer.pk, kind=kind, value=value)
    _forget_prefetched(kind, value)
    if not inserted:
        # Another process created the same identity a moment ago: use theirs.
        customer.delete()
        return CustomerIdentity.objects.select_related("customer").get(
            kind=kind, value=value
        ).customer, False
    return customer, True


def identity_read_ahead_customer(kind: str, value: str) -> Customer | None:
    """The customer this batch read ahead as the identity's (`value` normalized; for a phone, in
    any of its forms), as read then: not locked, maybe merged into another since. None: nobody's,
    or not read ahead (customers_prefetch_for_identities)."""
    if kind in PHONE_KINDS:
        identity = _prefetched_phones().get((kind, value))
        return identity.customer if identity is not None else None
    return batch_memo(_KNOWN, dict).get((kind, value))


def normalized_sender(item: NormalizedMessage) -> str | None:
    """The sender's identity value normalized; None when it cannot be (message_receive says
    why)."""
    try:
        return normalize_identity_value(item.sender_kind, item.sender_value)
    except Exception:
        return None


def identity_known_new(kind: str, value: str) -> bool:
    """Whether this batch read ahead that the identity (not a phone; `value` normalized) is
    nobody's, and none was created since (customers_prefetch_for_identities)."""
    return kind not in PHONE_KINDS and (kind, value) in _new_identities()


def customers_create_for_new_identities(
    *, senders: Sequence[tuple[str, str, str, str | None]]
) -> list[Customer]:
    """A customer for each (kind, normalized value, name, language) nobody has, with its identity:
    what customer_get_or_create_for_identity creates, for a batch in three statements. Inside
    the caller's savepoint: should another process have taken one of the identities meanwhile,
    raises IntegrityError and the caller rolls back the lot."""
    default_language = Customer._meta.get_field("language").default
    customers = [
        Customer(
            name=single_line(name)[:200],
            organization=_organization_for_email(value) if kind == Kind.EMAIL else None,
            language=language or default_language,
        )
        for kind, value, name, language in senders
    ]
    Customer.objects.bulk_create(customers)
    identities = [
        CustomerIdentity(customer_id=customer.pk, kind=kind, value=value)
        for customer, (kind, value, _, _) in zip(customers, senders, strict=True)
    ]
    # In one order for every worker: two inserting the same new senders cannot deadlock.
    identities.sort(key=lambda identity: (identity.kind, identity.value))
    if rows_insert_unless_taken(identities, unique=["kind", "value"]) < len(identities):
        raise IntegrityError("an identity of the batch was created meanwhile")
    for kind, value, _, _ in senders:
        _forget_prefetched(kind, value)
    return customers


def _identity_insert(*, customer_id: int, kind: str, value: str) -> bool:
    """INSERT the identity unless it exists; whether it was inserted (one round trip, once per
    new customer of every channel)."""
    row = CustomerIdentity(customer_id=customer_id, kind=kind, value=value)  # model defaults
    return row_insert_unless_taken(row, unique=["kind", "value"])


@transaction.atomic
def customer_add_identity(
    *, customer: Customer, kind: str, value: str, verified: bool = False
) -> CustomerIdentity:
    """An identity of this customer; `verified` when its owner proved it (a link followed, a
    signature checked), which also verifies it when the customer had it already."""
    value = normalize_identity_value(kind, value)
    existing = CustomerIdentity.objects.filter(kind=kind, value=value).first()
    if existing is not None:
        if existing.customer_id != customer.pk:
            raise InvalidCustomerMerge(
                why=gettext("%(value)s already belongs to another customer") % {"value": value}
            )
        if verified and not existing.verified:
            existing.verified = True
            existing.save(update_fields=["verified"])
        return existing
    return CustomerIdentity.objects.create(
        customer=customer, kind=kind, value=value, verified=verified
    )


@transaction.atomic
def customer_merge(*, source: Customer, target: Customer, by: AbstractBaseUser | None) -> Customer:
    """Make two customer records one person: identities, tickets and messages of `source` move to
    `target`; `source` stays as a pointer (merged_into) so old links still resolve."""
    if source.pk == target.pk:
        raise InvalidCustomerMerge(why=gettext("a customer cannot be merged into itself"))
    if by is not None:
        agent_profile(by)
    locked = {
        c.pk: c
        for c in Customer.objects.select_for_update()
        .filter(pk__in=[source.pk, target.pk])
        .order_by("pk")
    }
    source, target = locked[source.pk], locked[target.pk]
    if source.merged_into_id or target.merged_into_id:
        raise InvalidCustomerMerge(
            why=gettext("one of them was already merged into another customer")
        )

    identities_moved = CustomerIdentity.objects.filter(customer=source).update(customer=target)
    ticket_ids = list(Ticket.objects.filter(customer=source).values_list("pk", flat=True))
    Ticket.objects.filter(pk__in=ticket_ids).update(customer=target)
    Message.objects.filter(author_customer=source).update(author_customer=target)
    TicketEvent.objects.bulk_create(
        TicketEvent(
            ticket_id=pk,
            kind=TicketEvent.Kind.CUSTOMER_CHANGED,
            actor=by,
            before={"customer_id": source.pk, "name": source.name},
            after={"customer_id": target.pk, "name": target.name},
            data={"merge": True},
        )
        for pk in ticket_ids
    )

    fields = []
    if target.organization_id is None and source.organization_id is not None:
        target.organization_id = source.organization_id
        fields.append("organization")
    if not target.name and source.name:
        target.name = source.name
        fields.append("name")
    if source.segment == Customer.Segment.VIP and target.segment != Customer.Segment.VIP:
        target.segment = Customer.Segment.VIP
        fields.append("segment")
    if source.user_id is not None and target.user_id is None:
        target.user, source.user = source.user, None
        source.save(update_fields=["user"])
        fields.append("user")
    # With two portal logins, the source keeps its own: selectors follow merged_into.
    if fields:
        target.save(update_fields=[*fields, "updated_at"])
    source.merged_into = target
    source.save(update_fields=["merged_into", "updated_at"])
    events.publish(
        events.CustomerMerged(
            source_id=source.pk,
            target_id=target.pk,
            identities_moved=identities_moved,
            tickets_moved=len(ticket_ids),
            by_id=by.pk if by else None,
        )
    )
    return target
