import pytest

from surveys.models import Survey, SurveyInvitation, SurveyKind, SurveyRule
from tests.channels_app import whatsapp_support as wa
from tests.channels_app.chat_support import chat_channel, chat_stack  # noqa: F401
from tests.channels_app.fake_providers import GRAPH_TOKEN, FakeGraph
from tests.tickets.factories import CustomerIdentityFactory
from tickets import services


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what a commit sets off (subscribers, eager tasks) at the end of the block."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def csat(db):
    survey = Survey.objects.create(
        name="CSAT pós-atendimento",
        kind=SurveyKind.CSAT,
        question_en="How satisfied were you with our service?",
        question_pt_br="Quão satisfeito você ficou com o atendimento?",
        comment_prompt_pt_br="Quer contar mais?",
    )
    SurveyRule.objects.create(survey=survey, delay_minutes=30)
    return survey


@pytest.fixture
def nps(db):
    return Survey.objects.create(
        name="NPS",
        kind=SurveyKind.NPS,
        question_en="How likely are you to recommend us?",
        question_pt_br="Qual a chance de você nos recomendar?",
        comment_prompt_pt_br="Por quê?",
        follow_up=Survey.FollowUp.TICKET,
    )


@pytest.fixture
def verified_email(customer):
    return CustomerIdentityFactory(customer=customer, value="maria@example.com", verified=True)


def solve(ticket, agent, committed):
    with committed():
        services.ticket_change_status(ticket=ticket, to_status="solved", by=agent)


@pytest.fixture
def sent_invitation(customer, verified_email, ticket, teams, n1_agent, committed):
    """A CSAT invitation sent by email for a solved ticket assigned to n1."""

    def make(survey):
        from surveys import services as survey_services

        services.ticket_assign(ticket=ticket, assignee=n1_agent, by=n1_agent)
        SurveyRule.objects.update_or_create(survey=survey, defaults={"delay_minutes": 0})
        SurveyRule.objects.exclude(survey=survey).delete()
        solve(ticket, n1_agent, committed)
        invitation = SurveyInvitation.objects.get(ticket=ticket)
        with committed():
            return survey_services.invitation_send(invitation_id=invitation.pk)

    return make


@pytest.fixture
def whatsapp(settings):
    with FakeGraph() as server:
        settings.WHATSAPP_APP_SECRET = wa.APP_SECRET
        settings.WHATSAPP_VERIFY_TOKEN = wa.VERIFY_TOKEN
        settings.WHATSAPP_ACCESS_TOKEN = GRAPH_TOKEN
        settings.WHATSAPP_PHONE_NUMBER_ID = wa.PHONE_NUMBER_ID
        settings.WHATSAPP_API_BASE = server.api_base
        yield server


@pytest.fixture
def deliver(client, committed):
    def deliver(payload, **kwargs):
        with committed():
            return wa.post_webhook(client, payload, **kwargs)

    return deliver
