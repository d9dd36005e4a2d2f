"""Customers across channels: normalized identities, finding the same person again, merging
duplicates."""

import pytest

from tests.tickets.factories import (
    CustomerFactory,
    CustomerIdentityFactory,
    OrganizationFactory,
    UserFactory,
    make_inbound,
    make_ticket,
)
from tickets import selectors, services
from tickets.errors import InvalidCustomerMerge, NotAnAgent
from tickets.identities import InvalidIdentity, normalize_identity_value, normalize_phone
from tickets.models import Channel, Customer, CustomerIdentity, Message, Ticket, TicketEvent

K = CustomerIdentity.Kind


# --- normalization ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("maria@example.com", "maria@example.com"),
        ("Maria.Silva@Example.COM.BR", "maria.silva@example.com.br"),
        ("  joao@empresa.com.br \n", "joao@empresa.com.br"),
    ],
)
def test_email_identities_are_lower_cased_and_trimmed(raw, normalized):
    assert normalize_identity_value(K.EMAIL, raw) == normalized


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("(11) 98765-4321", "+5511987654321"),
        ("11987654321", "+5511987654321"),
        ("+55 11 98765-4321", "+5511987654321"),
        ("+55 (11) 98765-4321", "+5511987654321"),
        ("5511987654321", "+5511987654321"),  # WhatsApp wa_id: country code without "+"
        ("(011) 98765-4321", "+5511987654321"),
        ("(21) 3456-7890", "+552134567890"),
        ("+1 415 555 2671", "+14155552671"),
    ],
)
@pytest.mark.parametrize("kind", [K.WHATSAPP, K.PHONE])
def test_phone_identities_become_e164(kind, raw, normalized):
    assert normalize_identity_value(kind, raw) == normalized


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [("11 98765-4321", "+5511987654321"), ("21 3456-7890", "+552134567890")],
)
def test_brazilian_numbers_written_with_spaces_stay_brazilian(raw, normalized):
    assert normalize_phone(raw) == normalized


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        (K.EMAIL, ""),
        (K.EMAIL, "   "),
        (K.EMAIL, "maria.example.com"),
        (K.WHATSAPP, "abc"),
        (K.WHATSAPP, "123"),
        (K.PHONE, "não tenho"),
        (K.PHONE, ""),
        (K.CHAT_VISITOR, "  "),
    ],
)
def test_invalid_identity_values_raise_invalid_identity(kind, raw):
    with pytest.raises(InvalidIdentity):
        normalize_identity_value(kind, raw)


def test_other_identity_kinds_are_only_trimmed():
    assert normalize_identity_value(K.CHAT_VISITOR, " Visitor-AbC123 ") == "Visitor-AbC123"


# --- customer_get_or_create_for_identity -----------------------------------------------------


def test_new_identity_creates_customer_and_identity(db):
    customer, created = services.customer_get_or_create_for_identity(
        kind=K.EMAIL, value="Ana@Example.com", name="Ana Conceição"
    )

    assert created
    assert customer.name == "Ana Conceição"
    assert list(customer.identities.values_list("kind", "value")) == [(K.EMAIL, "ana@example.com")]


def test_same_identity_finds_the_same_customer(db):
    first, _ = services.customer_get_or_create_for_identity(kind=K.EMAIL, value="ana@example.com")

    again, created = services.customer_get_or_create_for_identity(
        kind=K.EMAIL, value="  ANA@example.COM"
    )

    assert not created
    assert again == first
    assert Customer.objects.count() == 1
    assert CustomerIdentity.objects.count() == 1


def test_same_phone_written_differently_finds_the_same_customer(db):
    first, _ = services.customer_get_or_create_for_identity(kind=K.WHATSAPP, value="5511987654321")

    again, created = services.customer_get_or_create_for_identity(
        kind=K.WHATSAPP, value="(11) 98765-4321"
    )

    assert (again, created) == (first, False)


