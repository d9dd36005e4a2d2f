"""A small pt-BR (and en) FAQ of an online shop, for search relevance tests: each query of
EXPECTED must find its article first."""

from knowledge_base.models import Article
from tests.knowledge_base.factories import ArticleFactory

FAQ = [
    (
        "Como cancelar um pedido",
        "Você pode cancelar enquanto o pedido não foi enviado.",
        "Acesse Meus pedidos e escolha Cancelar. Depois do envio, recuse a entrega.",
    ),
    (
        "Não recebi meu pedido",
        "Confira o rastreamento antes de falar conosco.",
        "Se o prazo passou e o rastreamento não mudou, abra uma solicitação.",
    ),
    (
        "Pedido atrasado",
        "Atrasos acontecem em feriados e greves.",
        "O prazo conta em dias úteis a partir da aprovação do pagamento.",
    ),
    (
        "Como obter a nota fiscal",
        "A nota fiscal eletrônica chega por e-mail.",
        "Você também pode baixar o XML e o PDF da NF-e em Meus pedidos.",
    ),
    (
        "Segunda via do boleto",
        "O boleto vale por 3 dias úteis.",
        "Gere a segunda via em Meus pedidos; boletos vencidos não podem ser pagos.",
    ),
    (
        "Pagamento com Pix",
        "O Pix é aprovado na hora.",
        "Copie o código Pix ou leia o QR Code no aplicativo do seu banco.",
    ),
    (
        "Pagamento com cartão de crédito",
        "Parcelamos em até 10 vezes sem juros.",
        "Aceitamos Visa, Mastercard e Elo. A aprovação leva alguns minutos.",
    ),
    (
        "Como trocar um produto",
        "Trocas em até 30 dias após o recebimento.",
        "O produto deve estar sem uso e na embalagem original.",
    ),
    (
        "Devolução e reembolso",
        "Você tem 7 dias para desistir da compra.",
        "O reembolso volta pelo mesmo meio de pagamento em até 10 dias.",
    ),
    (
        "Esqueci minha senha",
        "Use Esqueci a senha na tela de entrada.",
        "Enviaremos um link para criar uma senha nova.",
    ),
    (
        "Alterar o endereço de entrega",
        "Só é possível antes do envio.",
        "Fale conosco com o número do pedido e o endereço novo.",
    ),
    (
        "Frete grátis",
        "Compras acima de R$ 199 têm frete grátis.",
        "Vale para as regiões Sul e Sudeste; veja as condições do cupom.",
    ),
]
INTERNAL = (
    "Cancelamento com estorno manual (interno)",
    "Só para agentes.",
    "Estorno manual pelo painel do adquirente: código secreto 7788.",
)
ENGLISH = [
    (
        "How to cancel an order",
        "You can cancel before the order ships.",
        "Open My orders and choose Cancel.",
    ),
    (
        "Refunds",
        "Refunds go back to the original payment method.",
        "Refunding a card payment takes up to 10 days.",
    ),
]
EXPECTED = {
    "cancelamento": "Como cancelar um pedido",
    "cancelar pedido": "Como cancelar um pedido",
    "nao recebi": "Não recebi meu pedido",
    "NÃO RECEBI O PEDIDO": "Não recebi meu pedido",
    "nota fiscal": "Como obter a nota fiscal",
    "nf-e": "Como obter a nota fiscal",
    "boletos": "Segunda via do boleto",
    "pix": "Pagamento com Pix",
    "cartao de credito": "Pagamento com cartão de crédito",
    "trocas": "Como trocar um produto",
    "devolucao": "Devolução e reembolso",
    "reembolsos": "Devolução e reembolso",
    "senhas": "Esqueci minha senha",
    "atrasadas": "Pedido atrasado",
    "endereco": "Alterar o endereço de entrega",
    "frete gratis": "Frete grátis",
}
# What a customer has typed so far (the last word unfinished): the suggestions as they type.
EXPECTED_TYPING = {
    "cancelamen": "Como cancelar um pedido",
    "nota fisc": "Como obter a nota fiscal",
    "esqueci minha sen": "Esqueci minha senha",
    "pedido atrasad": "Pedido atrasado",
    "segunda via do bolet": "Segunda via do boleto",
    "reembolso sem xyz": "Devolução e reembolso",
}
EXPECTED_EN = {"cancellation": "How to cancel an order", "refunded": "Refunds"}


def load_faq() -> None:
    for title, summary, body in FAQ:
        ArticleFactory(title=title, summary=summary, body=body)
    title, summary, body = INTERNAL
    ArticleFactory(title=title, summary=summary, body=body, visibility=Article.Visibility.INTERNAL)
    for title, summary, body in ENGLISH:
        ArticleFactory(title=title, summary=summary, body=body, language="en")
