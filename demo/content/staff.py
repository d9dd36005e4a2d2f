# ruff: noqa: E501 (long pt-BR demo sentences read better unbroken)
"""The demo's staff and teams, its managers' group and the portal customer's login."""

from dataclasses import dataclass

from tickets.models import AgentProfile, Tier

ATENDIMENTO = "Atendimento"
FINANCEIRO = "Financeiro"
SUPORTE = "Suporte Técnico"
INFRA = "Infraestrutura e Redes"
ESPECIALISTAS = "Especialistas / Fornecedores"

TEAMS = (
    (ATENDIMENTO, Tier.N1, "Primeiro contato: dúvidas, acesso, cadastro e entregas."),
    (FINANCEIRO, Tier.N1, "Boletos, Pix, notas fiscais, cobranças e cancelamentos."),
    (SUPORTE, Tier.N2, "Análise técnica do sistema, integrações, aplicativo e emissão fiscal."),
    (INFRA, Tier.N2, "VPN, rede, impressoras, e-mail corporativo e certificados."),
    (
        ESPECIALISTAS,
        Tier.N3,
        "Especialistas e chamados com fornecedores: bugs, gateway de pagamento, firewall.",
    ),
)


@dataclass(frozen=True)
class StaffSpec:
    username: str
    first_name: str
    last_name: str
    tier: str | None = None  # None: not an agent
    n1_role: str = ""
    teams: tuple[str, ...] = ()
    is_manager: bool = False
    is_staff: bool = False
    is_superuser: bool = False
    languages: str = "pt-br"
    weight: float = 1.0  # how much of the queue this person works
    female: bool = False  # Portuguese agrees with the speaker: "obrigado" / "obrigada"
    leads: tuple[str, ...] = ()  # teams this agent leads (escalations, follow-ups, alerts)


SOLVER = AgentProfile.N1Role.SOLVER
DISPATCHER = AgentProfile.N1Role.DISPATCHER
STAFF = (
    StaffSpec(
        "manager", "Mariana", "Azevedo", Tier.N3, is_manager=True, is_staff=True,
        languages="pt-br,en", weight=0.2, female=True,
    ),
    StaffSpec("n1.solver", "Lucas", "Ferreira", Tier.N1, SOLVER, (ATENDIMENTO, FINANCEIRO), weight=2),
    StaffSpec("n1.dispatcher", "Beatriz", "Carvalho", Tier.N1, DISPATCHER, (ATENDIMENTO, FINANCEIRO), weight=3, female=True, leads=(ATENDIMENTO, FINANCEIRO)),
    StaffSpec("n2.analyst", "Rafael", "Moreira", Tier.N2, teams=(SUPORTE, INFRA), weight=3, leads=(SUPORTE, INFRA)),
    StaffSpec("n3.specialist", "Fernanda", "Lima", Tier.N3, teams=(ESPECIALISTAS,), languages="pt-br,en", weight=2, female=True, leads=(ESPECIALISTAS,)),
    StaffSpec("admin", "Paulo", "Souza", Tier.N3, is_manager=True, is_staff=True, is_superuser=True),
    StaffSpec("juliana.rocha", "Juliana", "Rocha", Tier.N1, SOLVER, (ATENDIMENTO,), languages="pt-br,es", female=True),
    StaffSpec("gabriel.santos", "Gabriel", "Santos", Tier.N1, SOLVER, (ATENDIMENTO,)),
    StaffSpec("camila.araujo", "Camila", "Araújo", Tier.N1, SOLVER, (FINANCEIRO,), female=True),
    StaffSpec("thiago.mendes", "Thiago", "Mendes", Tier.N1, DISPATCHER, (ATENDIMENTO,), weight=0.7),
    StaffSpec("bruno.teixeira", "Bruno", "Teixeira", Tier.N2, teams=(SUPORTE,)),
    StaffSpec("larissa.cardoso", "Larissa", "Cardoso", Tier.N2, teams=(INFRA,), female=True),
    StaffSpec("ricardo.barros", "Ricardo", "Barros", Tier.N3, teams=(ESPECIALISTAS,)),
)  # fmt: skip
MANAGERS_GROUP = "Gestores"
DEMO_CUSTOMER_EMAIL = "cliente@example.com"
DEMO_CUSTOMER = ("Cláudia", "Nogueira", True, "+5511987650001")  # first, last, female, WhatsApp