def test_same_number_of_another_phone_kind_is_another_identity_of_the_same_customer(db):
    # WhatsApp, SMS and calls from one number are one person (issue 5).
    whatsapp, _ = services.customer_get_or_create_for_identity(
        kind=K.WHATSAPP, value="+5511987654321"
    )

    phone, created = services.customer_get_or_create_for_identity(
        kind=K.PHONE, value="+5511987654321"
    )

    assert not created
    assert phone == whatsapp
    assert sorted(phone.identities.values_list("kind", flat=True)) == [K.PHONE, K.WHATSAPP]


def test_a_brazilian_mobile_with_or_without_the_ninth_digit_is_one_customer(db):
    known, _ = services.customer_get_or_create_for_identity(kind=K.PHONE, value="+5511987654321")

    again, created = services.customer_get_or_create_for_identity(
        kind=K.WHATSAPP, value="551187654321"
    )

    assert (again, created) == (known, False)


def test_a_landline_is_never_matched_with_an_added_ninth_digit(db):
    landline, _ = services.customer_get_or_create_for_identity(kind=K.PHONE, value="+551132654321")

    mobile, created = services.customer_get_or_create_for_identity(
        kind=K.PHONE, value="+5511932654321"
    )

    assert created
    assert mobile != landline


def test_known_customer_without_name_gets_the_name(db):
    services.customer_get_or_create_for_identity(kind=K.EMAIL, value="ana@example.com")

    customer, _ = services.customer_get_or_create_for_identity(
        kind=K.EMAIL, value="ana@example.com", name="Ana"
    )

    customer.refresh_from_db()
    assert customer.name == "Ana"


def test_known_customer_keeps_an_existing_name(db):
    services.customer_get_or_create_for_identity(kind=K.EMAIL, value="ana@example.com", name="Ana")

    customer, _ = services.customer_get_or_create_for_identity(
        kind=K.EMAIL, value="ana@example.com", name="ANA SILVA (celular)"
    )

    customer.refresh_from_db()
    assert customer.name == "Ana"


def test_email_domain_picks_the_organization(db):
    acme = OrganizationFactory(name="Acme Ltda", domain="acme.com.br")
    OrganizationFactory(name="Outra", domain="outra.com.br")

    customer, _ = services.customer_get_or_create_for_identity(
        kind=K.EMAIL, value="ana@ACME.com.br"
    )

    assert customer.organization == acme


def test_organization_domain_matches_whatever_its_case(db):
    acme = OrganizationFactory(name="Acme Ltda", domain="Acme.com.br")

    customer, _ = services.customer_get_or_create_for_identity(
        kind=K.EMAIL, value="ana@acme.com.br"
    )

    assert customer.organization == acme


def test_unknown_domain_leaves_customer_without_organization(db):
    OrganizationFactory(name="Acme Ltda", domain="acme.com.br")
    OrganizationFactory(name="Sem domínio", domain="")

    customer, _ = services.customer_get_or_create_for_identity(kind=K.EMAIL, value="ana@gmail.com")

    assert customer.organization is None


def test_phone_identity_never_joins_an_organization(db):
    OrganizationFactory(name="Sem domínio", domain="")

    customer, _ = services.customer_get_or_create_for_identity(
        kind=K.WHATSAPP, value="5511987654321"
    )

    assert customer.organization is None


def test_invalid_identity_creates_nothing(db):
    with pytest.raises(InvalidIdentity):
        services.customer_get_or_create_for_identity(kind=K.WHATSAPP, value="abc")

    assert not Customer.objects.exists()


def test_new_customer_gets_the_given_language(db):
    customer, _ = services.customer_get_or_create_for_identity(
        kind=K.EMAIL, value="john@example.com", language="en"
    )

    assert customer.language == "en"


# --- customer_add_identity -------------------------------------------------------------------


def test_add_identity_stores_it_normalized(customer):
    identity = services.customer_add_identity(
        customer=customer, kind=K.WHATSAPP, value="(11) 98765-4321", verified=True
    )

    assert (identity.customer, identity.kind, identity.value, identity.verified) == (
        customer,
        K.WHATSAPP,
        "+5511987654321",
        True,
    )


