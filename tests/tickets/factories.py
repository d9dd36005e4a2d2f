"""factory_boy factories for the tickets app. Tickets are created through the service so that every
test ticket has a number, an audit trail and the invariants real tickets have."""

import itertools

import factory
from django.contrib.auth import get_user_model
from factory.django import DjangoModelFactory

from tickets import services
from tickets.inbound import InboundAttachment, NormalizedMessage
from tickets.models import (
    AgentProfile,
    CannedResponse,
    Channel,
    Customer,
    CustomerIdentity,
    Organization,
    Team,
    Ticket,
    Tier,
)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "demo1234")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")
    tier = Tier.N1


class AgentFactory(DjangoModelFactory):
    """An AgentProfile (and its user). Use `.user` to act as the agent."""

    class Meta:
        model = AgentProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    tier = Tier.N1
    n1_role = factory.LazyAttribute(
        lambda a: AgentProfile.N1Role.SOLVER if a.tier == Tier.N1 else ""
    )

    @factory.post_generation
    def teams(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.teams.add(*extracted)


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Empresa {n} Ltda")


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Cliente {n}")


class CannedResponseFactory(DjangoModelFactory):
    """Shared unless given an owner. Written directly: tests of the services create through them."""

    class Meta:
        model = CannedResponse

    title = factory.Sequence(lambda n: f"Resposta pronta {n}")
    body = "Olá {customer_first_name}, obrigado pelo contato sobre o chamado {ticket_number}."
    owner = None


class CustomerIdentityFactory(DjangoModelFactory):
    class Meta:
        model = CustomerIdentity

    customer = factory.SubFactory(CustomerFactory)
    kind = CustomerIdentity.Kind.EMAIL
    value = factory.Sequence(lambda n: f"cliente{n}@example.com")


def make_ticket(
    *,
    customer=None,
    subject="Não consigo acessar minha conta",
    channel=Channel.EMAIL,
    **changes,
):
    """A ticket created through ticket_create; `changes` are then written directly (test set-up
    only) so that a test can start from any state without replaying a whole history."""
    ticket = services.ticket_create(
        customer=customer or CustomerFactory(), subject=subject, channel=channel
    )
    if changes:
        Ticket.objects.filter(pk=ticket.pk).update(**changes)
        ticket.refresh_from_db()
    return ticket


_inbound_ids = itertools.count(1)


def make_inbound(
    *,
    channel=Channel.EMAIL,
    sender_kind=None,
    sender_value="maria@example.com",
    external_id=None,
    **fields,
):
    """A NormalizedMessage as a channel adapter would hand it to message_receive. The sender kind
    follows the channel (email/web: email, whatsapp: whatsapp, sms/phone: phone, chat: chat
    visitor); every message gets a fresh provider id unless one is given ("" for none)."""
    if sender_kind is None:
        sender_kind = {
            Channel.WHATSAPP: CustomerIdentity.Kind.WHATSAPP,
            Channel.SMS: CustomerIdentity.Kind.PHONE,
            Channel.PHONE: CustomerIdentity.Kind.PHONE,
            Channel.CHAT: CustomerIdentity.Kind.CHAT_VISITOR,
        }.get(channel, CustomerIdentity.Kind.EMAIL)
    if external_id is None:
        external_id = f"<msg-{next(_inbound_ids)}@mail.example.com>"
    fields.setdefault("body_text", "Olá, preciso de ajuda.")
    return NormalizedMessage(
        channel=channel,
        sender_kind=sender_kind,
        sender_value=sender_value,
        external_id=external_id,
        **fields,
    )


def make_attachment(*, filename="boleto.pdf", content_type="application/pdf", size=100):
    return InboundAttachment(filename=filename, content_type=content_type, content=b"x" * size)
