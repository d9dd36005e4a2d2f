"""Approved WhatsApp templates: the only message allowed outside the 24-hour window."""

from django.utils.translation import gettext_lazy as _

from tickets import services as ticket_services
from tickets.errors import TicketError
from tickets.models import Message, Ticket

from ..models import WhatsAppTemplate


class TemplateParametersInvalid(TicketError):
    code = "whatsapp_template_parameters"
    default_message = _(
        "The template “%(name)s” needs %(expected)s parameter(s), each a single line of text."
    )


class TemplateUnavailable(TicketError):
    code = "whatsapp_template_unavailable"
    default_message = _("This WhatsApp template is not offered any more.")


def whatsapp_template_send(
    *, ticket: Ticket, by, template: WhatsAppTemplate, params: list[str]
) -> Message:
    """Send an approved template to the ticket's customer on WhatsApp (the only message allowed
    outside the 24-hour window): an agent's reply, delivered like any other, whose text is the
    template filled in and whose metadata names the template for the Graph API."""
    if not template.is_active:
        raise TemplateUnavailable()
    params = [str(value).strip() for value in params]
    # Meta refuses parameters with line breaks or tabs, and empty ones.
    if len(params) != template.parameter_count or any(
        not value or "\n" in value or "\t" in value or len(value) > 1024 for value in params
    ):
        raise TemplateParametersInvalid(name=template.name, expected=template.parameter_count)
    return ticket_services.message_reply(
        ticket=ticket,
        by=by,
        body_text=template.render(params),
        channel="whatsapp",
        metadata=template.message_metadata(params),
    )
