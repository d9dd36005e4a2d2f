"""Demo content of the agent workspace: shared and personal canned responses (some of them
macros) and saved inbox views. Idempotent: existing rows, matched by title or name, are kept."""

from django.contrib.auth import get_user_model

from tickets.models import CannedResponse, Customer, SavedView, Ticket

S = Ticket.Status

SHARED_RESPONSES = (
    {
        "title": "Segunda via do boleto",
        "body": (
            "Olá, {customer_first_name}!\n\nReenviamos a segunda via do boleto para o seu e-mail. "
            "Ela também está disponível no portal, em Financeiro > Boletos.\n\n"
            "Qualquer dúvida, é só responder esta mensagem (chamado #{ticket_number}).\n\n"
            "Abraço,\n{agent_first_name}"
        ),
        "language": "pt-br",
        "add_tags": "boleto",
        "set_status": S.PENDING,
    },
    {
        "title": "Pedimos mais detalhes",
        "body": (
            "Olá, {customer_first_name}! Para seguirmos com o chamado #{ticket_number}, pode nos "
            "enviar um print da tela com a mensagem de erro e o horário aproximado em que "
            "aconteceu?\n\nObrigado,\n{agent_name}"
        ),
        "language": "pt-br",
        "set_status": S.PENDING,
    },
    {
        "title": "Problema resolvido",
        "body": (
            "Olá, {customer_first_name}! Confirmamos que o problema do chamado #{ticket_number} "
            "foi resolvido. Se algo ainda não estiver certo, é só responder: o chamado reabre "
            "automaticamente.\n\n{agent_first_name}"
        ),
        "language": "pt-br",
        "set_status": S.SOLVED,
    },
    {
        "title": "Atendimento VIP: retorno prioritário",
        "body": (
            "Olá, {customer_first_name}! Seu chamado #{ticket_number} está com prioridade máxima "
            "na nossa equipe. Eu, {agent_name}, acompanho pessoalmente e retorno ainda hoje."
        ),
        "segment": Customer.Segment.VIP,
        "set_priority": Ticket.Priority.HIGH,
        "assign_to_me": True,
    },
    {
        "title": "We are looking into it",
        "body": (
            "Hi {customer_first_name}, thanks for writing in. We are looking into ticket "
            "#{ticket_number} and will get back to you shortly.\n\nBest,\n{agent_first_name}"
        ),
        "language": "en",
    },
)

PERSONAL_RESPONSES = {
    "n1.solver": (
        {
            "title": "Acesso: redefinir senha",
            "body": (
                "Oi, {customer_first_name}! Acabei de enviar um link para redefinir a sua senha. "
                "Ele vale por 30 minutos. Me avise se não chegar.\n\n{agent_first_name}"
            ),
            "language": "pt-br",
        },
    ),
}

SAVED_VIEWS = {
    "n1.solver": (
        ("Urgentes do meu time", "view=team&priority=urgent&sort=priority"),
        ("WhatsApp sem dono", "view=unassigned&channel=whatsapp"),
    ),
    "manager": (("Escalados para N2", "view=open&tier=N2&sort=sla"),),
}


def seed_workspace() -> int:
    """Create what is missing; returns how many rows were created."""
    users = {
        u.username: u
        for u in get_user_model().objects.filter(username__in=["n1.solver", "manager"])
    }
    created = 0
    for spec in SHARED_RESPONSES:
        _, new = CannedResponse.objects.get_or_create(
            title=spec["title"], owner=None, defaults=spec
        )
        created += new
    for username, specs in PERSONAL_RESPONSES.items():
        if username not in users:
            continue
        for spec in specs:
            _, new = CannedResponse.objects.get_or_create(
                title=spec["title"], owner=users[username], defaults=spec
            )
            created += new
    for username, views in SAVED_VIEWS.items():
        if username not in users:
            continue
        for position, (name, query) in enumerate(views):
            _, new = SavedView.objects.get_or_create(
                owner=users[username], name=name, defaults={"query": query, "position": position}
            )
            created += new
    return created
