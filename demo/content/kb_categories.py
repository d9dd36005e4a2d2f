"""The demo help center of an online shop: categories and their sections, in pt-BR and English.
Articles are in kb_articles.py (pt-BR) and kb_translations.py (English)."""

# (slug, name, description, [(section slug, section name), ...])
CATEGORIES_PT = [
    (
        "pedidos",
        "Pedidos",
        "Acompanhe, altere ou cancele suas compras.",
        [("acompanhar", "Acompanhar o pedido"), ("alterar-ou-cancelar", "Alterar ou cancelar")],
    ),
    (
        "entrega",
        "Entrega",
        "Prazos, frete e problemas na entrega.",
        [("prazos-e-frete", "Prazos e frete"), ("problemas", "Problemas na entrega")],
    ),
    (
        "trocas-e-devolucoes",
        "Trocas e devoluções",
        "Trocar, devolver e receber o reembolso.",
        [("trocas", "Trocas"), ("devolucoes", "Devoluções e reembolso")],
    ),
    (
        "pagamentos",
        "Pagamentos e notas fiscais",
        "Pix, boleto, cartão e nota fiscal.",
        [("formas-de-pagamento", "Formas de pagamento"), ("nota-fiscal", "Nota fiscal")],
    ),
    (
        "minha-conta",
        "Minha conta",
        "Acesso, senha e dados pessoais.",
        [("acesso", "Acesso e senha"), ("dados", "Dados pessoais")],
    ),
    (
        "atendimento-interno",
        "Procedimentos internos",
        "Só para a equipe de atendimento.",
        [("financeiro", "Financeiro")],
    ),
]

CATEGORIES_EN = [
    (
        "orders",
        "Orders",
        "Track, change or cancel your orders.",
        [("track", "Tracking"), ("change-or-cancel", "Change or cancel")],
    ),
    (
        "delivery",
        "Delivery",
        "Delivery times, shipping and problems.",
        [("times-and-shipping", "Times and shipping"), ("problems", "Delivery problems")],
    ),
    (
        "returns",
        "Exchanges and returns",
        "Exchange, return and get your money back.",
        [("exchanges", "Exchanges"), ("returns-and-refunds", "Returns and refunds")],
    ),
    (
        "payments",
        "Payments and invoices",
        "Pix, boleto, cards and invoices.",
        [("payment-methods", "Payment methods"), ("invoices", "Invoices")],
    ),
    (
        "my-account",
        "My account",
        "Sign-in, password and personal data.",
        [("access", "Sign-in and password")],
    ),
]

# pt-BR section (category slug, section slug) -> the English one its translations go to.
SECTION_TRANSLATIONS = {
    ("pedidos", "acompanhar"): ("orders", "track"),
    ("pedidos", "alterar-ou-cancelar"): ("orders", "change-or-cancel"),
    ("entrega", "prazos-e-frete"): ("delivery", "times-and-shipping"),
    ("entrega", "problemas"): ("delivery", "problems"),
    ("trocas-e-devolucoes", "trocas"): ("returns", "exchanges"),
    ("trocas-e-devolucoes", "devolucoes"): ("returns", "returns-and-refunds"),
    ("pagamentos", "formas-de-pagamento"): ("payments", "payment-methods"),
    ("pagamentos", "nota-fiscal"): ("payments", "invoices"),
    ("minha-conta", "acesso"): ("my-account", "access"),
}

# Searches customers made that found nothing (the content gaps report), and how often.
SEARCH_GAPS = [
    ("garantia estendida", 9),
    ("cupom de desconto não funciona", 6),
    ("entrega internacional", 4),
    ("vale-presente", 3),
    ("gift card", 2),
]
