"""Showing a stored message safely: inline images resolved to our own attachment URLs, remote
images left out until the reader asks for them (they tell the sender the mail was read)."""

import nh3
from django.urls import reverse

from .models import Attachment, Message
from .sanitize import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, URL_SCHEMES


def attachment_url(attachment: Attachment) -> str:
    return reverse("attachment", args=[attachment.pk, attachment.filename])


def message_html(message: Message, *, remote_images: bool = False) -> tuple[str, int]:
    """The message's HTML ready to show, and how many remote images were held back."""
    if not message.body_html:
        return "", 0
    inline = {
        attachment.content_id: attachment_url(attachment)
        for attachment in message.attachments.all()
        if attachment.content_id
    }
    blocked = 0

    def rewrite(tag: str, attribute: str, value: str) -> str | None:
        nonlocal blocked
        if tag != "img" or attribute != "src":
            return value
        if value.lower().startswith("cid:"):
            return inline.get(value[4:].strip("<>"))
        if value.lower().startswith(("http:", "https:", "//")) and not remote_images:
            blocked += 1
            return None
        return value

    html = nh3.clean(
        message.body_html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        attribute_filter=rewrite,
    )
    return html, blocked
