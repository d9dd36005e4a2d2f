"""Organizations and people, and how customers, channels, hours and statuses are distributed.
Email domains are reserved names (RFC 2606 / RFC 6761: .example and example.com/.net/.org), so
that a demo reply can never reach a real mailbox."""

from tickets.models import Channel, Customer, Ticket

S = Ticket.Status

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
