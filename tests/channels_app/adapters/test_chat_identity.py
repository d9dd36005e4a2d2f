"""Who a chat visitor is: anonymous with a signed token, a host site's user signed with the chat
channel's secret (recognised on every device, joined with their other identities), a portal
customer by their session; and a token that was someone else's is never merged."""

import pytest

from channels_app.adapters.chat import tokens
from channels_app.models import ChatSession
from tests.channels_app.chat_support import db_call, run, say, visitor
from tests.tickets.factories import CustomerFactory, UserFactory
from tests.workspace.live.sockets import cookie_of
from tickets import services
from tickets.models import Customer, CustomerIdentity, Message

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("chat_stack")]
K = CustomerIdentity.Kind


def signed(channel, host_id, email=""):
    return tokens.host_signatures(secret=channel.secret, host_id=host_id, email=email)


def visitor_ids(welcome):
    return [m["id"] for m in welcome["messages"] if m["from"] == "visitor"]


async def customer_of(ack):
    return await db_call(
        lambda: Message.objects.select_related("ticket__customer").get(pk=ack["id"]).ticket.customer
    )()


def test_a_signed_host_user_is_the_same_customer_on_every_device(chat_channel):
    async def scenario():
        laptop, _ = await visitor(chat_channel, identity=signed(chat_channel, "u-42"))
        first = await say(laptop, "Do notebook")
        await laptop.disconnect()
        phone, welcome = await visitor(chat_channel, identity=signed(chat_channel, "u-42"))
        # The other device's conversation is theirs too.
        assert visitor_ids(welcome) == [first["id"]]
        second = await say(phone, "Do celular")
        assert (await customer_of(first)).pk == (await customer_of(second)).pk
        identity = await db_call(CustomerIdentity.objects.get)(kind=K.HOST_USER)
        assert identity.value == f"{chat_channel.pk}:u-42"
        assert identity.verified
        await phone.disconnect()

    run(scenario)


def test_an_invalid_signature_leaves_the_visitor_anonymous(chat_channel):
    async def scenario():
        forged = {"id": "u-42", "hmac": "0" * 64, "email": "ceo@example.com"}
        socket_, _ = await visitor(chat_channel, identity=forged)
        ack = await say(socket_, "Sou o CEO")
        customer = await customer_of(ack)
        kinds = await db_call(list)(customer.identities.values_list("kind", flat=True))
        assert kinds == [K.CHAT_VISITOR]
        assert not await db_call(CustomerIdentity.objects.filter(kind=K.HOST_USER).exists)()
        await socket_.disconnect()

    run(scenario)


def test_the_anonymous_chat_joins_the_host_user_who_signs_in(chat_channel):
    async def scenario():
        socket_, welcome = await visitor(chat_channel)
        before = await say(socket_, "Antes de entrar")
        await socket_.disconnect()
        socket_, again = await visitor(
            chat_channel, token=welcome["token"], identity=signed(chat_channel, "u-7")
        )
        assert again["token"] == welcome["token"]
        assert visitor_ids(again) == [before["id"]]
        host = await db_call(CustomerIdentity.objects.select_related("customer").get)(
            kind=K.HOST_USER
        )
        assert (await customer_of(before)).pk == host.customer_id
        await socket_.disconnect()

    run(scenario)


def test_a_token_that_was_another_users_is_replaced_not_merged(chat_channel):
    """A shared computer: the next person signed in on the host site gets a visitor of their
    own and never sees the first person's chat."""

    async def scenario():
        socket_, welcome = await visitor(chat_channel, identity=signed(chat_channel, "ana"))
        await say(socket_, "Conversa da Ana")
        await socket_.disconnect()
        socket_, other = await visitor(
            chat_channel, token=welcome["token"], identity=signed(chat_channel, "bia")
        )
        assert other["token"] != welcome["token"]
        assert other["messages"] == []
        mine = await say(socket_, "Conversa da Bia")
        bia, ana = (
            await customer_of(mine),
            await db_call(
                lambda: CustomerIdentity.objects.get(value=f"{chat_channel.pk}:ana").customer
            )(),
        )
        assert bia.pk != ana.pk
        assert ana.merged_into_id is None
        await socket_.disconnect()

    run(scenario)


def test_a_host_vouched_email_joins_the_customer_of_that_address(chat_channel, customer):
    services.customer_add_identity(customer=customer, kind=K.EMAIL, value="maria@example.com")

    async def scenario():
        identity = signed(chat_channel, "u-9", email="Maria@Example.com")
        socket_, _ = await visitor(chat_channel, identity=identity)
        ack = await say(socket_, "Sou eu mesma")
        assert (await customer_of(ack)).pk == customer.pk
        email = await db_call(CustomerIdentity.objects.get)(kind=K.EMAIL)
        assert email.verified
        await socket_.disconnect()

    run(scenario)


def test_an_email_the_host_did_not_sign_joins_no_one(chat_channel, customer):
    services.customer_add_identity(customer=customer, kind=K.EMAIL, value="maria@example.com")

    async def scenario():
        identity = {**signed(chat_channel, "u-9"), "email": "maria@example.com"}
        socket_, _ = await visitor(chat_channel, identity=identity)
        ack = await say(socket_, "Será que viro a Maria?")
        assert (await customer_of(ack)).pk != customer.pk
        assert not await db_call(Customer.objects.filter(merged_into=customer).exists)()
        await socket_.disconnect()

    run(scenario)


def test_a_portal_customer_is_recognised_by_their_session(chat_channel):
    user = UserFactory(username="cliente")
    portal_customer = CustomerFactory(name="Cliente do portal", user=user)
    cookie = cookie_of(user)

    async def scenario():
        socket_, _ = await visitor(chat_channel, headers=[(b"cookie", cookie.encode())])
        ack = await say(socket_, "Escrevendo pelo portal")
        assert (await customer_of(ack)).pk == portal_customer.pk
        session = await db_call(ChatSession.objects.select_related("ticket").get)()
        assert session.ticket.customer_id == portal_customer.pk
        await socket_.disconnect()

    run(scenario)
