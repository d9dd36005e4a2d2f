"""The `<script>` tag that embeds a chat channel's widget in a page (static/chat/widget.js):
shown in the admin for customers to copy, and used by the demo page and the customer portal."""

from django.templatetags.static import static
from django.utils.html import escape

from .models import ChatChannel


def origin_of(request) -> str:
    """The desk's origin as this request reached it (scheme, host and port)."""
    return f"{request.scheme}://{request.get_host()}"


def widget_snippet(channel, *, origin: str) -> str:
    """The tag as text (escape it to show it; mark it safe to embed it)."""
    src = static("chat/widget.js")
    if "://" not in src:
        src = origin + src
    return f'<script src="{escape(src)}" data-key="{escape(channel.public_key)}" async></script>'


def portal_chat_channel() -> ChatChannel | None:
    """The chat the customer portal offers: the oldest active chat channel (one query)."""
    return ChatChannel.objects.filter(is_active=True).order_by("pk").first()