def test_adding_an_identity_the_customer_already_has_returns_it(customer):
    first = services.customer_add_identity(customer=customer, kind=K.EMAIL, value="ana@example.com")

    again = services.customer_add_identity(customer=customer, kind=K.EMAIL, value="ANA@example.com")

    assert again == first
    assert customer.identities.count() == 1


def test_adding_another_customers_identity_is_refused(customer):
    owner = CustomerIdentityFactory(kind=K.EMAIL, value="ana@example.com").customer

    with pytest.raises(InvalidCustomerMerge) as excinfo:
        services.customer_add_identity(customer=customer, kind=K.EMAIL, value="Ana@Example.com")

    assert excinfo.value.code == "invalid_customer_merge"
    assert CustomerIdentity.objects.get(value="ana@example.com").customer == owner
    assert not customer.identities.exists()


def test_adding_an_invalid_identity_raises_invalid_identity(customer):
    with pytest.raises(InvalidIdentity):
        services.customer_add_identity(customer=customer, kind=K.PHONE, value="123")


# --- customer_merge --------------------------------------------------------------------------


@pytest.fixture
def duplicate(db):
    """The same person, known twice: once by e-mail (target), once by WhatsApp (source), each
    with a conversation."""
    email = services.message_receive(
        incoming=make_inbound(sender_value="maria@example.com", sender_name="Maria da Silva")
    )
    whatsapp = services.message_receive(
        incoming=make_inbound(
            channel=Channel.WHATSAPP, sender_value="5511987654321", external_id="wamid.1"
        )
    )
    return whatsapp.message.author_customer, email.message.author_customer


def test_merge_moves_identities_to_the_target(duplicate, manager):
    source, target = duplicate

    services.customer_merge(source=source, target=target, by=manager)

    assert set(target.identities.values_list("kind", "value")) == {
        (K.EMAIL, "maria@example.com"),
        (K.WHATSAPP, "+5511987654321"),
    }
    assert not source.identities.exists()


def test_merge_moves_tickets_to_the_target(duplicate, manager):
    source, target = duplicate
    source_tickets = set(source.tickets.values_list("pk", flat=True))

    services.customer_merge(source=source, target=target, by=manager)

    assert len(source_tickets) == 1
    assert source_tickets <= set(target.tickets.values_list("pk", flat=True))
    assert not Ticket.objects.filter(customer=source).exists()


def test_merge_moves_authored_messages_to_the_target(duplicate, manager):
    source, target = duplicate

    services.customer_merge(source=source, target=target, by=manager)

    assert not Message.objects.filter(author_customer=source).exists()
    assert Message.objects.filter(author_customer=target).count() == 2


def test_merge_leaves_source_pointing_at_the_target(duplicate, manager):
    source, target = duplicate

    services.customer_merge(source=source, target=target, by=manager)

    source.refresh_from_db()
    target.refresh_from_db()
    assert source.merged_into == target
    assert target.merged_into is None


def test_merge_records_customer_changed_on_each_moved_ticket(duplicate, manager):
    source, target = duplicate
    second = make_ticket(customer=source)
    moved = [*source.tickets.all()]
    untouched = target.tickets.get()

    services.customer_merge(source=source, target=target, by=manager)

    assert second in moved
    for ticket in moved:
        event = ticket.events.order_by("-id").first()
        assert (event.kind, event.actor) == (TicketEvent.Kind.CUSTOMER_CHANGED, manager)
        assert event.before == {"customer_id": source.pk, "name": source.name}
        assert event.after == {"customer_id": target.pk, "name": "Maria da Silva"}
    assert not untouched.events.filter(kind=TicketEvent.Kind.CUSTOMER_CHANGED).exists()


def test_merge_moves_portal_user_when_target_has_none(duplicate, manager):
    source, target = duplicate
    login = UserFactory(username="maria")
    Customer.objects.filter(pk=source.pk).update(user=login)

    services.customer_merge(source=source, target=target, by=manager)

    source.refresh_from_db()
    target.refresh_from_db()
    assert target.user == login
    assert source.user is None


