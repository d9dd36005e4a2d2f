# ruff: noqa: E501 (long pt-BR demo sentences read better unbroken)
"""`manage.py seed_demo`: realistic pt-BR demo data for a Brazilian support team.

Staff (a manager, N1 solvers and dispatchers, N2 analysts, N3 specialists), teams, organizations,
customers known on several channels, and about a thousand tickets spread over the last 90 days,
each with a conversation and an audit trail. Every ticket change goes through tickets.services,
run under a travelled clock (time-machine) so that timestamps, first responses, escalations and
automatic closes look like a real quarter of work.

Deterministic (fixed seed) and idempotent: people, teams and organizations are looked up before
they are created, and the tickets are created only once.
"""

import random
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from tqdm import tqdm

from tickets import services
from tickets.inbound import NormalizedMessage
from tickets.models import (
    AgentProfile,
    Channel,
    Customer,
    CustomerIdentity,
    Message,
    Organization,
    Team,
    Ticket,
    TicketEvent,
    Tier,
)

User = get_user_model()
S = Ticket.Status
P = Ticket.Priority
Kind = CustomerIdentity.Kind

DEMO_PASSWORD = "demo1234"  # noqa: S105 (demo accounts, refused outside DEBUG without --force)
DEFAULT_SEED = 2025
# Inbound demo messages carry this in their metadata: it is how a second run knows the tickets
# are already there.
DEMO_MARK = {"seed": "seed_demo"}
LOCAL_TZ = ZoneInfo("America/Sao_Paulo")
WINDOW_DAYS = 90
CONVERSATIONAL = frozenset({Channel.WHATSAPP, Channel.CHAT, Channel.SMS})
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)
TIERS = (Tier.N1, Tier.N2, Tier.N3)

# --------------------------------------------------------------------------------------------
# Staff and teams
# --------------------------------------------------------------------------------------------
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


