"""The rules Jornada ships. `rules_seed_defaults()` creates them (by name: run twice, nothing
changes) and, with `activate`, turns them on; seed_demo activates them all. A fresh install
gets "close solved tickets after N days" active from a migration, as the hard-coded task it
replaces did."""

from django.conf import settings
from django.db import transaction

from tickets.models import CannedResponse, Team, Tier
from tickets.registries import routing_inputs_changed

from .models import Rule, TeamRouting, TimeRule

ACK_TITLE = "Confirmação de recebimento"
ACK_BODY = (
    "Olá, {customer_first_name}! Recebemos sua mensagem e abrimos o chamado "
    "#{ticket_number}. Um atendente vai responder em breve."
)
REMIND_TITLE = "Lembrete: aguardando sua resposta"
REMIND_BODY = (
    "Olá, {customer_first_name}! O chamado #{ticket_number} está aguardando sua resposta. "
    "Se já estiver resolvido, não precisa fazer nada: ele será encerrado em alguns dias."
)
WHATSAPP_TEAM = "WhatsApp N1"
FINANCE_TEAM = "Financeiro"
CLOSE_RULE = "Fechar chamados resolvidos após 4 dias"

TRIGGERS = [
    {
        "name": "Confirmação automática (WhatsApp e SMS)",
        "position": 10,
        "events": ["created"],
        "conditions": [{"field": "channel", "value": ["whatsapp", "sms"]}],
        "actions": [{"type": "reply", "canned": ACK_TITLE}],
    },
    {
        "name": "WhatsApp para a equipe WhatsApp N1",
        "position": 20,
        "events": ["created"],
        "conditions": [{"field": "channel", "value": ["whatsapp"]}],
        "actions": [{"type": "set_team", "team": WHATSAPP_TEAM}, {"type": "assign", "to": "auto"}],
    },
    {
        "name": "Urgente VIP",
        "position": 30,
        "events": ["created", "updated"],
        "conditions": [
            {"field": "priority", "value": ["urgent"]},
            {"field": "segment", "value": ["vip"]},
            {"field": "tier", "value": ["N1"]},
        ],
        "actions": [{"type": "escalate", "tier": "N2", "reason": "VIP urgente"}],
        "stop": True,
    },
    {
        "name": "Fiscal para o Financeiro",
        "position": 40,
        "events": ["created", "updated"],
        "conditions": [{"field": "tag", "value": ["fiscal"]}, {"field": "tier", "value": ["N1"]}],
        "actions": [{"type": "set_team", "team": FINANCE_TEAM}, {"type": "assign", "to": "auto"}],
    },
]

TIME_RULES = [
    {
        "name": "Lembrar o cliente após 3 dias úteis pendente",
        "position": 10,
        "condition": TimeRule.Condition.PENDING,
        "after": 3,
        "unit": TimeRule.Unit.BUSINESS_DAYS,
        "actions": [{"type": "reply", "canned": REMIND_TITLE}],
    },
    {
        "name": "Resolver após 7 dias úteis pendente",
        "position": 20,
        "condition": TimeRule.Condition.PENDING,
        "after": 7,
        "unit": TimeRule.Unit.BUSINESS_DAYS,
        "actions": [{"type": "set_status", "status": "solved"}],
    },
    {
        "name": CLOSE_RULE,
        "position": 30,
        "condition": TimeRule.Condition.SOLVED,
        "after": 4,
        "unit": TimeRule.Unit.DAYS,
        "actions": [{"type": "set_status", "status": "closed"}],
    },
    {
        "name": "Avisar o despachante: sem responsável há 30 min",
        "position": 40,
        "condition": TimeRule.Condition.UNASSIGNED,
        "after": 30,
        "unit": TimeRule.Unit.MINUTES,
        "actions": [{"type": "notify", "to": "dispatchers"}],
    },
]


@transaction.atomic
def rules_seed_defaults(*, activate: bool = True) -> None:
    for title, body in ((ACK_TITLE, ACK_BODY), (REMIND_TITLE, REMIND_BODY)):
        if not CannedResponse.objects.filter(title=title, owner=None).exists():
            CannedResponse.objects.create(title=title, body=body)
    for name, tier in ((WHATSAPP_TEAM, Tier.N1), (FINANCE_TEAM, Tier.N1)):
        team, _ = Team.objects.get_or_create(name=name, defaults={"tier": tier})
        TeamRouting.objects.get_or_create(
            team=team, defaults={"policy": TeamRouting.Policy.LEAST_LOADED}
        )
    for spec in TRIGGERS:
        spec = dict(spec)
        spec["is_active"] = activate
        rule, _created = Rule.objects.get_or_create(name=spec.pop("name"), defaults=spec)
        if activate and not rule.is_active:
            Rule.objects.filter(pk=rule.pk).update(is_active=True)
    for spec in TIME_RULES:
        spec = dict(spec)
        if spec["name"] == CLOSE_RULE:
            spec["after"] = settings.JORNADA["CLOSE_SOLVED_AFTER_DAYS"]
        spec["is_active"] = activate or spec["name"] == CLOSE_RULE
        rule, _created = TimeRule.objects.get_or_create(name=spec.pop("name"), defaults=spec)
        if activate and not rule.is_active:
            TimeRule.objects.filter(pk=rule.pk).update(is_active=True)
    routing_inputs_changed()
