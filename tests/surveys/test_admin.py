"""The surveys' admin: wording and rules edited there; invitations and responses read-only; a
follow-up's outcome recorded by the manager."""

import pytest
from django.urls import reverse

from surveys.models import Survey, SurveyFollowUp, SurveyResponse
from surveys.tokens import invitation_token

pytestmark = pytest.mark.django_db


def test_a_survey_and_its_rule_are_created_in_the_admin(admin_client, teams):
    response = admin_client.post(
        reverse("admin:surveys_survey_add"),
        {
            "name": "CES pós-atendimento",
            "kind": "ces",
            "question_en": "How easy was it?",
            "question_pt_br": "Quão fácil foi resolver?",
            "comment_prompt_en": "",
            "comment_prompt_pt_br": "O que faltou?",
            "follow_up": "ticket",
            "is_active": "on",
            "rules-TOTAL_FORMS": "1",
            "rules-INITIAL_FORMS": "0",
            "rules-0-team": teams["N1"].pk,
            "rules-0-channel": "whatsapp",
            "rules-0-segment": "",
            "rules-0-delay_minutes": "15",
            "rules-0-is_active": "on",
        },
    )

    assert response.status_code == 302
    survey = Survey.objects.get()
    assert survey.wording("pt-br") == ("Quão fácil foi resolver?", "O que faltou?")
    rule = survey.rules.get()
    assert (rule.team, rule.channel, rule.delay_minutes) == (teams["N1"], "whatsapp", 15)


def test_answers_are_listed_read_only_and_a_follow_up_gets_its_outcome(
    admin_client, csat, sent_invitation
):
    invitation = sent_invitation(csat)
    admin_client.post(
        reverse("survey-answer", args=[invitation_token(invitation.pk)]),
        {"score": "1", "comment": "Péssimo"},
    )
    answer = SurveyResponse.objects.get()
    follow_up = SurveyFollowUp.objects.get()

    for name in ("survey", "surveyinvitation", "surveyresponse", "surveyfollowup"):
        assert admin_client.get(reverse(f"admin:surveys_{name}_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:surveys_surveyresponse_add")).status_code == 403
    page = admin_client.post(
        reverse("admin:surveys_surveyresponse_change", args=[answer.pk]), {"score": "5"}
    )
    assert page.status_code == 403
    response = admin_client.post(
        reverse("admin:surveys_surveyfollowup_change", args=[follow_up.pk]),
        {"status": "done", "outcome": "Liguei para a cliente e estornamos a cobrança."},
    )

    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.status == "done"
    assert follow_up.closed_at is not None
    assert (
        "estornamos"
        in admin_client.get(reverse("admin:surveys_surveyfollowup_changelist")).content.decode()
    )
    assert SurveyResponse.objects.get().score == 1
