"""The portal's "pending surveys": the signed-in customer's own open invitations, no one else's."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from surveys.models import Survey, SurveyInvitation, SurveyKind
from tests.tickets.factories import make_ticket

pytestmark = pytest.mark.django_db


def invite(customer, subject, **fields):
    survey, _ = Survey.objects.get_or_create(
        name="CSAT", kind=SurveyKind.CSAT, question_en="Happy?", question_pt_br="Satisfeito?"
    )
    now = timezone.now()
    return SurveyInvitation.objects.create(
        survey=survey,
        customer=customer,
        ticket=make_ticket(customer=customer, subject=subject),
        channel="web",
        status=fields.pop("status", SurveyInvitation.Status.SENT),
        scheduled_at=now,
        sent_at=now,
        expires_at=fields.pop("expires_at", now + timedelta(days=7)),
    )


def test_the_home_lists_the_customers_own_open_surveys(maria_client, maria, joao):
    mine = invite(maria, "Entrega atrasada")
    invite(maria, "Pesquisa vencida", expires_at=timezone.now() - timedelta(days=1))
    invite(maria, "Já respondida", status=SurveyInvitation.Status.ANSWERED)
    invite(joao, "Pedido do João")

    page = maria_client.get(reverse("portal:home")).content.decode()
    html = page.split('class="article-list pending-surveys"', 1)[1].split("</ul>", 1)[0]

    assert "Entrega atrasada" in html
    assert "Pesquisa vencida" not in html
    assert "Já respondida" not in html
    assert "Pedido do João" not in html
    [href] = [part.split('"', 1)[0] for part in html.split('href="/survey/')[1:]]
    answer = maria_client.get(f"/survey/{href}")
    assert answer.status_code == 200
    assert mine.ticket.subject in answer.content.decode()


def test_without_pending_surveys_there_is_no_list(maria_client):
    assert "pending-surveys" not in maria_client.get(reverse("portal:home")).content.decode()
