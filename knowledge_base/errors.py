"""Refused knowledge-base changes: a stable code and a translated message, like the core's."""

from django.utils.translation import gettext_lazy as _

from tickets.errors import TicketError


class KnowledgeBaseError(TicketError):
    code = "kb_error"
    default_message = _("This change to the knowledge base is not allowed.")


class NotAnAgentAnswer(KnowledgeBaseError):
    code = "not_an_agent_answer"
    default_message = _("Only an agent's reply to the customer can become an article.")


class TranslationExists(KnowledgeBaseError):
    code = "translation_exists"
    default_message = _("This article already has a translation in %(language)s.")


class FileRejected(KnowledgeBaseError):
    code = "file_rejected"
    default_message = _("The file “%(name)s” cannot be attached: %(why)s")


class NothingToPublish(KnowledgeBaseError):
    code = "nothing_to_publish"
    default_message = _("That version does not belong to this article.")
