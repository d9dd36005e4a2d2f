"""Every demo topic, in the order the seeded generator draws from: changing the order changes
every demo ticket."""

from .topics_finance import BOLETO, CANCELAMENTO, NOTA_FISCAL, PIX
from .topics_support import (
    ACESSO,
    APP,
    CADASTRO,
    CERTIFICADO,
    EMAIL,
    ENTREGA,
    IMPRESSORA,
    INTEGRACAO,
    PLANO,
    SISTEMA,
    VPN,
)

TOPICS = (
    BOLETO,
    NOTA_FISCAL,
    ACESSO,
    PIX,
    ENTREGA,
    INTEGRACAO,
    VPN,
    IMPRESSORA,
    EMAIL,
    SISTEMA,
    CANCELAMENTO,
    CADASTRO,
    CERTIFICADO,
    APP,
    PLANO,
)
