"""Services on customers: finding one person across channels, and merging duplicates."""

import contextlib

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext

from .. import events
from ..errors import InvalidCustomerMerge
from ..identities import PHONE_KINDS, normalize_identity_value, phone_equivalents
from ..memo import batch_memo
from ..models import Customer, CustomerIdentity, Message, Organization, Ticket, TicketEvent
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


def _known_identity(kind: str, value: str) -> CustomerIdentity | None:
    """The identity of this kind and value; for a phone, also the same number as another phone
    kind (SMS, WhatsApp and calls reach one person) or in its other Brazilian form."""
    identities = CustomerIdentity.objects.select_related("customer")
    if kind not in PHONE_KINDS:
        return identities.filter(kind=kind, value=value).first()
    found = identities.filter(kind__in=PHONE_KINDS, value__in=phone_equivalents(value))
    return min(found, key=lambda i: (i.kind != kind, i.value != value, i.pk), default=None)


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
        looked_up = kind not in PHONE_KINDS
        found = None
        if looked_up:
            found = (
                CustomerIdentity.objects.select_related("customer")
                .select_for_update(of=("customer",))
                .filter(kind=kind, value=value)
                .first()
            )
        customer, created = _get_or_create(kind, value, name, language, found, looked_up)
        if customer.merged_into_id is not None:
            return Customer.objects.select_for_update().get(pk=customer.merged_into_id), created
        if not created and found is None:  # created now: nobody else's yet
            customer = Customer.objects.select_for_update().get(pk=customer.pk)
        return customer, created


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
        if not customer.name and name:
            customer.name = name[:200]
            customer.save(update_fields=["name", "updated_at"])
        return customer, False
    customer = Customer.objects.create(
        name=(name or "")[:200],
        organization=_organization_for_email(value) if kind == Kind.EMAIL else None,
        language=language or Customer._meta.get_field("language").default,
    )
    if not _identity_insert(customer_id=customer.pk, kind=kind, value=value):
        # Another process created the same identity a moment ago: use theirs.
        customer.delete()
        return CustomerIdentity.objects.select_related("customer").get(
            kind=kind, value=value
        ).customer, False
    return customer, True


def _identity_insert(*, customer_id: int, kind: str, value: str) -> bool:
    """INSERT the identity unless it exists; whether it was inserted. ON CONFLICT DO NOTHING
    (PostgreSQL, SQLite >= 3.35) instead of an INSERT in a savepoint caught on IntegrityError:
    one round trip instead of three, once per new customer of every channel."""
    meta = CustomerIdentity._meta
    row = CustomerIdentity(customer_id=customer_id, kind=kind, value=value)  # model defaults
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    # Names come from the model, values go as parameters.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({quote('kind')}, {quote('value')}) DO NOTHING RETURNING {quote('id')}"
    )
    params = [f.get_db_prep_save(f.pre_save(row, add=True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None


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
