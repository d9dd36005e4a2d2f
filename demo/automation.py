"""The demo's routing and automation: the rules Jornada ships, all active; the WhatsApp N1 team
(created by the defaults) staffed; skills and routing policies for the N1 teams."""

from automation.defaults import FINANCE_TEAM, WHATSAPP_TEAM, rules_seed_defaults
from automation.models import AgentRouting, TeamRouting
from tickets.models import AgentProfile, Team

from .content.staff import ATENDIMENTO

WHATSAPP_AGENTS = ("juliana.rocha", "gabriel.santos", "n1.dispatcher")
WHATSAPP_LEAD = "n1.dispatcher"
SKILLS = {"camila.araujo": "fiscal, boleto, pix", "n1.solver": "fiscal, boleto"}
POLICIES = {
    ATENDIMENTO: TeamRouting.Policy.LEAST_LOADED,
    FINANCE_TEAM: TeamRouting.Policy.LEAST_LOADED,
    WHATSAPP_TEAM: TeamRouting.Policy.ROUND_ROBIN,
}


def seed_automation() -> int:
    """Idempotent; how many routing profiles were created."""
    rules_seed_defaults(activate=True)
    whatsapp = Team.objects.get(name=WHATSAPP_TEAM)
    for profile in AgentProfile.objects.filter(user__username__in=WHATSAPP_AGENTS).select_related(
        "user"
    ):
        profile.teams.add(whatsapp)
        if profile.user.username == WHATSAPP_LEAD:
            whatsapp.leads.add(profile)
    for name, policy in POLICIES.items():
        team = Team.objects.filter(name=name).first()
        if team is not None:
            TeamRouting.objects.update_or_create(team=team, defaults={"policy": policy})
    created = 0
    for profile in AgentProfile.objects.select_related("user"):
        _, new = AgentRouting.objects.get_or_create(
            profile=profile, defaults={"skills": SKILLS.get(profile.user.username, "")}
        )
        created += new
    return created
