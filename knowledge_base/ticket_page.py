"""The knowledge base on the agents' ticket page (registered in KnowledgeBaseConfig.ready()): the
article picker next to the reply box, and under each answer sent to the customer a button that
makes a draft article of it."""

from django.utils.translation import gettext_lazy as _

from tickets.registries import MessageExtra, ReplyTool, message_extras, reply_tools

KB_PICKER = ReplyTool(
    name="kb",
    order=20,
    label=_("Knowledge base"),
    search_label=_("Search published articles"),
    url_name="kb-picker",
)
DRAFT_FROM_ANSWER = MessageExtra(
    name="kb-draft-from-answer", order=50, template_name="knowledge_base/_draft_from_answer.html"
)


def register() -> None:
    reply_tools.register(KB_PICKER)
    message_extras.register(DRAFT_FROM_ANSWER)
