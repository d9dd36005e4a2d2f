import pytest

from surveys.models import Survey, SurveyKind, SurveyRule, is_bad_score
from tests.tickets.factories import TeamFactory, make_ticket


@pytest.mark.parametrize(
    ("kind", "bad", "fine"),
    [
        (SurveyKind.NPS, [0, 6], [7, 10]),
        (SurveyKind.CSAT, [1, 2], [3, 5]),
        (SurveyKind.CES, [1, 2], [3, 7]),
    ],
)
def test_bad_scores_are_detractors_low_csat_and_hard_ces(kind, bad, fine):
    assert all(is_bad_score(kind, score) for score in bad)
    assert not any(is_bad_score(kind, score) for score in fine)


def test_a_survey_words_its_question_in_the_customers_language():
    survey = Survey(
        kind=SurveyKind.NPS, question_en="Recommend us?", question_pt_br="Recomendaria?"
    )
    assert survey.wording("pt-br")[0] == "Recomendaria?"
    assert survey.wording("en")[0] == "Recommend us?"
    assert list(survey.scale) == list(range(11))


@pytest.mark.django_db
def test_a_rule_matches_on_team_channel_and_segment(customer):
    team = TeamFactory(name="Atendimento")
    ticket = make_ticket(customer=customer, team=team)
    survey = Survey.objects.create(name="CSAT", kind=SurveyKind.CSAT)
    assert SurveyRule(survey=survey).matches(ticket)
    assert SurveyRule(survey=survey, team=team, channel=ticket.channel).matches(ticket)
    assert not SurveyRule(survey=survey, segment="vip").matches(ticket)
    assert not SurveyRule(survey=survey, team=TeamFactory(name="Outra")).matches(ticket)