SOLVER = AgentProfile.N1Role.SOLVER
DISPATCHER = AgentProfile.N1Role.DISPATCHER
STAFF = (
    StaffSpec(
        "manager", "Mariana", "Azevedo", Tier.N3, is_manager=True, is_staff=True,
        languages="pt-br,en", weight=0.2, female=True,
    ),
    StaffSpec("n1.solver", "Lucas", "Ferreira", Tier.N1, SOLVER, (ATENDIMENTO, FINANCEIRO), weight=2),
    StaffSpec("n1.dispatcher", "Beatriz", "Carvalho", Tier.N1, DISPATCHER, (ATENDIMENTO, FINANCEIRO), weight=3, female=True),
    StaffSpec("n2.analyst", "Rafael", "Moreira", Tier.N2, teams=(SUPORTE, INFRA), weight=3),
    StaffSpec("n3.specialist", "Fernanda", "Lima", Tier.N3, teams=(ESPECIALISTAS,), languages="pt-br,en", weight=2, female=True),
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

# --------------------------------------------------------------------------------------------
# Organizations and people. Email domains are reserved names (RFC 2606 / RFC 6761: .example and
# example.com/.net/.org), so that a demo reply can never reach a real mailbox.
# --------------------------------------------------------------------------------------------
ORGANIZATIONS = (
    ("Transportadora Rota Sul Ltda", "rotasul", "Frota de 40 caminhões, matriz em Porto Alegre."),
    ("Farmácia Vida Plena", "vidaplena", "Rede com 12 lojas no interior de SP."),
    ("Construtora Horizonte S.A.", "construtorahorizonte", ""),
    ("Agropecuária Vale Verde", "valeverdeagro", "Usa o módulo fiscal e integração com ERP."),
    ("Colégio Saber Mais", "sabermais", ""),
    ("Clínica Bem-Estar", "clinicabemestar", "Atendimento preferencial pela manhã."),
    ("Supermercado Bom Preço", "bompreco", "Três lojas; operação fiscal sensível (PDV)."),
    ("Exata Contabilidade", "exatacontabil", "Escritório contábil: muitas dúvidas de NF-e."),
    ("Metalúrgica Aço Forte", "acoforte", ""),
    ("Hotel Mar Azul", "hotelmarazul", "Funciona 24 h; prefere contato por WhatsApp."),
    ("Moda Carioca Confecções", "modacarioca", "E-commerce integrado ao ERP."),
    ("Distribuidora Norte Nordeste", "dnordeste", "Filiais em Recife e Fortaleza."),
    ("TechNova Sistemas", "technova", "Parceiro de integração; usa bastante a API."),
    ("Café Serra Alta", "cafeserraalta", ""),
    ("Lima & Associados Advocacia", "limaadvogados", ""),
    ("Ótica Visão Clara", "visaoclara", ""),
    ("Auto Peças Mineira", "autopecasmineira", "Loja física e marketplace."),
    ("Pet Shop Amigo Fiel", "amigofiel", ""),
    ("Gráfica Impressão Rápida", "graficarapida", ""),
    ("Cooperativa Agrícola do Cerrado", "coopcerrado", "Contrato corporativo, 80 usuários."),
    ("Padaria Pão Dourado", "paodourado", ""),
    ("Imobiliária Casa Nova", "casanovaimoveis", ""),
)
PERSONAL_DOMAINS = ("example.com", "example.net", "example.org")
FEMALE_NAMES = (
    "Ana", "Maria", "Juliana", "Fernanda", "Patrícia", "Aline", "Camila", "Amanda", "Bruna",
    "Jéssica", "Letícia", "Larissa", "Vanessa", "Renata", "Cristina", "Adriana", "Simone",
    "Tatiane", "Gabriela", "Beatriz", "Luana", "Débora", "Priscila", "Raquel", "Sandra", "Márcia",
    "Luciana", "Carolina", "Daniela", "Natália", "Isabela", "Thaís", "Vitória", "Elaine",
    "Rosângela", "Francisca", "Antônia", "Helena", "Sofia", "Alice",
)  # fmt: skip
MALE_NAMES = (
    "João", "José", "Antônio", "Francisco", "Carlos", "Paulo", "Pedro", "Lucas", "Luiz", "Marcos",
    "Gabriel", "Rafael", "Daniel", "Marcelo", "Bruno", "Eduardo", "Felipe", "Raimundo", "Rodrigo",
    "Manoel", "Mateus", "André", "Fernando", "Fábio", "Leonardo", "Gustavo", "Guilherme",
    "Leandro", "Tiago", "Anderson", "Ricardo", "Márcio", "Jorge", "Sérgio", "Vinícius", "Diego",
    "Otávio", "Caio", "Renan", "Henrique",
)  # fmt: skip
SURNAMES = (
    "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima",
    "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes", "Soares", "Fernandes",
    "Vieira", "Barbosa", "Rocha", "Dias", "Nascimento", "Andrade", "Moreira", "Nunes", "Marques",
    "Machado", "Mendes", "Freitas", "Cardoso", "Ramos", "Gonçalves", "Santana", "Teixeira",
    "Araújo", "Pinto", "Correia", "Cavalcanti", "Monteiro", "Moura", "Batista", "Campos",
    "Duarte", "Farias", "Xavier", "Siqueira", "Queiroz", "Prado", "Bezerra",
)  # fmt: skip
AREA_CODES = (11, 11, 11, 12, 13, 19, 21, 21, 27, 31, 31, 41, 47, 48, 51, 61, 62, 71, 81, 85, 92)
CITIES = (
    "Campinas", "Santos", "Ribeirão Preto", "Curitiba", "Joinville", "Belo Horizonte", "Uberlândia",
    "Porto Alegre", "Recife", "Fortaleza", "Salvador", "Goiânia", "Manaus", "Vitória",
)  # fmt: skip
ERPS = ("Bling", "Omie", "TOTVS Protheus", "SAP Business One", "Tiny ERP", "Sankhya")
SEGMENT_SHARES = (
    (Customer.Segment.ACTIVE, 0.45),
    (Customer.Segment.NEW, 0.22),
    (Customer.Segment.AT_RISK, 0.12),
    (Customer.Segment.INACTIVE, 0.13),
    (Customer.Segment.VIP, 0.08),
)
# How often customers of each segment open tickets, relative to each other.
SEGMENT_TICKET_WEIGHT = {"vip": 4.0, "active": 2.0, "at_risk": 3.0, "new": 1.6, "inactive": 0.15}
CHANNEL_WEIGHTS = {
    Channel.EMAIL: 0.30,
    Channel.WHATSAPP: 0.32,
    Channel.CHAT: 0.10,
    Channel.WEB: 0.11,
    Channel.PHONE: 0.11,
    Channel.SMS: 0.06,
}
# Customers write at every hour, mostly in office hours (index: local hour).
HOUR_WEIGHTS = (
    0.15, 0.08, 0.05, 0.04, 0.04, 0.08, 0.3, 0.9, 2.2, 3.3, 3.5, 3.1, 2.0, 2.4, 3.1, 3.2, 2.9,
    2.4, 1.6, 1.1, 0.9, 0.7, 0.5, 0.3,
)  # fmt: skip
# Final status by age of the ticket (days since it was opened): (max age, weights) with weights
# in the order new, open, pending, on_hold, solved, closed.
STATUS_ORDER = (S.NEW, S.OPEN, S.PENDING, S.ON_HOLD, S.SOLVED, S.CLOSED)
STATUS_BY_AGE = (
    (1, (0.40, 0.30, 0.10, 0.02, 0.18, 0.0)),
    (3, (0.20, 0.30, 0.20, 0.05, 0.23, 0.02)),
    (7, (0.06, 0.20, 0.15, 0.05, 0.29, 0.25)),
    (20, (0.02, 0.08, 0.05, 0.04, 0.02, 0.79)),
    (10_000, (0.0, 0.015, 0.01, 0.01, 0.0, 0.965)),
)


# --------------------------------------------------------------------------------------------
# What customers write about. Placeholders ({pedido}, {valor}, ...) are filled per ticket.
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scenario:
    """One thing that goes wrong, told consistently from the customer's first message to the
    fix: two things the customer adds when asked, the fix, and two internal notes."""

    subject: str
    opening: str
    details: tuple[str, str]
    solution: str
    notes: tuple[str, str]


@dataclass(frozen=True)
class Topic:
    key: str
    label: str
    team: str  # N1 queue
    n2_team: str
    weight: float
    p_n2: float  # chance the ticket needs N2
    p_n3: float  # chance an N2 ticket needs N3
    priorities: tuple[float, float, float, float]  # low, normal, high, urgent
    tags: tuple[str, ...]
    scenarios: tuple[Scenario, ...]
    asks: tuple[str, ...]  # what an agent asks for, whatever the scenario
    to_n2: tuple[str, ...]  # escalation reasons
    to_n3: tuple[str, ...]


Sc = Scenario
TOPICS = (
    Topic(
        key="boleto", label="boleto", team=FINANCEIRO, n2_team=SUPORTE, weight=1.3,
        p_n2=0.08, p_n3=0.2, priorities=(0.15, 0.68, 0.15, 0.02), tags=("financeiro", "boleto"),
        scenarios=(
            Sc("2ª via do boleto",
               "Preciso da segunda via do boleto da fatura {fatura}. O arquivo que recebi por e-mail não abre.",
               ("A fatura é a {fatura}, no CNPJ {cnpj}.",
                "Tentei abrir no celular e no computador; aparece \"arquivo corrompido\"."),
               "Emiti a 2ª via da fatura {fatura} e enviei para o seu e-mail. Ela também está no portal, em Financeiro > Faturas.",
               ("PDF do boleto gerado com 0 KB no envio automático de {data}.",
                "Falha no gerador de PDF atingiu 14 boletos do lote; todos reenviados.")),
            Sc("Boleto vencido: preciso de um novo",
               "O boleto da fatura {fatura}, de {valor}, venceu ontem e não consegui pagar a tempo. Vocês podem emitir um novo com a data atualizada?",
               ("Número da fatura: {fatura}. Se puder ser para a semana que vem, melhor.",
                "Consigo pagar até {data2}."),
               "Emiti um novo boleto de {valor} com vencimento em {data2}, sem multa nem juros. O anterior foi cancelado para evitar pagamento em duplicidade.",
               ("Multa isenta conforme política (primeiro atraso do cliente).",
                "Reemissão com data nova exigiu ajuste manual no convênio.")),
            Sc("Código de barras do boleto inválido",
               "Estou tentando pagar o boleto pelo aplicativo do banco, mas aparece \"código de barras inválido\". Já digitei a linha digitável e dá o mesmo erro.",
               ("Estou pagando pelo app do Itaú. A fatura é a {fatura}.",
                "Tentei também pelo internet banking do Bradesco e deu o mesmo erro."),
               "A linha digitável tinha saído com um dígito verificador errado. Geramos o boleto de novo e ele já foi validado no banco; pode pagar pelo portal ou pelo e-mail que enviei.",
               ("Linha digitável com DV errado; reproduzido no validador.",
                "Erro no cálculo do DV após a troca de carteira de cobrança.")),
            Sc("Boleto não registrado no banco",
               "O banco recusa o pagamento do boleto de {valor} dizendo que o título não está registrado. Vence em {data2}.",
               ("O boleto é da fatura {fatura}. O erro aparece como \"título não registrado\".",
                "Hoje de manhã o banco continuava recusando."),
               "O boleto foi registrado novamente no banco e o pagamento já é aceito. Se aparecer qualquer erro, é só responder esta mensagem.",
               ("Conferido no painel do banco: o registro falhou no lote das 6h.",
                "Arquivo de retorno do banco rejeitou o lote inteiro de {data}.")),
        ),
        asks=(
            "Para localizar a cobrança, pode me informar o número da fatura ou o CNPJ/CPF do titular?",
            "Consegue me enviar a mensagem exata que aparece no aplicativo do banco e o nome do banco?",
        ),
        to_n2=(
            "Falha no registro de boletos no lote do banco; precisa de análise no módulo de cobrança.",
            "Boletos saindo com linha digitável inválida; suspeita de erro no cadastro do convênio.",
        ),
        to_n3=("Retorno CNAB do banco com erro de layout; acionar o fornecedor do gateway de cobrança.",),
    ),
    Topic(
        key="nota_fiscal", label="nota fiscal", team=FINANCEIRO, n2_team=SUPORTE, weight=1.2,
        p_n2=0.3, p_n3=0.25, priorities=(0.08, 0.6, 0.27, 0.05), tags=("fiscal", "nota-fiscal"),
        scenarios=(
            Sc("Nota fiscal não recebida",
               "Não recebi a nota fiscal do pedido {pedido}. A contabilidade está cobrando o XML para fechar o mês.",
               ("O pedido é o {pedido}, faturado em {data}.",
                "O e-mail da contabilidade é o mesmo do cadastro."),
               "Reenviamos o XML e o DANFE da NF-e {nf}, do pedido {pedido}, para o e-mail cadastrado. Os arquivos também estão no portal, em Documentos fiscais.",
               ("NF-e {nf} autorizada em {data}; o envio por e-mail falhou (caixa do destinatário cheia).",
                "Envio automático de XML sem fila de reenvio; reprocessado.")),
            Sc("NF-e emitida com CNPJ errado",
               "A NF-e {nf} saiu com o CNPJ errado; o correto é {cnpj}. Precisamos da carta de correção ou do cancelamento e reemissão.",
               ("O CNPJ correto é {cnpj}, da matriz. A nota saiu com o da filial.",
                "A mercadoria ainda não saiu, então pode cancelar."),
               "A NF-e {nf} foi cancelada dentro do prazo e reemitida com o CNPJ correto (NF-e {nf2}). O XML já está no seu e-mail.",
               ("Cliente no Simples Nacional; conferir o CFOP antes de reemitir.",
                "Cadastro do cliente tinha o CNPJ da filial como padrão; corrigido.")),
            Sc("Nota fiscal rejeitada pela SEFAZ",
               "Ao emitir nota no sistema aparece \"Rejeição 539: Duplicidade de NF-e com diferença na chave de acesso\". Não consigo faturar nenhum pedido desde cedo.",
               ("O erro aparece em todas as notas, não só em uma. Já reiniciei o sistema.",
                "Começou depois da atualização de ontem à noite."),
               "Corrigimos a numeração da série de NF-e, que tinha ficado fora de sequência após a atualização. A emissão voltou ao normal; pode tentar novamente.",
               ("Rejeição 539 causada pela numeração fora de sequência após a atualização.",
                "Série 1 pulou da nota {nf} para a {nf2}; pedido de inutilização da faixa enviado à SEFAZ.")),
            Sc("Preciso do XML das notas fiscais",
               "Preciso do XML e do DANFE das notas emitidas em {data} para o CNPJ {cnpj}.",
               ("São todas as notas daquele dia, umas 15.",
                "Pode mandar tudo num arquivo .zip só."),
               "Enviei para o seu e-mail um arquivo .zip com o XML e o DANFE de todas as notas de {data}. No portal, em Documentos fiscais > Exportar, dá para baixar qualquer período.",
               ("Exportação em lote feita pelo painel fiscal.",
                "Exportação do período travava por tempo limite; gerada pelo backoffice.")),
        ),
        asks=(
            "Pode confirmar o número do pedido e o CNPJ que deve constar na nota?",
            "Consegue me enviar a chave de acesso da NF-e ou o número da nota?",
        ),
        to_n2=(
            "Rejeição da SEFAZ recorrente; precisa de análise da configuração fiscal.",
            "Reemissão exige ajuste no cadastro tributário, fora do alcance do N1.",
        ),
        to_n3=("Erro no serviço de emissão confirmado em outros clientes (webservice da SEFAZ); acionar o fornecedor do emissor fiscal.",),
    ),
    Topic(
        key="acesso", label="acesso ao sistema", team=ATENDIMENTO, n2_team=SUPORTE, weight=1.6,
        p_n2=0.1, p_n3=0.1, priorities=(0.05, 0.65, 0.25, 0.05), tags=("acesso", "senha"),
        scenarios=(
            Sc("Não consigo acessar minha conta",
               "Não consigo entrar no sistema desde hoje de manhã. Aparece \"usuário ou senha inválidos\", mas tenho certeza de que a senha está certa.",
               ("Meu usuário é {usuario}. Tentei pelo Chrome e pelo celular.",
                "Já limpei o cache do navegador e continua igual."),
               "A sua senha tinha expirado pela política de 90 dias da empresa. Enviei um link para cadastrar uma nova; ele vale por 30 minutos.",
               ("Senha expirada em {data} pela política da conta.",
                "A política de expiração não avisa o usuário antes; pedido de melhoria registrado.")),
            Sc("Usuário bloqueado",
               "Meu usuário foi bloqueado depois de errar a senha algumas vezes. Preciso acessar com urgência para emitir os pedidos do dia.",
               ("Meu usuário é {usuario}.",
                "Bloqueou de novo agora há pouco, mesmo com a senha nova."),
               "Desbloqueei o seu usuário e enviei um link para cadastrar uma nova senha. Se bloquear de novo, me avise na hora.",
               ("Conta bloqueada por 5 tentativas erradas às {hora}.",
                "Integração antiga do cliente tentando entrar com a senha anterior a cada 5 minutos.")),
            Sc("E-mail de redefinição de senha não chega",
               "Cliquei em \"esqueci minha senha\" e o e-mail de redefinição não chega. Já olhei no spam.",
               ("O e-mail cadastrado é o mesmo que uso para falar com vocês.",
                "Pedi de novo agora às {hora} e nada."),
               "O e-mail de redefinição estava sendo barrado pelo filtro do seu provedor. Liberamos o envio e mandei um novo link agora.",
               ("Log do provedor de envio: mensagens recusadas pelo servidor do destinatário.",
                "Provedor do cliente bloqueando o nosso domínio de envio.")),
            Sc("Erro na verificação em duas etapas",
               "Troquei de celular e agora não consigo passar pela verificação em duas etapas.",
               ("O celular antigo foi formatado; não tenho mais o aplicativo autenticador.",
                "Posso confirmar meus dados por telefone se precisar."),
               "Reiniciei a verificação em duas etapas da sua conta. No próximo acesso, basta ler o QR Code com o aplicativo autenticador do celular novo.",
               ("Identidade confirmada pelo CPF e pela data do último pedido.",
                "Reinício da verificação em duas etapas aprovado pelo administrador da conta.")),
        ),
        asks=(
            "Para sua segurança, pode confirmar o usuário de acesso e o CPF do titular da conta?",
            "Pode me dizer qual mensagem aparece na tela e em qual navegador está tentando?",
        ),
        to_n2=("Bloqueio volta logo após o desbloqueio; suspeita de integração antiga usando a senha anterior.",),
        to_n3=("Falha no provedor de autenticação (SSO) afetando o login deste cliente; abrir chamado com o fornecedor.",),
    ),
    Topic(
        key="pix", label="pagamento via Pix", team=FINANCEIRO, n2_team=SUPORTE, weight=1.3,
        p_n2=0.2, p_n3=0.25, priorities=(0.05, 0.6, 0.3, 0.05), tags=("financeiro", "pix"),
        scenarios=(
            Sc("Paguei via Pix e o pedido continua pendente",
               "Fiz o pagamento via Pix às {hora} no valor de {valor} e até agora o pedido {pedido} aparece como aguardando pagamento.",
               ("O ID da transação é {e2e}.",
                "Segue o comprovante: pago pelo Nubank, {valor}, em {data} às {hora}."),
               "Localizamos o seu Pix (ID {e2e}) e o pagamento foi conciliado. O pedido {pedido} já está liberado.",
               ("Pix recebido no extrato do banco, mas o webhook do PSP não chegou; conciliado manualmente.",
                "Mais 6 Pix do mesmo horário sem baixa automática.")),
            Sc("Pix em duplicidade: pedido de estorno",
               "Paguei o mesmo Pix duas vezes por engano ({valor} cada). Como faço para receber o estorno de um deles?",
               ("Os dois pagamentos foram feitos em {data}, com um minuto de diferença. ID de um deles: {e2e}.",
                "A conta de origem é a mesma nos dois pagamentos."),
               "Confirmamos o pagamento em duplicidade e devolvemos {valor} pelo Pix; o valor cai na mesma conta de origem em até 2 dias úteis.",
               ("Estorno aprovado pela coordenação financeira.",
                "Devolução Pix registrada no PSP com o mesmo identificador de origem.")),
            Sc("QR Code do Pix expirado",
               "O QR Code do Pix expirou antes de eu conseguir pagar. Tem como gerar outro para o pedido {pedido}?",
               ("O pedido é o {pedido}, de {valor}.",
                "Prefiro pagar hoje ainda, se possível."),
               "Gerei um novo QR Code para o pedido {pedido}, válido por 24 horas. Ele já está disponível no portal e no seu e-mail.",
               ("QR Code dinâmico com validade de 30 minutos; cliente pediu um de 24 horas.",
                "Pedido {pedido} reaberto para pagamento.")),
        ),
        asks=(
            "Pode me enviar o comprovante do Pix ou o ID da transação (aquele código que começa com E)?",
            "Consegue confirmar o valor e o horário exato do pagamento?",
        ),
        to_n2=(
            "Pix recebido no banco mas não conciliado automaticamente; precisa de análise na conciliação.",
            "Vários Pix sem baixa automática; suspeita de falha na integração com o PSP.",
        ),
        to_n3=("Webhook do PSP não notifica pagamentos desde {data}; acionar o fornecedor do gateway de pagamentos.",),
    ),
    Topic(
        key="entrega", label="entrega de pedido", team=ATENDIMENTO, n2_team=SUPORTE, weight=1.3,
        p_n2=0.06, p_n3=0.1, priorities=(0.1, 0.65, 0.22, 0.03), tags=("entrega", "logistica"),
        scenarios=(
            Sc("Pedido atrasado",
               "Meu pedido {pedido} tinha previsão de entrega para {data} e até agora nada. O rastreio parou em \"objeto em trânsito\" há 5 dias.",
               ("O número do pedido é {pedido}; a entrega é em {cidade}.",
                "Ninguém passou aqui, o porteiro confirmou."),
               "A transportadora localizou a carga no centro de distribuição de {cidade}; a entrega foi reagendada para {data2}. Vou acompanhar até chegar.",
               ("Ocorrência {protocolo} aberta no portal da transportadora.",
                "Carga retida no centro de distribuição por divergência de peso.")),
            Sc("Produto chegou avariado",
               "Recebi o pedido {pedido} hoje, mas a caixa veio amassada e o produto está quebrado. Quero a troca.",
               ("Tirei fotos da embalagem e do produto; posso mandar por aqui.",
                "Guardei a caixa original."),
               "A troca foi aprovada: a coleta será feita no seu endereço em até 3 dias úteis, e o produto novo sai assim que a transportadora confirmar a coleta.",
               ("Fotos conferidas: avaria no transporte, sem uso pelo cliente.",
                "Segundo caso de avaria com esta transportadora no mês; avisar o time de logística.")),
            Sc("Código de rastreio não atualiza",
               "O código de rastreio do pedido {pedido} não mostra nenhuma atualização desde a postagem.",
               ("O código que recebi é {rastreio}.",
                "Já faz uma semana da postagem."),
               "O pedido {pedido} foi reenviado com um novo código de rastreio e entrega prevista até {data2}. O envio anterior foi cancelado com a transportadora.",
               ("Objeto sem leitura desde a postagem; extravio provável.",
                "Extravio confirmado pela transportadora; reenvio autorizado.")),
            Sc("Entrega no endereço errado",
               "O pedido {pedido} foi entregue no endereço antigo, em {cidade}. Eu tinha atualizado o cadastro antes da compra.",
               ("O endereço certo é o que está no cadastro, o da rua nova.",
                "Liguei para o morador do endereço antigo e ele não recebeu nada."),
               "Corrigimos o endereço do pedido e a transportadora vai fazer uma nova entrega no endereço atual até {data2}, sem custo.",
               ("Pedido gerado com o endereço de entrega padrão antigo.",
                "Cadastro com dois endereços; o antigo estava marcado como padrão.")),
        ),
        asks=(
            "Pode me confirmar o número do pedido e o CEP de entrega?",
            "Consegue nos enviar fotos ou mais detalhes, para abrirmos a ocorrência com a transportadora?",
        ),
        to_n2=("Rastreio não sincroniza com a transportadora para vários pedidos; precisa de análise na integração de frete.",),
        to_n3=("API da transportadora devolvendo erro de autenticação; acionar o fornecedor.",),
    ),
    Topic(
        key="integracao", label="integração / API", team=ATENDIMENTO, n2_team=SUPORTE, weight=1.0,
        p_n2=0.75, p_n3=0.35, priorities=(0.02, 0.4, 0.43, 0.15), tags=("integracao", "api"),
        scenarios=(
            Sc("Integração com o ERP não sincroniza estoque",
               "Desde {data} a integração com o nosso ERP ({erp}) parou de sincronizar o estoque. Os pedidos entram, mas o saldo não atualiza.",
               ("Nos nossos logs aparece timeout depois de 30 segundos.",
                "São uns 300 produtos com saldo errado no site."),
               "Identificamos uma fila travada no conector do {erp}. Reprocessamos as mensagens pendentes e o estoque voltou a sincronizar; acompanhamos por 24 horas e está estável.",
               ("Cliente usa a versão antiga do conector ({erp}); considerar atualização.",
                "Fila do conector com 4.812 mensagens paradas desde {data}.")),
            Sc("Erro 500 na API de pedidos",
               "A chamada POST /api/v1/pedidos está retornando erro 500 em cerca de metade das requisições. Exemplo de request ID: {req}.",
               ("Testamos no Postman com o mesmo payload e o erro se repete. Request ID: {req}.",
                "O erro acontece mais nos horários de pico, entre 10h e 12h."),
               "Corrigimos um problema de tempo limite no endpoint de pedidos; a correção foi publicada às {hora2}. Pode testar novamente?",
               ("Reproduzido em homologação com o payload enviado pelo cliente.",
                "Logs mostram 502 do balanceador entre {hora} e {hora2}.")),
            Sc("Webhook parou de chegar",
               "Os webhooks de pagamento pararam de chegar no nosso endpoint desde ontem às {hora}. Nada mudou do nosso lado.",
               ("O endpoint que recebe os webhooks responde 200 normalmente; testamos com outra origem.",
                "Renovamos o certificado do nosso servidor na semana passada."),
               "Os webhooks estavam sendo descartados porque o certificado do seu servidor não enviava a cadeia intermediária. Ajustamos a validação e reenviamos os eventos das últimas 48 horas.",
               ("Entregas de webhook falhando com erro de TLS desde {data}.",
                "Validação da cadeia TLS ficou mais rígida na última atualização do serviço de webhooks.")),
            Sc("Token da API expirando antes do prazo",
               "O token de acesso da API está expirando depois de poucos minutos, e a documentação diz 24 horas.",
               ("Geramos o token pelo endpoint /oauth/token com client_credentials.",
                "O token expira sempre em 15 minutos, certinho."),
               "O seu aplicativo de API estava com validade de 15 minutos por uma configuração antiga. Ajustamos para 24 horas; os próximos tokens já saem com a validade correta.",
               ("Aplicativo OAuth do cliente criado antes da mudança do padrão de validade.",
                "Outros 3 clientes com o mesmo problema; correção em lote.")),
        ),
        asks=(
            "Pode nos enviar o request ID de uma chamada com erro e o horário aproximado?",
            "Consegue confirmar desde quando o problema acontece e se houve alguma mudança do seu lado?",
        ),
        to_n2=(
            "Erro na API fora do escopo do N1; precisa de análise dos logs.",
            "Integração parada: requer acesso aos logs do conector.",
        ),
        to_n3=(
            "Bug confirmado no conector; precisa de correção pelo time de desenvolvimento.",
            "Falha no serviço de filas do fornecedor de mensageria; abrir chamado com o fornecedor.",
        ),
    ),
    Topic(
        key="vpn", label="VPN / acesso remoto", team=ATENDIMENTO, n2_team=INFRA, weight=0.9,
        p_n2=0.7, p_n3=0.25, priorities=(0.02, 0.45, 0.4, 0.13), tags=("vpn", "rede"),
        scenarios=(
            Sc("VPN não conecta",
               "Desde a atualização do Windows ontem a VPN não conecta mais. Dá \"erro 809\" e fica tentando.",
               ("Estou usando o FortiClient, versão mais recente. A internet de casa está normal.",
                "Testei roteando a internet do celular e deu o mesmo erro."),
               "A atualização do Windows mudou uma configuração de rede que a VPN usa. Aplicamos o ajuste remotamente e a conexão subiu; pode testar aí?",
               ("Erro 809 após atualização do Windows; ajuste de registro aplicado.",
                "Mais usuários com o mesmo erro desde a atualização; publicar artigo na base de conhecimento.")),
            Sc("VPN cai toda hora",
               "A VPN cai a cada 10 ou 15 minutos e preciso reconectar. Estou em home office e isso está atrapalhando muito.",
               ("Cai mesmo com o computador ligado no cabo.",
                "Começou nesta semana."),
               "Ajustamos o MTU do túnel e as quedas pararam nos nossos testes. Pode confirmar aí?",
               ("Fragmentação de pacotes no túnel; MTU reduzido para 1400.",
                "Tempo de detecção de queda configurado curto demais no concentrador.")),
            Sc("Erro de certificado na VPN",
               "Aparece \"certificado inválido ou expirado\" ao conectar na VPN.",
               ("A mensagem aparece logo que clico em conectar.",
                "Meu colega do lado conecta normalmente."),
               "O certificado do seu usuário tinha vencido. Renovamos e enviamos o novo arquivo de configuração: é só importar no cliente de VPN.",
               ("Certificado do usuário venceu em {data}; a renovação automática falhou.",
                "Job de renovação de certificados parado desde a troca do servidor.")),
            Sc("Filial sem acesso à VPN",
               "Nossa filial de {cidade} não consegue fechar o túnel VPN com a matriz desde hoje cedo.",
               ("Na filial, a internet está funcionando; só a VPN não sobe.",
                "A operadora trocou o modem da filial ontem à tarde."),
               "O modem novo da operadora mudou o IP da filial. Atualizamos o túnel no firewall da matriz e a conexão foi restabelecida.",
               ("IP público da filial mudou após a troca do modem.",
                "Perda de pacotes de 12% no link da filial; operadora acionada.")),
        ),
        asks=(
            "Pode me informar o sistema operacional, a versão do cliente de VPN e a mensagem de erro completa?",
            "Consegue testar em outra rede e me dizer se o erro continua?",
        ),
        to_n2=(
            "Problema de conectividade VPN; precisa de análise de rede (Infraestrutura).",
            "Túnel ou certificado de VPN: precisa de acesso ao firewall.",
        ),
        to_n3=("Falha no concentrador VPN após atualização de firmware; abrir chamado com o fornecedor do firewall.",),
    ),
    Topic(
        key="impressora", label="impressora", team=ATENDIMENTO, n2_team=INFRA, weight=0.8,
        p_n2=0.35, p_n3=0.05, priorities=(0.25, 0.6, 0.13, 0.02), tags=("impressora", "hardware"),
        scenarios=(
            Sc("Impressora não imprime",
               "A impressora do financeiro (a HP do 2º andar) não imprime nada; os documentos ficam parados na fila.",
               ("Já desliguei e liguei de novo, e continua igual.",
                "Os outros setores imprimem normalmente."),
               "Limpamos a fila de impressão e reinstalamos o driver remotamente; o teste de impressão saiu normal.",
               ("Spooler do Windows travado; reiniciado por acesso remoto.",
                "Driver corrompido após atualização; reinstalado.")),
            Sc("Impressora de etiquetas com erro",
               "A impressora de etiquetas parou depois que trocamos o rolo. A luz vermelha fica piscando.",
               ("O modelo é uma Zebra ZD220; a etiqueta é a mesma de sempre.",
                "Trocamos o rolo de novo e continua piscando."),
               "Recalibramos o sensor de etiquetas; foi um ajuste de tamanho depois da troca do rolo. No teste já imprimiu normalmente.",
               ("Sensor de etiqueta descalibrado.",
                "Rolo de outro fornecedor, com espaçamento maior entre etiquetas.")),
            Sc("Impressora não aparece na rede",
               "A impressora não aparece mais na rede para os computadores novos.",
               ("Os computadores antigos imprimem normalmente; só os novos não acham a impressora.",
                "O IP que aparece na página de configuração é {ip}."),
               "Reconfiguramos o IP fixo da impressora ({ip}) e ela voltou a aparecer para todos os computadores.",
               ("IP da impressora mudou por DHCP; reservado no roteador.",
                "Computadores novos em outra VLAN; regra de acesso criada.")),
            Sc("Impressora fiscal travando",
               "A impressora fiscal do caixa 2 está travando no meio do cupom.",
               ("Trava mais quando o cupom é grande.",
                "O caixa 1 funciona normalmente."),
               "Atualizamos o firmware e trocamos o cabo USB do caixa 2; fizemos 20 cupons de teste sem travar.",
               ("Cabo USB com mau contato; trocado.",
                "Firmware da impressora fiscal desatualizado.")),
        ),
        asks=(
            "Pode me enviar uma foto do visor da impressora e me dizer o modelo?",
            "Consegue imprimir a página de configuração e me mandar o IP que aparece?",
        ),
        to_n2=(
            "Problema de rede na impressora; precisa de acesso ao roteador do cliente.",
            "Driver não instala por acesso remoto; encaminhando para Infraestrutura.",
        ),
        to_n3=("Defeito de hardware na impressora; acionar a assistência técnica do fabricante.",),
    ),
    Topic(
        key="email", label="e-mail corporativo", team=ATENDIMENTO, n2_team=INFRA, weight=0.8,
        p_n2=0.3, p_n3=0.1, priorities=(0.1, 0.6, 0.25, 0.05), tags=("email", "senha"),
        scenarios=(
            Sc("Não estou recebendo e-mails",
               "Desde ontem não recebo nenhum e-mail externo; os internos chegam normalmente.",
               ("Meu e-mail é {email}.",
                "Testei mandando do meu e-mail pessoal e não chegou."),
               "Havia uma regra de encaminhamento antiga desviando os e-mails externos. Removemos a regra e as mensagens retidas já foram entregues na sua caixa.",
               ("Regra de encaminhamento antiga desviando e-mails externos; removida.",
                "MX do domínio conferido: normal.")),
            Sc("Caixa de e-mail cheia",
               "Aparece o aviso de que a minha caixa de e-mail está cheia e não consigo enviar nada.",
               ("O aviso aparece tanto no Outlook quanto no webmail.",
                "Tenho muitos anexos antigos que preciso guardar."),
               "Aumentamos a cota da sua caixa para 50 GB e arquivamos os e-mails com mais de dois anos; o envio já está liberado.",
               ("Caixa com 49,8 GB de 50 GB.",
                "Arquivamento automático configurado para mensagens com mais de 2 anos.")),
            Sc("E-mails caindo no spam dos clientes",
               "Nossos clientes estão dizendo que os nossos e-mails caem no spam.",
               ("Acontece principalmente com clientes que usam Gmail e Outlook.",
                "Trocamos de provedor de e-mail no mês passado."),
               "O registro SPF do domínio estava desatualizado depois da troca de provedor. Corrigimos o SPF e publicamos o DKIM; a entrega deve se normalizar em algumas horas.",
               ("SPF sem o include do provedor novo; DKIM ausente.",
                "Domínio listado em uma blacklist por 24 horas; pedido de remoção enviado.")),
            Sc("Senha do e-mail expirou",
               "A senha do meu e-mail expirou e o link para trocar não funciona no celular.",
               ("O link abre uma página em branco.",
                "Estou fora do escritório, só com o celular."),
               "Redefinimos a sua senha e enviei uma senha temporária por SMS. No primeiro acesso, o sistema vai pedir para trocar.",
               ("Página de troca de senha incompatível com o navegador do celular.",
                "Senha temporária enviada ao celular cadastrado.")),
        ),
        asks=(
            "Pode me confirmar o endereço afetado e desde quando percebeu o problema?",
            "Consegue me mandar um print da mensagem de erro?",
        ),
        to_n2=("Problema no domínio de e-mail do cliente (SPF/DKIM/MX); precisa de Infraestrutura.",),
        to_n3=("Falha no provedor de e-mail afetando o domínio; abrir chamado com o fornecedor.",),
    ),
    Topic(
        key="sistema", label="lentidão / indisponibilidade", team=ATENDIMENTO, n2_team=SUPORTE,
        weight=0.9, p_n2=0.65, p_n3=0.35, priorities=(0.0, 0.3, 0.45, 0.25),
        tags=("sistema", "lentidao"),
        scenarios=(
            Sc("Sistema muito lento",
               "O sistema está extremamente lento desde as {hora}; cada tela leva mais de um minuto para abrir.",
               ("Está lento em todos os computadores da empresa, não é só um.",
                "Agora piorou: algumas telas nem abrem."),
               "Encontramos uma consulta pesada travando o banco de dados desde a atualização; aplicamos um índice e o tempo de resposta voltou ao normal.",
               ("Pico de CPU no banco entre {hora} e {hora2}, junto com o job de fechamento mensal.",
                "Consulta sem índice na tabela de pedidos após a atualização.")),
            Sc("Sistema fora do ar",
               "Não conseguimos acessar o sistema, aparece \"502 Bad Gateway\". A loja inteira está parada.",
               ("Começou por volta das {hora}. Antes estava normal.",
                "Testamos em outra internet e o erro é o mesmo."),
               "O serviço foi restabelecido às {hora2}. A causa foi a falha de um servidor de aplicação, que já foi substituído. Pedimos desculpas pelo transtorno.",
               ("Incidente afetou outros clientes; página de status atualizada.",
                "Servidor de aplicação sem memória; reiniciado e substituído.")),
            Sc("Erro ao gerar relatório de vendas",
               "O relatório de vendas do mês dá erro quando coloco o período de {data} até hoje.",
               ("O erro só acontece com períodos maiores que 30 dias.",
                "Com períodos curtos funciona."),
               "Corrigimos o erro do relatório de vendas para períodos longos; a correção já está no ar.",
               ("Relatório estourando o tempo limite em períodos maiores que 30 dias.",
                "Relatório passou a ser gerado em segundo plano.")),
            Sc("Tela de pedidos travando",
               "A tela de pedidos trava quando tento filtrar por cliente.",
               ("Trava no Chrome e no Edge.",
                "Acontece com qualquer cliente que eu digito."),
               "Corrigimos o filtro por cliente na tela de pedidos, que carregava todos os registros de uma vez. Pode testar de novo?",
               ("Filtro sem paginação carregando 80 mil pedidos.",
                "Correção publicada no deploy das {hora2}.")),
        ),
        asks=(
            "Pode me dizer se o problema acontece em todas as telas ou em alguma específica, e desde quando?",
            "Consegue me enviar um print do erro e o horário em que aconteceu?",
        ),
        to_n2=(
            "Lentidão generalizada; precisa de análise de performance do banco de dados.",
            "Indisponibilidade do sistema para o cliente inteiro; N2 para análise imediata.",
        ),
        to_n3=(
            "Bug de performance confirmado; precisa de correção pelo desenvolvimento.",
            "Falha no provedor de nuvem afetando o banco; abrir chamado com o fornecedor.",
        ),
    ),
    Topic(
        key="cancelamento", label="cancelamento / reembolso", team=FINANCEIRO, n2_team=SUPORTE,
        weight=0.8, p_n2=0.05, p_n3=0.1, priorities=(0.1, 0.65, 0.22, 0.03),
        tags=("financeiro", "cancelamento"),
        scenarios=(
            Sc("Cancelamento de assinatura",
               "Quero cancelar a assinatura do plano a partir do próximo mês. Como faço?",
               ("O motivo é corte de custos; vamos fechar uma das lojas.",
                "Pode seguir com o cancelamento, por favor."),
               "O cancelamento foi registrado e vale a partir de {data2}. Você continua com acesso até lá e não haverá novas cobranças.",
               ("Cliente em risco de cancelamento; oferecido um mês de desconto.",
                "Oferta de retenção recusada.")),
            Sc("Cobrança indevida no cartão",
               "Apareceu uma cobrança de {valor} no meu cartão que eu não reconheço.",
               ("A cobrança aparece com a descrição JORNADA*ASSINATURA, em {data}.",
                "O titular do cartão sou eu, final 4821."),
               "A cobrança era da renovação anual do plano. Como você não usou o serviço desde a renovação, fizemos o estorno integral de {valor}; ele aparece na próxima fatura.",
               ("Renovação automática anual; cliente não se lembrava.",
                "Estorno aprovado pela coordenação financeira.")),
            Sc("Cobrança em duplicidade",
               "Fui cobrado duas vezes na fatura deste mês ({valor} cada).",
               ("As duas cobranças são de {data}.",
                "O titular do cartão sou eu, final 0397."),
               "Confirmamos a cobrança em duplicidade e o estorno de {valor} foi solicitado à operadora; deve aparecer na próxima fatura.",
               ("Captura duplicada na adquirente.",
                "Estorno solicitado na adquirente; protocolo {protocolo}.")),
            Sc("Pedido de reembolso",
               "Cancelei o pedido {pedido} no mesmo dia da compra e até agora não recebi o reembolso.",
               ("O pedido {pedido} foi cancelado em {data}.",
                "Paguei por Pix."),
               "O reembolso do pedido {pedido} foi processado hoje; o prazo do banco é de até 5 dias úteis.",
               ("Reembolso parado aguardando aprovação manual.",
                "Fila de reembolsos com 12 pedidos pendentes; liberada.")),
        ),
        asks=(
            "Pode me informar os 4 últimos dígitos do cartão e a data da cobrança?",
            "Antes de seguir, pode me contar o motivo? Talvez a gente consiga ajudar de outro jeito.",
        ),
        to_n2=("Cobrança duplicada gerada pelo sistema de assinaturas; precisa de análise técnica.",),
        to_n3=("Falha na adquirente gerando capturas duplicadas; acionar o fornecedor.",),
    ),
    Topic(
        key="cadastro", label="cadastro", team=ATENDIMENTO, n2_team=SUPORTE, weight=0.9,
        p_n2=0.04, p_n3=0.1, priorities=(0.35, 0.6, 0.05, 0.0), tags=("cadastro",),
        scenarios=(
            Sc("Alteração de endereço",
               "Mudamos de endereço e preciso atualizar o cadastro da empresa.",
               ("O novo endereço é em {cidade}; mando o comprovante se precisar.",
                "O CNPJ continua o mesmo: {cnpj}."),
               "Cadastro atualizado. As próximas notas e boletos já sairão com o endereço novo.",
               ("Comprovante de endereço conferido.",
                "Alteração confirmada pelo administrador da conta.")),
            Sc("Trocar e-mail de acesso",
               "Quero trocar o e-mail de acesso da nossa conta; o atual é de uma funcionária que saiu da empresa.",
               ("O novo e-mail é o meu: {email}.",
                "Sou o administrador da conta."),
               "O e-mail de acesso foi trocado; enviei uma confirmação para o endereço antigo e para o novo.",
               ("Pedido confirmado pelo administrador da conta.",
                "E-mail antigo mantido como contato secundário por 30 dias.")),
            Sc("Inclusão de novo usuário",
               "Preciso incluir mais um usuário na nossa conta, para a nova funcionária do financeiro.",
               ("O nome dela é Ana Paula e o e-mail é o do domínio da empresa.",
                "Ela precisa só do módulo financeiro."),
               "O novo usuário foi criado com acesso ao módulo financeiro e o convite foi enviado para o e-mail informado.",
               ("Plano permite até 10 usuários; cliente está com 8.",
                "Perfil financeiro criado sem acesso às configurações.")),
            Sc("Atualizar razão social",
               "A razão social mudou e precisamos atualizar o cadastro e as próximas notas.",
               ("O CNPJ {cnpj} continua o mesmo; posso enviar o contrato social novo.",
                "A mudança vale desde {data}."),
               "Razão social atualizada no cadastro e no módulo fiscal. As próximas notas já sairão com o nome novo.",
               ("Contrato social conferido.",
                "Cadastro fiscal ajustado junto com o cadastro comercial.")),
        ),
        asks=(
            "Para alterar dados da conta, preciso que o pedido venha do e-mail do administrador. Pode confirmar por lá?",
            "Pode me enviar os dados novos completos e o documento que comprova a alteração?",
        ),
        to_n2=("Alteração exige ajuste no cadastro fiscal; encaminhando ao N2.",),
        to_n3=("Cadastro duplicado na base após migração; precisa de correção pelo desenvolvimento.",),
    ),
    Topic(
        key="certificado", label="certificado digital", team=ATENDIMENTO, n2_team=INFRA,
        weight=0.6, p_n2=0.45, p_n3=0.15, priorities=(0.05, 0.5, 0.35, 0.1),
        tags=("certificado-digital", "fiscal"),
        scenarios=(
            Sc("Certificado digital A1 vencido",
               "Nosso certificado A1 venceu em {data} e não conseguimos emitir notas. Já compramos o novo, mas não sei instalar.",
               ("O certificado novo é e-CNPJ A1, emitido pela Certisign.",
                "Estou no computador do financeiro, com Windows 11."),
               "Instalamos o certificado novo remotamente e configuramos no módulo fiscal; a emissão de notas já está funcionando.",
               ("Acesso remoto agendado com o cliente para as {hora}.",
                "Certificado novo válido até {data2} do ano que vem.")),
            Sc("Certificado não é reconhecido no sistema",
               "Instalei o certificado novo, mas o sistema continua dizendo \"certificado não encontrado\".",
               ("Instalei dando dois cliques no arquivo .pfx.",
                "No navegador o certificado aparece."),
               "O certificado estava instalado só para o usuário atual do Windows; reinstalamos para a máquina e o sistema passou a reconhecê-lo.",
               ("Certificado no repositório do usuário, não no da máquina.",
                "Cadeia da certificadora desatualizada no servidor; atualizada.")),
            Sc("Erro ao instalar certificado digital",
               "Ao importar o arquivo .pfx aparece \"senha incorreta\", mas a senha é a que a certificadora mandou.",
               ("A senha tem caracteres especiais.",
                "Tentei três vezes e deu o mesmo erro."),
               "O arquivo .pfx tinha vindo corrompido no download. Baixamos de novo pelo portal da certificadora e a importação funcionou com a mesma senha.",
               ("Arquivo .pfx com tamanho de 0 KB.",
                "Download refeito pelo portal da certificadora.")),
        ),
        asks=(
            "Pode me dizer se o certificado é A1 (arquivo) ou A3 (token/cartão) e qual a certificadora?",
            "Consegue agendar um horário para acessarmos o computador remotamente?",
        ),
        to_n2=("Certificado não reconhecido mesmo após reinstalação; precisa de análise no servidor.",),
        to_n3=("Incompatibilidade do certificado com o emissor fiscal; acionar o fornecedor.",),
    ),
    Topic(
        key="app", label="aplicativo", team=ATENDIMENTO, n2_team=SUPORTE, weight=0.8,
        p_n2=0.5, p_n3=0.3, priorities=(0.1, 0.55, 0.3, 0.05), tags=("app", "mobile"),
        scenarios=(
            Sc("Aplicativo fecha sozinho",
               "O aplicativo fecha sozinho toda vez que tento abrir a tela de pedidos. Uso Android.",
               ("Versão do app: {versao}. Celular Samsung A54.",
                "Já desinstalei e instalei de novo, e não resolveu."),
               "A versão {versao} tinha um erro na tela de pedidos em alguns Androids. Publicamos uma correção; atualize o app pela loja e o problema some.",
               ("Fechamento reproduzido no Android 14 com a versão {versao}.",
                "Correção incluída na versão seguinte, em liberação gradual.")),
            Sc("App não sincroniza pedidos",
               "Os pedidos feitos pelo app não aparecem no sistema web desde {data}.",
               ("Uso iPhone 13 com iOS atualizado.",
                "São uns 20 pedidos que não apareceram."),
               "Reprocessamos a fila de sincronização da sua conta e os pedidos do app já aparecem no sistema web.",
               ("Fila de sincronização parada para 3 contas; reprocessada.",
                "Token de sincronização do app expirado.")),
            Sc("Não recebo notificações no aplicativo",
               "Parei de receber as notificações do aplicativo depois da última atualização.",
               ("As notificações do celular estão ativadas para o app.",
                "Versão do app: {versao}."),
               "As notificações estavam desativadas por uma permissão que a atualização redefiniu. Ativamos de novo pelo painel; pode testar?",
               ("Permissão de notificação redefinida pela atualização {versao}.",
                "Falha no serviço de notificações afetando iOS.")),
        ),
        asks=(
            "Pode me informar o modelo do celular e a versão do aplicativo (em Ajustes > Sobre)?",
            "Consegue me mandar um vídeo curto mostrando o erro?",
        ),
        to_n2=("Problema no app; precisa de análise dos logs do aplicativo.",),
        to_n3=(
            "Bug confirmado no app; a correção precisa entrar na próxima versão.",
            "Falha no serviço de notificações do fornecedor; abrir chamado.",
        ),
    ),
    Topic(
        key="plano", label="plano / comercial", team=ATENDIMENTO, n2_team=SUPORTE, weight=0.6,
        p_n2=0.0, p_n3=0.0, priorities=(0.45, 0.5, 0.05, 0.0), tags=("comercial", "plano"),
        scenarios=(
            Sc("Diferença entre os planos",
               "Qual a diferença entre o plano Essencial e o Profissional? Precisamos da emissão de NF-e.",
               ("Hoje somos 5 usuários no plano Essencial.",
                "Emitimos umas 200 notas por mês."),
               "O plano Profissional inclui emissão de NF-e e até 10 usuários. Deixei uma proposta no portal, em Minha assinatura, com os valores.",
               ("Oportunidade de upgrade repassada ao comercial.",
                "Cliente elegível ao desconto de fidelidade.")),
            Sc("Quero contratar mais usuários",
               "Quero contratar mais 3 usuários. Como fica o valor?",
               ("Pagamos por boleto, todo dia 10.",
                "Precisamos que eles já acessem na segunda-feira."),
               "Incluímos os 3 usuários adicionais; o valor proporcional virá na próxima fatura.",
               ("Aditivo de usuários registrado no contrato.",
                "Cliente no limite do plano.")),
            Sc("Dúvida sobre upgrade de plano",
               "Se eu fizer o upgrade agora, pago proporcional ou o mês inteiro?",
               ("Queria fazer o upgrade ainda esta semana.",
                "Pagamos com cartão de crédito."),
               "O upgrade é cobrado proporcionalmente aos dias restantes do mês. Já deixei a alteração pronta no portal, em Minha assinatura: é só confirmar.",
               ("Simulação do valor proporcional enviada.",
                "Oportunidade repassada ao comercial.")),
        ),
        asks=("Hoje vocês usam quantos usuários e quais módulos são essenciais para a operação?",),
        to_n2=("Dúvida técnica sobre limites do plano; encaminhando.",),
        to_n3=("Condição comercial especial; precisa de aprovação.",),
    ),
)  # fmt: skip

# --------------------------------------------------------------------------------------------
# Words every conversation uses.
# --------------------------------------------------------------------------------------------
FIRST_REPLY_INTROS = (
    "{obrigado} por entrar em contato.",
    "Recebemos sua mensagem e já estou verificando.",
    "Sinto muito pelo transtorno.",
    "{obrigado} pelo contato!",
    "",
)
FORWARD_REPLIES = (
    "Seu caso precisa de uma análise mais detalhada, então encaminhei para a equipe de {equipe}. O retorno vem por aqui mesmo; o protocolo é #{numero}.",
    "Vou transferir seu atendimento para a equipe de {equipe}, que tem acesso às ferramentas necessárias. Protocolo: #{numero}.",
)  # fmt: skip
PICKUP_REPLIES = {
    Tier.N2: (
        "Sou {agente}, da equipe de {equipe}, e assumi o seu chamado. Já estou analisando e volto com novidades em breve.",
        "Aqui é {agente}, da equipe de {equipe}. Recebi o seu caso do primeiro atendimento e já estou investigando.",
    ),
    Tier.N3: (
        "Aqui é {agente}, da equipe de especialistas. Estamos investigando a causa a fundo e mantemos você informado.",
        "Sou {agente}, especialista responsável pelo seu caso a partir de agora. Já estou em contato com o fornecedor.",
    ),
}  # fmt: skip
# Why a ticket waits on hold: (lowest tier index that uses it, reply to the customer, reason of
# the hold, reason when work resumes).
ON_HOLD_CASES = (
    (0, "A correção depende de uma janela de manutenção agendada para {data2}. Vou deixar o chamado em espera até lá e aviso quando concluir.",
     "Aguardando janela de manutenção em {data2}",
     "Janela de manutenção concluída; retomando o atendimento."),
    (0, "Agendamos uma visita técnica; o chamado fica em espera até a visita e eu aviso por aqui quando ela acontecer.",
     "Aguardando visita técnica agendada",
     "Visita técnica realizada; retomando o atendimento."),
    (1, "Abrimos um chamado com o fornecedor (protocolo {protocolo}) e estamos aguardando o retorno. Assim que houver novidade, aviso por aqui.",
     "Aguardando retorno do fornecedor (protocolo {protocolo})",
     "Fornecedor retornou com a correção (protocolo {protocolo})."),
    (2, "A correção já está com o time de desenvolvimento e entra na próxima atualização. Deixo o chamado em espera e aviso quando estiver no ar.",
     "Aguardando liberação da correção pelo desenvolvimento",
     "Correção liberada em produção."),
)  # fmt: skip
REOPEN_MESSAGES = (
    "O problema voltou a acontecer hoje de manhã.",
    "Ainda não funcionou. Fiz exatamente o que vocês orientaram.",
    "Infelizmente continua igual.",
)
SECOND_SOLUTIONS = (
    "Revisamos o caso do início e encontramos uma configuração que tinha ficado para trás. Ajustamos e fizemos um teste completo com sucesso; pode confirmar aí?",
    "Aplicamos uma correção definitiva e acompanhamos por algumas horas: está tudo normal agora.",
)  # fmt: skip
CHASERS = (
    "Alguma novidade sobre o meu chamado?",
    "Bom dia, tem previsão de solução? Estamos com a operação parada.",
    "Oi, conseguiram ver isso?",
)
WORKING_NOTES = (
    "Investigando; aguardando acesso aos logs do período.",
    "Reproduzindo o cenário em homologação.",
    "Consultei o histórico do cliente: primeiro chamado sobre este assunto.",
)
AGENT_CLOSE_REASONS = (
    "Cliente confirmou por telefone que está tudo certo.",
    "Cliente confirmou a solução e pediu o encerramento.",
)
MERGE_NOTES = (
    "Cliente também escreveu pelo {canal_dup} (chamado #{dup}); mesclei aqui para manter um atendimento só.",
)
DUP_MESSAGES = (
    "Mandei {canal_main} mais cedo sobre isso e ainda não tive resposta: {assunto}. Podem verificar?",
    "Oi, é sobre o mesmo problema que mandei {canal_main}: {assunto}. É urgente!",
)
PRIORITY_REASONS = {
    P.LOW: ("Dúvida sem impacto na operação.",),
    P.HIGH: ("Impacta o faturamento do cliente.", "Vários usuários afetados.", "Cliente VIP."),
    P.URGENT: ("Operação do cliente parada.", "Sistema indisponível para a empresa inteira."),
}
MANAGER_NOTES = (
    "Cliente VIP com contrato em renovação: por favor, priorizem e me mantenham informada.",
    "Estou acompanhando este caso. Se precisarem de apoio com o fornecedor, me avisem.",
)
REASSIGN_NOTES = (
    "Redistribuí para {agente}: {anterior} está de férias esta semana.",
    "Redistribuindo a fila para equilibrar a carga do time.",
)
DEESCALATE_REASONS = (
    "Não é defeito do produto: o ajuste é de configuração e o N2 tem o procedimento.",
    "Análise concluída no N3; a execução da correção fica com o N2.",
)
DISPATCH_NOTES = (
    "Triagem: caso de {assunto_label}, atribuído a {agente}.",
    "Triagem feita; cliente {segmento}.",
)
SEGMENT_LABELS = {
    "vip": "VIP",
    "active": "ativo",
    "at_risk": "em risco",
    "inactive": "inativo",
    "new": "novo",
}
CHANNEL_WORDS = {
    Channel.EMAIL: "por e-mail",
    Channel.WEB: "pelo formulário do site",
    Channel.WHATSAPP: "pelo WhatsApp",
    Channel.CHAT: "pelo chat",
    Channel.SMS: "por SMS",
    Channel.PHONE: "por telefone",
}
CHANNEL_NAMES = {
    Channel.EMAIL: "e-mail",
    Channel.WEB: "site",
    Channel.WHATSAPP: "WhatsApp",
    Channel.CHAT: "chat",
    Channel.SMS: "SMS",
    Channel.PHONE: "telefone",
}


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------
def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def brl(value: float) -> str:
    text = f"{value:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return f"R$ {text}"


def make_cnpj(rng: random.Random) -> str:
    digits = [rng.randint(0, 9) for _ in range(8)] + [0, 0, 0, 1]
    for weights in ((5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2), (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)):
        rest = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        digits.append(0 if rest < 2 else 11 - rest)
    d = "".join(map(str, digits))
    return f"{d[:2]}.{d[2:5]}.{d[5:8]}/{d[8:12]}-{d[12:]}"


def weighted(rng: random.Random, items: dict[Any, float]) -> Any:
    keys = list(items)
    return rng.choices(keys, weights=[items[k] for k in keys])[0]


def local(dt: datetime) -> datetime:
    return dt.astimezone(LOCAL_TZ)


def day_greeting(dt: datetime) -> str:
    hour = local(dt).hour
    return "Bom dia" if 5 <= hour < 12 else "Boa tarde" if 12 <= hour < 18 else "Boa noite"


# --------------------------------------------------------------------------------------------
# Planned data
# --------------------------------------------------------------------------------------------
@dataclass
class Person:
    """A demo customer as planned, and the Customer row once it exists."""

    first: str
    last: str
    female: bool
    segment: str
    created_at: datetime
    org: tuple[str, str] | None = None  # (name, domain)
    email: str = ""
    whatsapp: str = ""
    phone: str = ""
    phone_is_mobile: bool = False
    merged_whatsapp: bool = False  # the WhatsApp contact first showed up as another customer
    customer: Customer | None = None
    busy_until: dict[str, datetime] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def weight(self) -> float:
        return SEGMENT_TICKET_WEIGHT[self.segment]

    def sender(self, channel: str) -> tuple[str, str]:
        if channel == Channel.WHATSAPP:
            return Kind.WHATSAPP, self.whatsapp
        if channel == Channel.SMS:
            return Kind.PHONE, self.phone
        return Kind.EMAIL, self.email

    def can_use(self, channel: str, when: datetime) -> bool:
        if channel in (Channel.EMAIL, Channel.WEB, Channel.CHAT):
            ok = bool(self.email)
        elif channel == Channel.WHATSAPP:
            ok = bool(self.whatsapp)
        elif channel == Channel.SMS:
            ok = bool(self.phone) and self.phone_is_mobile
        else:  # a call: any number we know
            ok = bool(self.phone or self.whatsapp)
        if ok and channel in CONVERSATIONAL:
            ok = when > self.busy_until.get(channel, datetime.min.replace(tzinfo=UTC))
        return ok


@dataclass
class TicketSpec:
    index: int
    t0: datetime
    status: str
    topic: Topic
    scenario: Scenario
    path: int  # highest tier reached: 0 N1, 1 N2, 2 N3
    priority: str
    subject: str
    reopen: bool = False
    dup: bool = False
    dispatcher: bool = False
    deescalate: bool = False
    reassign: bool = False
    manager_note: bool = False
    demo_customer: bool = False
    person: Person | None = None
    channel: str = ""
    dup_channel: str = ""


class Seeder:
    """Plans the demo world with one seeded random generator and writes it through services."""

    def __init__(self, *, seed: int, now: datetime, n_customers: int, n_tickets: int):
        self.seed = seed
        self.now = now
        self.n_customers = n_customers
        self.n_tickets = n_tickets
        self.holidays = holidays.country_holidays("BR", subdiv="SP")
        self.users: dict[str, Any] = {}
        self.female_staff: dict[int, bool] = {}
        self.teams: dict[str, Team] = {}
        self.agents: dict[str, list[tuple[Any, float, str]]] = {}  # team -> (user, weight, role)
        self.people: list[Person] = []
        self.demo_person: Person | None = None
        self._external_seq = 0

    # ---- calendar -------------------------------------------------------------------------
    def is_workday(self, day) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def agent_time(self, when: datetime, rng: random.Random) -> datetime:
        """The first moment at or after `when` that an agent is at work (8h-18h, workdays)."""
        t = local(when)
        for _day in range(15):
            if self.is_workday(t.date()) and 8 <= t.hour < 18:
                return t.astimezone(UTC)
            if self.is_workday(t.date()) and t.hour < 8:
                t = t.replace(hour=8, minute=rng.randint(0, 45), second=rng.randint(0, 59))
            else:
                t = (t + timedelta(days=1)).replace(
                    hour=8, minute=rng.randint(0, 45), second=rng.randint(0, 59)
                )
        return t.astimezone(UTC)

    def customer_time(self, when: datetime, rng: random.Random) -> datetime:
        """Customers write at any hour, but most of them sleep at night."""
        t = local(when)
        if t.hour >= 23 or t.hour < 7:
            base = t if t.hour < 7 else t + timedelta(days=1)
            t = base.replace(hour=rng.randint(7, 9), minute=rng.randint(0, 59))
        return t.astimezone(UTC)

    def office_open(self, when: datetime, *, until: int = 18) -> bool:
        t = local(when)
        return self.is_workday(t.date()) and 8 <= t.hour < until

    # ---- ids ------------------------------------------------------------------------------
    def external_id(self, channel: str, rng: random.Random, domain: str) -> str:
        self._external_seq += 1
        token = f"{rng.getrandbits(64):016x}{self._external_seq:05x}"
        if channel == Channel.EMAIL:
            return f"<{token}@mail.{domain or 'example.com'}>"
        if channel == Channel.WHATSAPP:
            return f"wamid.HBgN{token.upper()}"
        if channel == Channel.SMS:
            return f"SM{token}{rng.getrandbits(44):011x}"
        return f"{channel}-{token}"

    # ---- staff --------------------------------------------------------------------------
    def setup_staff(self) -> dict[str, int]:
        created = Counter()
        for name, tier, description in TEAMS:
            team, new = Team.objects.get_or_create(
                name=name, defaults={"tier": tier, "description": description}
            )
            self.teams[name] = team
            created["teams"] += new
        password = None
        for spec in (*STAFF, None):
            if spec is None:  # the portal customer's login
                username, first, last = DEMO_CUSTOMER_EMAIL, *DEMO_CUSTOMER[:2]
                email = DEMO_CUSTOMER_EMAIL
            else:
                username, first, last = spec.username, spec.first_name, spec.last_name
                email = f"{spec.username}@jornada.example"
            user, new = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": email,
                    "is_staff": bool(spec and spec.is_staff),
                    "is_superuser": bool(spec and spec.is_superuser),
                },
            )
            if new:
                # One hash for every demo account: hashing is slow on purpose.
                password = password or make_password(DEMO_PASSWORD)
                user.password = password
                user.save(update_fields=["password"])
                created["users"] += 1
            self.users[username] = user
            self.female_staff[user.pk] = bool(spec and spec.female)
            if spec is None or spec.tier is None:
                continue
            profile, new = AgentProfile.objects.get_or_create(
                user=user,
                defaults={
                    "tier": spec.tier,
                    "n1_role": spec.n1_role,
                    "is_manager": spec.is_manager,
                    "languages": spec.languages,
                },
            )
            if new:
                profile.teams.add(*(self.teams[t] for t in spec.teams))
                created["agents"] += 1
            for team_name in spec.teams:
                role = spec.n1_role or "agent"
                self.agents.setdefault(team_name, []).append((user, spec.weight, role))
        group, _created = Group.objects.get_or_create(name=MANAGERS_GROUP)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="tickets").filter(
                Q(codename__startswith="view_") | Q(codename__startswith="change_")
            )
        )
        self.users["manager"].groups.add(group)
        return dict(created)

    def pick_agent(self, rng: random.Random, team: str, role: str | None = None):
        pool = [(u, w) for u, w, r in self.agents[team] if role is None or r == role]
        return rng.choices([u for u, _ in pool], weights=[w for _, w in pool])[0]

    @property
    def manager(self):
        return self.users["manager"]

    # ---- customers -----------------------------------------------------------------------
    def plan_people(self) -> None:
        rng = random.Random(f"{self.seed}-people")
        orgs = [(name, f"{slug}.example") for name, slug, _notes in ORGANIZATIONS]
        emails, phones = {DEMO_CUSTOMER_EMAIL}, {DEMO_CUSTOMER[3]}
        segments = dict(SEGMENT_SHARES)

        def new_phone(mobile: bool) -> str:
            while True:
                ddd = rng.choice(AREA_CODES)
                if mobile:
                    number = f"+55{ddd}9{rng.randint(6000, 9999)}{rng.randint(0, 9999):04d}"
                else:
                    number = f"+55{ddd}{rng.choice('2345')}{rng.randint(0, 999):03d}{rng.randint(0, 9999):04d}"
                if number not in phones:
                    phones.add(number)
                    return number

        for _index in range(self.n_customers):
            female = rng.random() < 0.52
            first = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
            last = rng.choice(SURNAMES)
            if rng.random() < 0.35:
                last = f"{rng.choice(SURNAMES)} {last}"
            segment = weighted(rng, segments)
            if segment == Customer.Segment.NEW:
                created_at = self.now - timedelta(days=rng.uniform(3, 45))
            else:
                created_at = self.now - timedelta(days=rng.uniform(100, 3 * 365))
            person = Person(first, last, female, segment, created_at)
            profile = rng.random()
            has_email = profile < 0.82
            person.org = rng.choice(orgs) if has_email and rng.random() < 0.6 else None
            if has_email:
                surname = ascii_slug(last.split()[-1])
                given = ascii_slug(first)
                domain = person.org[1] if person.org else rng.choice(PERSONAL_DOMAINS)
                local_part = rng.choice(
                    [f"{given}.{surname}", f"{given[0]}{surname}", f"{given}{surname}"]
                )
                email = f"{local_part}@{domain}"
                while email in emails:
                    email = f"{local_part}{rng.randint(2, 99)}@{domain}"
                emails.add(email)
                person.email = email
            if not has_email or rng.random() < 0.45:
                person.whatsapp = new_phone(mobile=True)
            if rng.random() < 0.2:
                mobile = rng.random() < 0.6
                if mobile and person.whatsapp and rng.random() < 0.7:
                    person.phone = person.whatsapp  # same number, now also known for calls/SMS
                else:
                    person.phone = new_phone(mobile)
                person.phone_is_mobile = mobile
            person.merged_whatsapp = (
                bool(person.email and person.whatsapp)
                and segment != Customer.Segment.NEW
                and rng.random() < 0.12
            )
            self.people.append(person)
        first, last, female, whatsapp = DEMO_CUSTOMER
        self.demo_person = Person(
            first,
            last,
            female,
            Customer.Segment.ACTIVE,
            self.now - timedelta(days=410),
            email=DEMO_CUSTOMER_EMAIL,
            whatsapp=whatsapp,
        )

    def setup_organizations(self) -> int:
        created = 0
        for name, slug, notes in ORGANIZATIONS:
            _org, new = Organization.objects.get_or_create(
                name=name,
                defaults={
                    "domain": f"{slug}.example",
                    "notes": notes,
                    "created_at": self.now - timedelta(days=3 * 365 + len(name)),
                },
            )
            created += new
        return created

    def create_person(self, person: Person, rng: random.Random) -> bool:
        """The customer and identities of one planned person, through the services."""
        dispatcher = self.users["n1.dispatcher"]
        first_kind, first_value = (
            (Kind.EMAIL, person.email) if person.email else (Kind.WHATSAPP, person.whatsapp)
        )
        with time_machine.travel(person.created_at, tick=False) as traveller:
            customer, created = services.customer_get_or_create_for_identity(
                kind=first_kind, value=first_value, name=person.name
            )
            person.customer = customer
            if not created:
                return False
            # The CRM's view of the customer: no service owns it (yet), so it is set here.
            customer.segment = person.segment
            customer.save(update_fields=["segment", "updated_at"])
            if person.whatsapp and first_kind != Kind.WHATSAPP:
                if person.merged_whatsapp:
                    # They wrote from WhatsApp first under a nickname; an agent merged the two.
                    traveller.move_to(person.created_at + timedelta(days=rng.uniform(2, 20)))
                    other, _new = services.customer_get_or_create_for_identity(
                        kind=Kind.WHATSAPP, value=person.whatsapp, name=person.first
                    )
                    traveller.move_to(self.agent_time(timezone.now(), rng))
                    services.customer_merge(source=other, target=customer, by=dispatcher)
                else:
                    services.customer_add_identity(
                        customer=customer,
                        kind=Kind.WHATSAPP,
                        value=person.whatsapp,
                        verified=rng.random() < 0.6,
                    )
            if person.phone:
                services.customer_add_identity(
                    customer=customer,
                    kind=Kind.PHONE,
                    value=person.phone,
                    verified=rng.random() < 0.5,
                )
        return True

    def setup_demo_customer(self) -> None:
        person = self.demo_person
        self.create_person(person, random.Random(f"{self.seed}-demo-customer"))
        customer = person.customer
        if customer.user_id is None:
            # Linking a portal login to a customer has no service yet either.
            customer.user = self.users[DEMO_CUSTOMER_EMAIL]
            customer.save(update_fields=["user", "updated_at"])

    # ---- tickets -------------------------------------------------------------------------
    def sample_t0(self, rng: random.Random) -> datetime:
        today = local(self.now).date()
        days = []
        for back in range(WINDOW_DAYS):
            day = today - timedelta(days=back)
            weight = 1.0 if self.is_workday(day) else 0.3 if day.weekday() == 5 else 0.18
            days.append((day, weight * (1.25 - 0.5 * back / WINDOW_DAYS)))
        while True:
            day = rng.choices([d for d, _ in days], weights=[w for _, w in days])[0]
            hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
            moment = datetime(
                day.year, day.month, day.day, hour, rng.randint(0, 59), rng.randint(0, 59),
                tzinfo=LOCAL_TZ,
            ).astimezone(UTC)  # fmt: skip
            if moment < self.now - timedelta(minutes=20):
                return moment

    def plan_tickets(self) -> list[TicketSpec]:
        rng = random.Random(f"{self.seed}-tickets")
        t0s = sorted(self.sample_t0(rng) for _ in range(self.n_tickets))
        topics = {topic: topic.weight for topic in TOPICS}
        specs = []
        for index, t0 in enumerate(t0s):
            age = (self.now - t0).total_seconds() / 86400
            weights = next(w for limit, w in STATUS_BY_AGE if age < limit)
            status = rng.choices(STATUS_ORDER, weights=weights)[0]
            topic = weighted(rng, topics)
            path = 0
            if rng.random() < topic.p_n2:
                path = 2 if rng.random() < topic.p_n3 else 1
            if topic.p_n2 and status in (S.OPEN, S.PENDING, S.ON_HOLD):
                # What is still unsolved is more often what went up the tiers (a vendor's fix).
                lift = 0.7 if status == S.ON_HOLD else 0.25
                if path == 0 and rng.random() < lift:
                    path = 1
                if path == 1 and rng.random() < lift:
                    path = 2
            priority = rng.choices(list(P), weights=topic.priorities)[0]
            scenario = rng.choice(topic.scenarios)
            spec = TicketSpec(
                index=index,
                t0=t0,
                status=status,
                topic=topic,
                scenario=scenario,
                path=path,
                priority=priority,
                subject=scenario.subject,
                reopen=rng.random() < 0.08,
                dup=rng.random() < 0.04,
                dispatcher=rng.random() < 0.4,
                deescalate=rng.random() < 0.12,
                reassign=rng.random() < 0.04,
                manager_note=rng.random() < 0.05,
            )
            specs.append(spec)
        self._cover_every_status(specs)
        self._cover_every_tier(specs)
        self._give_demo_customer_tickets(specs)
        return specs

    @staticmethod
    def _cover_every_status(specs: list[TicketSpec]) -> None:
        """Small runs still show every status: the newest tickets of plentiful statuses lend
        themselves to the missing ones."""
        counts = Counter(spec.status for spec in specs)
        for status in STATUS_ORDER:
            if counts[status] or len(specs) < len(STATUS_ORDER):
                continue
            for spec in reversed(specs):
                if counts[spec.status] > 1:
                    counts[spec.status] -= 1
                    spec.status = status
                    counts[status] += 1
                    break

    @staticmethod
    def _cover_every_tier(specs: list[TicketSpec]) -> None:
        integration = next(t for t in TOPICS if t.key == "integracao")
        for tier in (2, 1):
            if any(spec.path == tier for spec in specs):
                continue
            for spec in specs:
                if spec.status not in (S.NEW, S.PENDING) and spec.path == 0:
                    spec.path, spec.topic = tier, integration
                    spec.scenario = integration.scenarios[tier]
                    spec.subject = spec.scenario.subject
                    break

    @staticmethod
    def _give_demo_customer_tickets(specs: list[TicketSpec]) -> None:
        """The portal customer gets a handful of recent tickets in different states."""
        for status in (S.OPEN, S.PENDING, S.SOLVED, S.CLOSED, S.CLOSED, S.ON_HOLD):
            for spec in reversed(specs):
                if spec.status == status and not spec.demo_customer:
                    spec.demo_customer = True
                    break

    def choose_channel_and_person(self, spec: TicketSpec, rng: random.Random) -> None:
        weights = dict(CHANNEL_WEIGHTS)
        if not self.office_open(spec.t0, until=17):
            weights.pop(Channel.CHAT)  # the chat widget is offline: people use the web form
        if spec.status == S.NEW or not self.office_open(spec.t0):
            weights.pop(Channel.PHONE)  # calls are answered (and registered) at once
        candidates = [self.demo_person] if spec.demo_customer else self.people
        limit = spec.t0 - timedelta(hours=1)
        while weights:
            channel = weighted(rng, weights)
            weights.pop(channel)
            eligible = [
                p for p in candidates if p.created_at < limit and p.can_use(channel, spec.t0)
            ]
            if eligible:
                spec.channel = channel
                spec.person = rng.choices(eligible, weights=[p.weight for p in eligible])[0]
                break
        else:
            spec.channel = Channel.EMAIL
            spec.person = next(p for p in (*candidates, *self.people) if p.email)
        person = spec.person
        if spec.dup and spec.status != S.NEW and spec.channel != Channel.PHONE:
            later = spec.t0 + timedelta(hours=2)
            if spec.channel in (Channel.EMAIL, Channel.WEB) and person.can_use(
                Channel.WHATSAPP, later
            ):
                spec.dup_channel = Channel.WHATSAPP
            elif spec.channel == Channel.WHATSAPP and person.email:
                spec.dup_channel = Channel.EMAIL

    def demo_tickets_exist(self) -> bool:
        return Message.objects.filter(metadata__seed=DEMO_MARK["seed"]).exists()


