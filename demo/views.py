"""/chat/demo/: a page playing a customer's site, embedding the demo chat channel's widget with
the same tag the admin gives customers to copy."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from channels_app.chat_embed import origin_of, widget_snippet

from .chat import demo_chat_channel


@require_GET
def chat_demo(request):
    channel = demo_chat_channel()
    snippet = widget_snippet(channel, origin=origin_of(request)) if channel else ""
    return render(
        request,
        "demo/chat_demo.html",
        {"channel": channel, "snippet": snippet},
        status=200 if channel else 404,
    )
