"""{% load ticket_page %}: the ticket page's pieces that other apps register (tickets.registries).

{% render_panel panel %}   a ShownPanel's template, with its context on top of the page's
{% reply_tools as tools %} the registered reply-box tools, in order
"""

from django import template
from django.utils.safestring import SafeString

from tickets.registries import ReplyTool, ShownPanel, reply_tools

register = template.Library()


@register.simple_tag(takes_context=True)
def render_panel(context: template.Context, panel: ShownPanel) -> SafeString:
    panel_template = context.template.engine.get_template(panel.template_name)
    with context.push(panel.context):
        return panel_template.render(context)


@register.simple_tag(name="reply_tools")
def registered_reply_tools() -> list[ReplyTool]:
    return list(reply_tools)
