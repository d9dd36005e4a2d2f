"""Demo surveys: a CSAT after every solved ticket, an NPS for VIP customers, a CES on WhatsApp,
a relationship NPS; and answers to the demo's solved tickets (about two in three customers
answer, with pt-BR comments), given through surveys.services under a travelled clock, an hour
or a day after the ticket was solved. Idempotent: surveys are matched by name, and a ticket that
already has an invitation is left alone."""

import random
from datetime import timedelta

import time_machine
from django.conf import settings
from django.utils import timezone

from surveys import services as survey_services
from surveys.models import Survey, SurveyInvitation, SurveyKind, SurveyRule
from tickets import events
from tickets.models import AgentNotification, Ticket

SURVEYS = (
    {
        "name": "CSAT pós-atendimento",
        "kind": SurveyKind.CSAT,
        "question_pt_br": "Quão satisfeito você ficou com o nosso atendimento?",
        "question_en": "How satisfied were you with our service?",
        "comment_prompt_pt_br": "Quer nos contar mais? (opcional)",
        "comment_prompt_en": "Anything to add? (optional)",
        "rule": {"delay_minutes": 60},
    },
    {
        "name": "NPS clientes VIP",
        "kind": SurveyKind.NPS,
        "question_pt_br": "De 0 a 10, qual a chance de você recomendar a nossa loja a um amigo?",
        "question_en": "From 0 to 10, how likely are you to recommend our shop to a friend?",
        "comment_prompt_pt_br": "Por quê?",
        "comment_prompt_en": "Why?",
        "follow_up": Survey.FollowUp.NOTE,
        "rule": {"segment": "vip", "delay_minutes": 120},
    },
    {
        "name": "CES WhatsApp",
        "kind": SurveyKind.CES,
        "question_pt_br": "De 1 a 7, quão fácil foi resolver o seu problema com a gente?",
        "question_en": "From 1 to 7, how easy was it to solve your problem with us?",
        "comment_prompt_pt_br": "O que poderia ter sido mais fácil?",
        "comment_prompt_en": "What could have been easier?",
        "rule": {"channel": "whatsapp", "delay_minutes": 30},
    },
    {
        "name": "NPS relacional",
        "kind": SurveyKind.NPS,
        "question_pt_br": "De 0 a 10, qual a chance de você nos recomendar?",
        "question_en": "From 0 to 10, how likely are you to recommend us?",
        "comment_prompt_pt_br": "Por quê?",
        "comment_prompt_en": "Why?",
        "is_relationship": True,
    },
)

WEIGHTS = {
    SurveyKind.CSAT: {5: 45, 4: 30, 3: 12, 2: 8, 1: 5},
    SurveyKind.NPS: {10: 30, 9: 25, 8: 15, 7: 10, 6: 6, 5: 4, 4: 3, 3: 3, 2: 2, 1: 1, 0: 1},
    SurveyKind.CES: {7: 35, 6: 30, 5: 15, 4: 8, 3: 5, 2: 4, 1: 3},
}
COMMENTS = {
    "good": (
        "Atendimento rápido e muito educado, resolveram na hora.",
        "A atendente foi super atenciosa, explicou tudo direitinho.",
        "Resolveram meu problema no mesmo dia. Nota 10!",
        "Gostei muito de poder falar pelo WhatsApp.",
        "Fui muito bem atendido, obrigado!",
        "",
        "",
    ),
    "fair": (
        "Resolveu, mas demorou um pouco para responderem.",
        "Precisei explicar o problema duas vezes.",
        "Ok, mas o boleto poderia chegar mais rápido.",
        "",
    ),
    "bad": (
        "Demoraram três dias para responder e o problema voltou.",
        "Fui transferido várias vezes e ninguém resolveu.",
        "A entrega continua atrasada, ninguém me dá uma previsão.",
        "Cobraram duas vezes e até agora não estornaram.",
    ),
}
ANSWER_SHARE = 0.65


def _mood(kind: str, score: int) -> str:
    good, bad = {"nps": (9, 6), "csat": (4, 2), "ces": (6, 2)}[kind]
    return "good" if score >= good else "bad" if score <= bad else "fair"


def seed_survey_definitions() -> dict[str, Survey]:
    surveys = {}
    for spec in SURVEYS:
        fields = {k: v for k, v in spec.items() if k not in ("name", "rule")}
        survey, created = Survey.objects.get_or_create(name=spec["name"], defaults=fields)
        if created and "rule" in spec:
            SurveyRule.objects.create(survey=survey, **spec["rule"])
        surveys[spec["name"]] = survey
    return surveys


def _survey_for(ticket: Ticket, surveys: dict[str, Survey]) -> Survey:
    if ticket.customer.segment == "vip":
        return surveys["NPS clientes VIP"]
    if ticket.channel == "whatsapp":
        return surveys["CES WhatsApp"]
    return surveys["CSAT pós-atendimento"]


def seed_survey_answers(*, seed: int) -> int:
    """Invitations and answers for the solved and closed demo tickets that have none. Returns
    how many answers were given."""
    surveys = seed_survey_definitions()
    rng = random.Random(f"{seed}-surveys")
    tickets = (
        Ticket.objects.filter(status__in=("solved", "closed"), merged_into=None)
        .exclude(solved_at=None)
        .filter(survey_invitations=None)
        .select_related("customer")
        .order_by("number")
    )
    answered = 0
    link_days = timedelta(days=settings.JORNADA["SURVEY_LINK_DAYS"])
    now = timezone.now()
    with events.suppressed():
        for ticket in tickets:
            survey = _survey_for(ticket, surveys)
            sent_at = ticket.solved_at + timedelta(hours=1)
            if sent_at > now:
                continue
            invitation = SurveyInvitation.objects.create(
                survey=survey,
                ticket=ticket,
                customer=ticket.customer,
                identity=ticket.customer.identities.order_by("pk").first(),
                channel=ticket.channel if ticket.channel in ("email", "whatsapp") else "email",
                status=SurveyInvitation.Status.SENT,
                scheduled_at=sent_at,
                sent_at=sent_at,
                expires_at=sent_at + link_days,
                created_at=sent_at,
            )
            if rng.random() > ANSWER_SHARE:
                continue
            weights = WEIGHTS[SurveyKind(survey.kind)]
            score = rng.choices(list(weights), weights=list(weights.values()))[0]
            comment = rng.choice(COMMENTS[_mood(survey.kind, score)])
            when = min(sent_at + timedelta(minutes=rng.randint(5, 60 * 30)), now)
            if when >= invitation.expires_at:
                continue
            with time_machine.travel(when, tick=False):
                survey_services.survey_answer(invitation=invitation, score=score, comment=comment)
            answered += 1
    AgentNotification.objects.filter(
        kind=AgentNotification.Kind.SURVEY_FOLLOW_UP,
        created_at__lt=now - timedelta(days=1),
        read_at=None,
    ).update(read_at=now)
    return answered