def test_merge_keeps_the_targets_own_portal_user(duplicate, manager):
    source, target = duplicate
    Customer.objects.filter(pk=source.pk).update(user=UserFactory(username="maria-zap"))
    own = UserFactory(username="maria")
    Customer.objects.filter(pk=target.pk).update(user=own)

    services.customer_merge(source=source, target=target, by=manager)

    target.refresh_from_db()
    assert target.user == own


def test_a_merged_customers_own_login_still_sees_the_merged_tickets(duplicate, manager):
    source, target = duplicate
    second_login = UserFactory(username="maria-zap")
    Customer.objects.filter(pk=source.pk).update(user=second_login)
    Customer.objects.filter(pk=target.pk).update(user=UserFactory(username="maria"))
    ticket = make_ticket(customer=source)

    services.customer_merge(source=source, target=target, by=manager)

    assert selectors.customer_for_user(user=second_login) == target
    visible = set(selectors.ticket_list_for_customer(user=second_login))
    assert ticket in visible
    assert visible == set(Ticket.objects.filter(customer=target))


def test_merge_keeps_vip_segment(duplicate, manager):
    source, target = duplicate
    Customer.objects.filter(pk=source.pk).update(segment=Customer.Segment.VIP)

    services.customer_merge(source=source, target=target, by=manager)

    target.refresh_from_db()
    assert target.segment == Customer.Segment.VIP


def test_merge_does_not_downgrade_a_vip_target(duplicate, manager):
    source, target = duplicate
    Customer.objects.filter(pk=target.pk).update(segment=Customer.Segment.VIP)

    services.customer_merge(source=source, target=target, by=manager)

    target.refresh_from_db()
    assert target.segment == Customer.Segment.VIP


def test_merge_fills_the_targets_missing_name_and_organization(db, manager):
    acme = OrganizationFactory(name="Acme Ltda", domain="acme.com.br")
    source = CustomerFactory(name="Ana Souza", organization=acme)
    target = CustomerFactory(name="")

    services.customer_merge(source=source, target=target, by=manager)

    target.refresh_from_db()
    assert (target.name, target.organization) == ("Ana Souza", acme)


def test_merge_into_itself_is_refused(customer, manager):
    with pytest.raises(InvalidCustomerMerge):
        services.customer_merge(source=customer, target=customer, by=manager)

    customer.refresh_from_db()
    assert customer.merged_into is None


def test_a_customer_cannot_be_merged_twice(duplicate, manager):
    source, target = duplicate
    services.customer_merge(source=source, target=target, by=manager)
    other = CustomerFactory()

    with pytest.raises(InvalidCustomerMerge):
        services.customer_merge(source=source, target=other, by=manager)

    source.refresh_from_db()
    assert source.merged_into == target


def test_merge_into_a_merged_customer_is_refused(duplicate, manager):
    source, target = duplicate
    services.customer_merge(source=source, target=target, by=manager)
    other = CustomerFactory()

    with pytest.raises(InvalidCustomerMerge):
        services.customer_merge(source=other, target=source, by=manager)

    other.refresh_from_db()
    assert other.merged_into is None


def test_merge_by_a_non_agent_is_refused(duplicate):
    source, target = duplicate

    with pytest.raises(NotAnAgent):
        services.customer_merge(source=source, target=target, by=UserFactory(username="x"))

    source.refresh_from_db()
    assert source.merged_into is None


def test_system_can_merge_customers(duplicate):
    source, target = duplicate

    services.customer_merge(source=source, target=target, by=None)

    source.refresh_from_db()
    assert source.merged_into == target


def test_message_on_a_merged_customers_identity_lands_on_the_target(duplicate, manager):
    source, target = duplicate
    services.customer_merge(source=source, target=target, by=manager)

    result = services.message_receive(
        incoming=make_inbound(channel=Channel.EMAIL, sender_value="maria@example.com")
    )
    whatsapp = services.message_receive(
        incoming=make_inbound(channel=Channel.WHATSAPP, sender_value="+55 11 98765-4321")
    )

    assert result.message.author_customer == target
    assert whatsapp.message.author_customer == target
    assert whatsapp.ticket.customer == target
    assert not whatsapp.created_ticket  # the moved WhatsApp conversation continues
    assert Customer.objects.filter(merged_into=None).count() == 1