class TicketStory:
    """The life of one demo ticket: timed steps planned first, then run under a travelled clock."""

    def __init__(self, seeder: Seeder, spec: TicketSpec, rng: random.Random):
        self.s = seeder
        self.spec = spec
        self.rng = rng
        self.person = spec.person
        self.steps: list[tuple[datetime, Callable[..., None], dict[str, Any]]] = []
        self.t = spec.t0 - timedelta(minutes=1)
        self.ticket: Ticket | None = None
        self.dup_ticket: Ticket | None = None
        self.thread_ids: dict[str, str] = {}
        self.details_told = 0  # how many of the scenario's details the customer gave
        self.notes_written = 0
        self.holder = None  # the agent working the ticket
        self.last_writer = None
        self.solution_step: int | None = None
        self.closed_at: datetime | None = None
        self.merged_at: datetime | None = None
        self.n1_team = spec.topic.team
        self.n2_team = spec.topic.n2_team
        self.vars = self._vars()
        self.priority = spec.priority
        if (
            spec.person.segment == Customer.Segment.VIP
            and self.priority in (P.LOW, P.NORMAL)
            and self.rng.random() < 0.6
        ):
            self.priority = P.HIGH
        if spec.channel == Channel.PHONE:
            self.reply_channel = (
                Channel.EMAIL if self.person.email else
                Channel.WHATSAPP if self.person.whatsapp else Channel.SMS
            )  # fmt: skip
        else:
            self.reply_channel = spec.channel

    # ---- planning -----------------------------------------------------------------------
    def _vars(self) -> dict[str, Any]:
        rng, person = self.rng, self.person
        t0 = local(self.spec.t0)
        nf = rng.randint(10_000, 99_999)
        hour = rng.randint(8, 17)
        return {
            "pedido": f"{rng.randint(100_000, 999_999)}",
            "fatura": f"FAT-{t0.year}-{rng.randint(1000, 99_999):05d}",
            "nf": f"{nf}",
            "nf2": f"{nf + rng.randint(40, 400)}",
            "valor": brl(rng.choice([49.9, 89.9, 149.9, 199.0, 349.9]) * rng.randint(1, 12)),
            "data": (t0 - timedelta(days=rng.randint(1, 6))).strftime("%d/%m"),
            "data2": (t0 + timedelta(days=rng.randint(3, 8))).strftime("%d/%m"),
            "hora": f"{hour}h{rng.randint(0, 59):02d}",
            "hora2": f"{hour + 1}h{rng.randint(0, 59):02d}",
            "e2e": "E" + "".join(rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", k=31)),
            "req": f"{rng.getrandbits(64):016x}",
            "erp": rng.choice(ERPS),
            "cidade": rng.choice(CITIES),
            "ip": f"192.168.{rng.randint(0, 20)}.{rng.randint(20, 250)}",
            "rastreio": f"{rng.choice(['QB', 'OY', 'NL', 'AB'])}{rng.randint(10**8, 10**9 - 1)}BR",
            "protocolo": f"{t0.year}{rng.randint(100_000, 999_999)}",
            "cnpj": make_cnpj(rng),
            "versao": f"{rng.randint(3, 5)}.{rng.randint(0, 12)}.{rng.randint(0, 9)}",
            "usuario": (person.email.split("@")[0] if person.email else ascii_slug(person.first)),
            "email": person.email or f"{ascii_slug(person.first)}@example.com",
            "assunto": self.spec.subject.lower(),
            "assunto_label": self.spec.topic.label,
            "segmento": SEGMENT_LABELS[person.segment],
        }

    def pick(self, options: Iterable[str]) -> str:
        return self.rng.choice(tuple(options))

    def next_note(self) -> str:
        notes = self.spec.scenario.notes
        note = notes[self.notes_written] if self.notes_written < len(notes) else None
        self.notes_written += 1
        return note or self.pick(WORKING_NOTES)

    def at(self, when: datetime, action: Callable[..., None], **kwargs: Any) -> None:
        when = max(when, self.t + timedelta(seconds=30))
        self.steps.append((when, action, kwargs))
        self.t = when

    def minutes(self, low: float, high: float) -> timedelta:
        return timedelta(minutes=self.rng.uniform(low, high))

    def agent_next(self, low: float, high: float) -> datetime:
        if self.spec.channel == Channel.CHAT and high <= 300:
            return self.t + self.minutes(1, 6)
        return self.s.agent_time(self.t + self.minutes(low, high), self.rng)

    def customer_next(self) -> datetime:
        channel = self.spec.channel
        if channel == Channel.CHAT:
            return self.t + self.minutes(1, 5)
        bucket = self.rng.random()
        if channel in (Channel.WHATSAPP, Channel.SMS):
            delay = self.minutes(3, 90) if bucket < 0.6 else self.minutes(90, 24 * 60)
        else:
            delay = self.minutes(30, 240) if bucket < 0.5 else self.minutes(240, 36 * 60)
        return self.s.customer_time(self.t + delay, self.rng)

    def first_response_delay(self) -> tuple[float, float]:
        return {
            P.URGENT: (5, 40),
            P.HIGH: (15, 120),
            P.NORMAL: (30, 300),
            P.LOW: (60, 600),
        }[self.priority]

    def plan(self) -> None:
        spec, rng, s = self.spec, self.rng, self.s
        if spec.channel == Channel.PHONE:
            agent = s.pick_agent(rng, self.n1_team, SOLVER)
            self.at(spec.t0, self.do_phone_call, agent=agent)
            self.at(self.t + self.minutes(1, 4), self.do_note, agent=agent, text=None)
            self.at(self.t + self.minutes(0.5, 2), self.do_claim, agent=agent)
            self.holder = agent
        else:
            self.at(spec.t0, self.do_receive, body=spec.scenario.opening, first=True)
            self.at(self.t + timedelta(seconds=5), self.do_route)
        if spec.dup_channel:
            self.at(s.customer_time(self.t + self.minutes(15, 90), rng), self.do_receive_dup)
        if spec.status == S.NEW:
            if rng.random() < 0.45:
                dispatcher = s.pick_agent(rng, self.n1_team, DISPATCHER)
                self.at(self.agent_next(5, 45), self.do_tag, agent=dispatcher)
                self.at(self.t + self.minutes(0.5, 2), self.do_assign, agent=dispatcher,
                        assignee=s.pick_agent(rng, self.n1_team, SOLVER))  # fmt: skip
            return
        low, high = self.first_response_delay()
        direct_n2 = False
        if spec.channel != Channel.PHONE and spec.dispatcher:
            dispatcher = s.pick_agent(rng, self.n1_team, DISPATCHER)
            self.at(self.agent_next(low / 2, high / 2), self.do_tag, agent=dispatcher)
            self._triage(dispatcher)
            if spec.path >= 1 and rng.random() < 0.5:
                self.at(self.t + self.minutes(1, 4), self.do_reply, agent=dispatcher,
                        text=self.pick(FORWARD_REPLIES), equipe=self.n2_team)  # fmt: skip
                self.at(self.t + self.minutes(0.5, 2), self.do_escalate, agent=dispatcher,
                        to_tier=Tier.N2, reason=self.pick(spec.topic.to_n2))  # fmt: skip
                direct_n2 = True
            else:
                solver = s.pick_agent(rng, self.n1_team, SOLVER)
                self.at(self.t + self.minutes(1, 5), self.do_assign, agent=dispatcher,
                        assignee=solver, note=rng.random() < 0.35)  # fmt: skip
                self.holder = solver
                self.at(self.agent_next(10, 150), self.do_start, agent=solver)
        else:
            if spec.channel != Channel.PHONE:
                solver = s.pick_agent(rng, self.n1_team, SOLVER)
                self.at(self.agent_next(low, high), self.do_claim, agent=solver)
                self.holder = solver
            self.at(self.t + self.minutes(0.5, 2), self.do_tag, agent=self.holder)
            self._triage(self.holder)
        for level in range(1 if direct_n2 else 0, spec.path + 1):
            if level > 0 and not self._pick_up(level):
                return  # left in the N2/N3 queue, nobody has taken it yet
            if level == 2 and spec.deescalate and spec.status != S.PENDING:
                self._send_back_to_n2()
                self._finish(1)
                return
            if level == spec.path:
                self._finish(level)
                return
            self._work_then_escalate(level)

    def _triage(self, agent) -> None:
        spec, priority = self.spec, self.priority
        if priority != P.NORMAL and spec.channel != Channel.PHONE:
            reasons = PRIORITY_REASONS[priority]
            if priority == P.HIGH and spec.person.segment == Customer.Segment.VIP:
                reasons = ("Cliente VIP.",)
            self.at(self.t + self.minutes(0.5, 2), self.do_priority, agent=agent,
                    priority=priority, reason=self.pick(reasons))  # fmt: skip
        if spec.dup_channel:
            self.at(self.t + self.minutes(1, 3), self.do_merge, agent=agent)
        if spec.manager_note:
            self.at(self.t + self.minutes(5, 90), self.do_note, agent=self.s.manager,
                    text=self.pick(MANAGER_NOTES))  # fmt: skip

    def _ask_round(self, *, answer: bool = True) -> None:
        self.at(self.agent_next(3, 60), self.do_reply, agent=self.holder,
                text=self.pick(self.spec.topic.asks), then_status=S.PENDING)  # fmt: skip
        if answer:
            details = self.spec.scenario.details
            body = details[min(self.details_told, len(details) - 1)]
            self.details_told += 1
            self.at(self.customer_next(), self.do_customer, agent=self.holder, body=body)

    def _pick_up(self, level: int) -> bool:
        spec, rng = self.spec, self.rng
        tier = TIERS[level]
        team = self.n2_team if level == 1 else ESPECIALISTAS
        if spec.status == S.OPEN and level == spec.path and rng.random() < 0.35:
            return False
        agent = self.s.pick_agent(rng, team)
        wait = (15, 8 * 60) if level == 1 else (60, 2 * 24 * 60)
        self.at(self.agent_next(*wait), self.do_claim, agent=agent)
        self.holder = agent
        if spec.reassign and level == spec.path:
            others = [u for u, _w, _r in self.s.agents[team] if u != agent]
            if others:
                other = rng.choice(others)
                self.at(self.t + self.minutes(30, 240), self.do_reassign, assignee=other,
                        previous=agent)  # fmt: skip
                self.holder = other
        self.at(self.t + self.minutes(5, 60), self.do_reply, agent=self.holder,
                text=self.pick(PICKUP_REPLIES[tier]), equipe=team)  # fmt: skip
        return True

    def _work_then_escalate(self, level: int) -> None:
        spec, rng = self.spec, self.rng
        if rng.random() < 0.4:
            self._ask_round()
        self.at(self.agent_next(10, 120), self.do_note, agent=self.holder, text=self.next_note())
        to_tier = TIERS[level + 1]
        reasons = spec.topic.to_n2 if level == 0 else spec.topic.to_n3
        next_team = self.n2_team if level == 0 else ESPECIALISTAS
        if level == 0 or rng.random() < 0.5:
            self.at(self.t + self.minutes(1, 5), self.do_reply, agent=self.holder,
                    text=self.pick(FORWARD_REPLIES), equipe=next_team)  # fmt: skip
        self.at(self.t + self.minutes(0.5, 3), self.do_escalate, agent=self.holder,
                to_tier=to_tier, reason=self.pick(reasons))  # fmt: skip

    def _send_back_to_n2(self) -> None:
        specialist = self.holder
        self.at(self.agent_next(30, 300), self.do_note, agent=specialist, text=self.next_note())
        self.at(self.t + self.minutes(1, 10), self.do_deescalate, agent=specialist,
                reason=self.pick(DEESCALATE_REASONS))  # fmt: skip
        analyst = self.s.pick_agent(self.rng, self.n2_team)
        self.at(self.t + self.minutes(1, 5), self.do_assign, agent=specialist, assignee=analyst)
        self.holder = analyst

    def _finish(self, level: int) -> None:
        spec, rng = self.spec, self.rng
        status = spec.status
        if status == S.PENDING:
            self._ask_round(answer=False)
            return
        if status == S.OPEN:
            choice = rng.random()
            if choice < 0.55:
                self._ask_round()
            elif choice < 0.8 and spec.channel != Channel.PHONE:
                self.at(self.customer_next(), self.do_customer, agent=self.holder,
                        body=self.pick(CHASERS))  # fmt: skip
            else:
                self.at(self.agent_next(10, 120), self.do_note, agent=self.holder,
                        text=self.pick(WORKING_NOTES))  # fmt: skip
            return
        if rng.random() < (0.5 if level == 0 else 0.35):
            self._ask_round()
        if status == S.ON_HOLD or (level == 2 and rng.random() < 0.5):
            cases = [case for case in ON_HOLD_CASES if case[0] <= level]
            _level, reply, hold_reason, resume_reason = rng.choice(cases)
            self.at(self.agent_next(20, 240), self.do_reply, agent=self.holder, text=reply)
            self.at(self.t + self.minutes(0.5, 2), self.do_status, agent=self.holder,
                    to_status=S.ON_HOLD, reason=hold_reason)  # fmt: skip
            if status == S.ON_HOLD:
                return
            self.at(self.agent_next(24 * 60, 6 * 24 * 60), self.do_status, agent=self.holder,
                    to_status=S.OPEN, reason=resume_reason)  # fmt: skip
        self.solution_step = len(self.steps)
        self.at(self.agent_next(20, 8 * 60 if level else 120), self.do_reply, agent=self.holder,
                text=spec.scenario.solution, then_status=S.SOLVED)  # fmt: skip
        if spec.reopen:
            self.at(self.customer_next(), self.do_customer, agent=self.holder,
                    body=self.pick(REOPEN_MESSAGES))  # fmt: skip
            self.at(self.agent_next(30, 6 * 60), self.do_reply, agent=self.holder,
                    text=self.pick(SECOND_SOLUTIONS), then_status=S.SOLVED)  # fmt: skip
            self.at(self.t + self.minutes(0.5, 2), self.do_tag, agent=self.holder,
                    tags=("reaberto",))  # fmt: skip

    def fit(self) -> None:
        """Make the story end before now: a new ticket keeps only what already happened; a
        solved one was solved recently (older ones are closed by the hourly task); the rest is
        squeezed in. Closed tickets then get their close."""
        limit = self.s.now - timedelta(minutes=2)
        if self.spec.status == S.NEW:
            self.steps = [step for step in self.steps if step[0] <= limit] or self.steps[:1]
        close_days = settings.JORNADA["CLOSE_SOLVED_AFTER_DAYS"]
        anchor = 0
        if self.spec.status == S.SOLVED and self.solution_step is not None:
            oldest_allowed = self.s.now - timedelta(days=close_days, hours=-6)
            if self.steps[-1][0] < oldest_allowed:
                anchor = self.solution_step
                target = self.s.now - timedelta(hours=self.rng.uniform(2, (close_days - 1) * 24))
                shift = target - self.steps[anchor][0]
                self.steps[anchor:] = [(when + shift, a, kw) for when, a, kw in self.steps[anchor:]]
        last, start = self.steps[-1][0], self.steps[anchor][0]
        if last > limit:
            end = limit - (limit - start) * self.rng.uniform(0, 0.3)
            factor = (end - start) / (last - start)
            self.steps[anchor:] = [
                (start + (when - start) * factor, a, kw) for when, a, kw in self.steps[anchor:]
            ]
        self.t = self.steps[-1][0]
        if self.spec.status == S.CLOSED:
            automatic = self.t + timedelta(days=close_days, minutes=self.rng.uniform(5, 59))
            if automatic < limit:
                self.at(automatic, self.do_auto_close)
            else:
                when = min(self.agent_next(10, 20 * 60), limit)
                self.at(when, self.do_status, agent=self.holder, to_status=S.CLOSED,
                        reason=self.pick(AGENT_CLOSE_REASONS))  # fmt: skip
            self.closed_at = self.t

    def busy_until(self) -> datetime:
        return self.closed_at or FAR_FUTURE

    # ---- running -----------------------------------------------------------------------
    def run(self) -> None:
        with time_machine.travel(self.steps[0][0], tick=False) as traveller:
            for when, action, kwargs in self.steps:
                traveller.move_to(when)
                action(**kwargs)

    def text(self, template: str, **extra: Any) -> str:
        values = dict(self.vars)
        values["numero"] = self.ticket.number if self.ticket else ""
        values["agente"] = ""
        values.update(extra)
        return template.format_map(values)

    def customer_text(self, body: str, *, first: bool, channel: str) -> str:
        rng, person = self.rng, self.person
        body = self.text(body)
        now = timezone.now()
        if channel in (Channel.EMAIL, Channel.WEB):
            if first:
                greeting = rng.choice([f"{day_greeting(now)},", "Olá,", "Prezados,"])
                thanks = "Obrigada" if person.female else "Obrigado"
                closing = rng.choice([f"{thanks}.", "Aguardo retorno.", "Atenciosamente,"])
                signature = person.name + (f"\n{person.org[0]}" if person.org else "")
            else:
                writer = self.last_writer.first_name if self.last_writer else ""
                greeting = f"Olá, {writer}." if writer else "Olá,"
                thanks = "Obrigada" if person.female else "Obrigado"
                closing = rng.choice([f"{thanks}.", "Abraço,", "Fico no aguardo."])
                signature = person.first
            return f"{greeting}\n\n{body}\n\n{closing}\n{signature}"
        if channel == Channel.SMS:
            return body
        if first:
            return f"{rng.choice([day_greeting(now) + '!', 'Olá!', 'Oi, tudo bem?'])} {body}"
        return body

    def agent_text(self, agent, body: str, **extra: Any) -> str:
        person, rng = self.person, self.rng
        body = self.text(body, agente=agent.get_full_name(), **extra)
        if self.last_writer is None:
            thanks = "Obrigada" if self.s.female_staff.get(agent.pk) else "Obrigado"
            intro = self.text(rng.choice(FIRST_REPLY_INTROS), obrigado=thanks)
            body = f"{intro} {body}".strip()
        if self.reply_channel in (Channel.EMAIL, Channel.WEB):
            dear = "Prezada" if person.female else "Prezado"
            greeting = rng.choice([f"Olá, {person.first}!", f"{dear} {person.first},"])
            signoff = rng.choice(["Atenciosamente,", "Abraços,", "Fico à disposição."])
            return f"{greeting}\n\n{body}\n\n{signoff}\n{agent.get_full_name()}\nSuporte Jornada"
        if self.reply_channel == Channel.SMS:
            return f"Jornada: {body}"
        return f"Oi, {person.first}! {body}\n— {agent.first_name}"

    def do_start(self, *, agent) -> None:
        """The assigned agent opens the ticket and starts working on it."""
        services.ticket_change_status(ticket=self.ticket, to_status=S.OPEN, by=agent)

    def do_receive(self, *, body: str, first: bool = False, channel: str | None = None) -> None:
        channel = channel or self.spec.channel
        kind, value = self.person.sender(channel)
        subject = self.spec.subject
        if not first and channel in (Channel.EMAIL, Channel.WEB):
            subject = f"Re: [#{self.ticket.number}] {subject}"
        elif not first:
            subject = ""
        reply_to = self.thread_ids.get(channel)
        external_id = self.s.external_id(channel, self.rng, value.partition("@")[2])
        result = services.message_receive(
            incoming=NormalizedMessage(
                channel=channel,
                sender_kind=kind,
                sender_value=value,
                sender_name=self.person.name,
                subject=subject,
                body_text=self.customer_text(body, first=first, channel=channel),
                external_id=external_id,
                reply_to_ids=(reply_to,) if reply_to and not first else (),
                sent_at=timezone.now() - timedelta(seconds=self.rng.randint(1, 20)),
                metadata=dict(DEMO_MARK),
            )
        )
        if first:
            if not result.created_ticket:
                raise CommandError(
                    _("Demo message %(id)s did not open a ticket.") % {"id": external_id}
                )
            self.ticket = result.ticket
        elif result.ticket.pk != self.ticket.pk:
            raise CommandError(
                _("Demo message %(id)s landed on the wrong ticket.") % {"id": external_id}
            )
        self.thread_ids.setdefault(channel, external_id)

    def do_receive_dup(self) -> None:
        channel = self.spec.dup_channel
        kind, value = self.person.sender(channel)
        external_id = self.s.external_id(channel, self.rng, value.partition("@")[2])
        body = self.text(self.pick(DUP_MESSAGES), canal_main=CHANNEL_WORDS[self.spec.channel])
        result = services.message_receive(
            incoming=NormalizedMessage(
                channel=channel,
                sender_kind=kind,
                sender_value=value,
                sender_name=self.person.name,
                subject=self.spec.subject,
                body_text=self.customer_text(body, first=True, channel=channel),
                external_id=external_id,
                metadata=dict(DEMO_MARK),
            )
        )
        if not result.created_ticket:
            raise CommandError(
                _("Demo message %(id)s did not open a ticket.") % {"id": external_id}
            )
        self.dup_ticket = result.ticket
        self.thread_ids[channel] = external_id

    def do_customer(self, *, body: str, agent) -> None:
        """The customer writes back, on the channel of the ticket (a call is written down)."""
        if self.spec.channel != Channel.PHONE:
            self.do_receive(body=body)
        elif self.person.email:
            self.do_receive(body=body, channel=Channel.EMAIL)
        else:
            services.note_add(
                ticket=self.ticket,
                by=agent,
                body_text=f"Cliente retornou a ligação: “{self.text(body)}”",
            )
            services.ticket_change_status(
                ticket=self.ticket, to_status=S.OPEN, by=agent, reason="Cliente retornou"
            )

    def do_phone_call(self, *, agent) -> None:
        self.ticket = services.ticket_create(
            customer=self.person.customer,
            subject=self.spec.subject,
            channel=Channel.PHONE,
            priority=self.priority,
            team=self.s.teams[self.n1_team],
            by=agent,
        )

    def do_route(self) -> None:
        """The inbound routing rule puts the ticket in its N1 queue."""
        services.ticket_assign(
            ticket=self.ticket, assignee=None, by=None, team=self.s.teams[self.n1_team]
        )

    def do_claim(self, *, agent) -> None:
        services.ticket_claim(ticket=self.ticket, by=agent)

    def do_assign(self, *, agent, assignee, note: bool = False) -> None:
        services.ticket_assign(ticket=self.ticket, assignee=assignee, by=agent)
        if note:
            body = self.text(self.pick(DISPATCH_NOTES), agente=assignee.get_full_name())
            services.note_add(ticket=self.ticket, by=agent, body_text=body)

    def do_reassign(self, *, assignee, previous) -> None:
        manager = self.s.manager
        services.ticket_assign(ticket=self.ticket, assignee=assignee, by=manager)
        body = self.text(
            self.pick(REASSIGN_NOTES),
            agente=assignee.get_full_name(),
            anterior=previous.get_full_name(),
        )
        services.note_add(ticket=self.ticket, by=manager, body_text=body)

    def do_tag(self, *, agent, tags: Iterable[str] | None = None) -> None:
        if tags is None:
            tags = list(self.spec.topic.tags)
            if self.person.segment == Customer.Segment.VIP:
                tags.append("vip")
            if self.person.org:
                tags.append("cliente-empresa")
        services.ticket_tag(ticket=self.ticket, by=agent, add=tags)

    def do_priority(self, *, agent, priority: str, reason: str) -> None:
        services.ticket_change_priority(
            ticket=self.ticket, priority=priority, by=agent, reason=reason
        )

    def do_merge(self, *, agent) -> None:
        services.ticket_merge(source=self.dup_ticket, target=self.ticket, by=agent)
        self.merged_at = timezone.now()
        services.note_add(
            ticket=self.ticket,
            by=agent,
            body_text=self.text(
                self.pick(MERGE_NOTES),
                canal_dup=CHANNEL_NAMES[self.spec.dup_channel],
                dup=self.dup_ticket.number,
            ),
        )

    def do_reply(self, *, agent, text: str, then_status: str | None = None, **extra) -> None:
        services.message_reply(
            ticket=self.ticket,
            by=agent,
            body_text=self.agent_text(agent, text, **extra),
            channel=self.reply_channel,
            then_status=then_status,
        )
        self.last_writer = agent

    def do_note(self, *, agent, text: str | None) -> None:
        if text is None:  # the summary of the call that opened the ticket
            opening = self.text(self.spec.scenario.opening)
            hour = local(self.spec.t0).strftime("%Hh%M")
            body = f"Ligação recebida às {hour}. Relato do cliente: “{opening}”"
        else:
            body = self.text(text)
        services.note_add(ticket=self.ticket, by=agent, body_text=body)

    def do_escalate(self, *, agent, to_tier: str, reason: str) -> None:
        team = self.n2_team if to_tier == Tier.N2 else ESPECIALISTAS
        services.ticket_escalate(
            ticket=self.ticket,
            reason=self.text(reason),
            by=agent,
            to_tier=to_tier,
            team=self.s.teams[team],
        )

    def do_deescalate(self, *, agent, reason: str) -> None:
        services.ticket_deescalate(
            ticket=self.ticket,
            reason=reason,
            by=agent,
            to_tier=Tier.N2,
            team=self.s.teams[self.n2_team],
        )

    def do_status(self, *, agent, to_status: str, reason: str) -> None:
        services.ticket_change_status(
            ticket=self.ticket, to_status=to_status, by=agent, reason=self.text(reason)
        )

    def do_auto_close(self) -> None:
        """What the hourly close_stale_solved_tickets task does, at the hour it would."""
        days = settings.JORNADA["CLOSE_SOLVED_AFTER_DAYS"]
        closed = services.tickets_close_stale_solved(
            solved_before=timezone.now() - timedelta(days=days)
        )
        if not closed:
            raise CommandError(
                _("Demo ticket #%(number)s was not closed automatically.")
                % {"number": self.ticket.number}
            )


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------
class Command(BaseCommand):
    help = _(
        "Load realistic demo data (pt-BR): staff of every tier, teams, organizations, customers "
        "on several channels and tickets of the last 90 days. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--tickets",
            type=int,
            default=1000,
            help=_("How many tickets to create (default: %(default)s)."),
        )
        parser.add_argument(
            "--customers",
            type=int,
            default=200,
            help=_("How many customers to create (default: %(default)s)."),
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=_("Random seed: the same seed gives the same data (default: %(default)s)."),
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help=_("Load the demo data even when DEBUG is off."),
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                _(
                    "Refusing to load demo data: DEBUG is off, so this may be a production "
                    "database. Use --force to load it anyway."
                )
            )
        if options["tickets"] < 0 or options["customers"] < 1:
            raise CommandError(_("--tickets must be 0 or more and --customers at least 1."))
        started = time.perf_counter()
        self.verbose = options["verbosity"] >= 1
        # tqdm's None: a bar on a terminal, nothing in logs and pipes.
        no_progress = None if self.verbose else True
        seeder = Seeder(
            seed=options["seed"],
            now=timezone.now().replace(microsecond=0),
            n_customers=options["customers"],
            n_tickets=options["tickets"],
        )

        with transaction.atomic():
            created = seeder.setup_staff()
            created["organizations"] = seeder.setup_organizations()
        self.say(
            _("Staff, teams and organizations: %(users)s users, %(teams)s teams and "
              "%(orgs)s organizations created (existing ones kept).")
            % {
                "users": created.get("users", 0),
                "teams": created.get("teams", 0),
                "orgs": created["organizations"],
            }
        )  # fmt: skip

        seeder.plan_people()
        rng = random.Random(f"{options['seed']}-customers")
        new_customers = 0
        with transaction.atomic():
            seeder.setup_demo_customer()
            for person in tqdm(seeder.people, desc=_("Customers"), unit="", disable=no_progress):
                new_customers += seeder.create_person(person, rng)
        self.say(
            _("Customers: %(created)s created, %(kept)s already there.")
            % {"created": new_customers, "kept": len(seeder.people) - new_customers}
        )

        if seeder.demo_tickets_exist():
            self.say(
                self.style.WARNING(
                    _("Demo tickets are already there: no tickets created this time.")
                )
            )
        elif options["tickets"]:
            self.create_tickets(seeder, no_progress)

        if self.verbose:
            self.summary(time.perf_counter() - started)

    def say(self, message: str) -> None:
        if self.verbose:
            self.stdout.write(message)

    def create_tickets(self, seeder: Seeder, no_progress: bool | None) -> None:
        specs = seeder.plan_tickets()
        rng = random.Random(f"{seeder.seed}-stories")
        with (
            transaction.atomic(),
            tqdm(total=len(specs), desc=_("Tickets"), unit="", disable=no_progress) as bar,
        ):
            for spec in specs:
                seeder.choose_channel_and_person(spec, rng)
                story = TicketStory(seeder, spec, rng)
                story.plan()
                story.fit()
                story.run()
                if spec.channel in CONVERSATIONAL:
                    spec.person.busy_until[spec.channel] = story.busy_until()
                if spec.dup_channel in CONVERSATIONAL and story.merged_at:
                    spec.person.busy_until[spec.dup_channel] = max(
                        story.merged_at,
                        spec.person.busy_until.get(spec.dup_channel, story.merged_at),
                    )
                bar.update()

    def summary(self, seconds: float) -> None:
        statuses = dict(Ticket.objects.values_list("status").annotate(n=Count("id")).order_by())
        channels = dict(Ticket.objects.values_list("channel").annotate(n=Count("id")).order_by())
        tiers = dict(AgentProfile.objects.values_list("tier").annotate(n=Count("id")))
        ticket_tiers = dict(Ticket.objects.values_list("tier").annotate(n=Count("id")).order_by())
        lines = [
            _("Demo data ready in %(seconds).1f s.") % {"seconds": seconds},
            _("  Agents: %(n)s (N1 %(n1)s, N2 %(n2)s, N3 %(n3)s); teams: %(teams)s; "
              "organizations: %(orgs)s")
            % {
                "n": sum(tiers.values()),
                "n1": tiers.get(Tier.N1, 0),
                "n2": tiers.get(Tier.N2, 0),
                "n3": tiers.get(Tier.N3, 0),
                "teams": Team.objects.count(),
                "orgs": Organization.objects.count(),
            },
            _("  Customers: %(customers)s with %(identities)s identities")
            % {
                "customers": Customer.objects.filter(merged_into=None).count(),
                "identities": CustomerIdentity.objects.count(),
            },
            _("  Tickets: %(n)s; by status: %(statuses)s")
            % {
                "n": sum(statuses.values()),
                "statuses": ", ".join(
                    f"{S(s).label} {statuses.get(s, 0)}" for s in STATUS_ORDER
                ),
            },
            _("  By channel: %(channels)s; by tier: %(tiers)s")
            % {
                "channels": ", ".join(
                    f"{Channel(c).label} {n}" for c, n in sorted(channels.items())
                ),
                "tiers": ", ".join(f"{t} {ticket_tiers.get(t, 0)}" for t in TIERS),
            },
            _("  Messages: %(messages)s; audit events: %(events)s (%(escalations)s escalations)")
            % {
                "messages": Message.objects.count(),
                "events": TicketEvent.objects.count(),
                "escalations": TicketEvent.objects.filter(
                    kind=TicketEvent.Kind.ESCALATED
                ).count(),
            },
            _("  Logins (password %(password)s): %(logins)s")
            % {
                "password": DEMO_PASSWORD,
                "logins": ", ".join(
                    [s.username for s in STAFF[:6]] + [DEMO_CUSTOMER_EMAIL]
                ),
            },
        ]  # fmt: skip
        for line in lines:
            self.say(line)
