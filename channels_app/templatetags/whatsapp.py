"""{% whatsapp_window ticket %}: the WhatsApp window box of the ticket page (nothing when the
ticket does not talk WhatsApp)."""

from django import template

from channels_app import selectors

register = template.Library()


@register.inclusion_tag("channels_app/_whatsapp_window.html", takes_context=True)
def whatsapp_window(context, ticket):
    window = selectors.whatsapp_window_for_ticket(ticket)
    return {
        "ticket": ticket,
        "window": window,
        "templates": list(selectors.whatsapp_templates()) if window is not None else [],
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }
