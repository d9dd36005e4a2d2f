# ruff: noqa: E501 (long pt-BR demo sentences read better unbroken)
"""The pt-BR content `manage.py seed_demo` draws from: staff and teams, organizations and people,
how customers, channels and statuses are distributed, what customers write about (topics and
their scenarios) and the words every conversation uses.

Pure data: no randomness and no database access here; the command in seed_demo.py picks from these
tables with its seeded generator. The leading underscore keeps this module out of Django's list of
management commands.
"""

from dataclasses import dataclass

from tickets.models import AgentProfile, Channel, Customer, Ticket, Tier

S = Ticket.Status
P = Ticket.Priority

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
