"""The knowledge base in the ticket page's reply box (registered in KnowledgeBaseConfig.ready())."""

from django.utils.translation import gettext_lazy as _

from tickets.registries import ReplyTool, reply_tools

KB_PICKER = ReplyTool(
    name="kb",
    order=20,
    label=_("Knowledge base"),
    search_label=_("Search published articles"),
    url_name="kb-picker",
)


def register() -> None:
    reply_tools.register(KB_PICKER)