def test_identity_added_to_a_merged_customer_still_reaches_the_target(duplicate, manager):
    source, target = duplicate
    services.customer_merge(source=source, target=target, by=manager)
    services.customer_add_identity(customer=source, kind=K.EMAIL, value="maria@trabalho.com.br")

    result = services.message_receive(incoming=make_inbound(sender_value="maria@trabalho.com.br"))

    assert result.ticket.customer == target
    assert result.message.author_customer == target


def _batch_lookups(senders):
    """Each sender looked up (and locked) as a drain's batch does: read ahead first."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from tickets.memo import memoized_for_batch

    with memoized_for_batch(), transaction.atomic(), CaptureQueriesContext(connection) as queries:
        services.customers_prefetch_for_identities(identities=senders)
        found = [
            services.customer_get_or_create_for_identity(kind=kind, value=value, lock=True)
            for kind, value in senders
        ]
    return found, len(queries)


def test_a_batch_finds_each_phone_in_any_of_its_forms_and_creates_a_new_one_once(db):
    known, _ = services.customer_get_or_create_for_identity(
        kind="whatsapp", value="+5511987654321", name="Ana"
    )
    senders = [
        ("whatsapp", "+551187654321"),  # Ana's number before the ninth digit
        ("phone", "+5511987654321"),  # Ana's number by SMS or a call
        ("whatsapp", "+5511912345678"),  # someone new, twice
        ("whatsapp", "+5511912345678"),
        ("whatsapp", "+5511987654321"),  # Ana again, as she is known
    ]

    found, queries = _batch_lookups(senders)

    customers = [customer for customer, _ in found]
    assert customers[0] == customers[1] == customers[4] == known
    assert customers[2] == customers[3] != known
    assert [created for _, created in found] == [False, False, True, False, False]
    assert set(known.identities.values_list("kind", "value")) == {
        ("whatsapp", "+5511987654321"), ("whatsapp", "+551187654321"), ("phone", "+5511987654321"),
    }  # fmt: skip
    # One read ahead. Ana's first other form: remembered in a savepoint (SAVEPOINT, INSERT,
    # RELEASE), her row locked; what was read ahead of her number is then forgotten, so her
    # other messages look it up again (and her phone form is remembered too). The new number:
    # created with its identity, then looked up and locked for its second message.
    assert queries == 1 + (3 + 1) + (1 + 3 + 1) + 2 + (1 + 1) + (1 + 1), queries


@pytest.mark.parametrize(
    "senders",
    [
        [("whatsapp", "+551187654321"), ("phone", "+5511987654321")],  # two forms, two kinds
        [("whatsapp", "+5511912345678"), ("phone", "+5511912345678")],  # one number, two kinds
        [("whatsapp", "+5521998765432"), ("whatsapp", "+552198765432")],  # with and without 9
    ],
)
def test_a_new_number_seen_twice_in_a_batch_in_other_forms_is_one_customer(db, senders):
    found, _ = _batch_lookups(senders)

    assert found[0][0] == found[1][0]
    assert [created for _, created in found] == [True, False]
    assert Customer.objects.count() == 1


def test_a_batch_of_email_senders_skips_the_lookup_of_new_ones_only(db):
    known, _ = services.customer_get_or_create_for_identity(kind="email", value="maria@x.example")
    senders = [("email", "maria@x.example"), ("email", "novo@x.example")] * 2

    found, _ = _batch_lookups(senders)

    customers = [customer for customer, _ in found]
    assert customers[0] == customers[2] == known
    assert customers[1] == customers[3] != known
    assert [created for _, created in found] == [False, True, False, False]
    assert CustomerIdentity.objects.filter(value="novo@x.example").count() == 1
