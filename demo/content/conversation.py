# ruff: noqa: E501 (long pt-BR demo sentences read better unbroken)
"""Words every demo conversation uses: replies, notes, reasons and the names of channels."""

from tickets.models import Channel, Ticket, Tier

P = Ticket.Priority

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
