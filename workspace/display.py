"""Showing a stored message safely: inline images resolved to our own attachment URLs, remote
images left out until the reader asks for them (they tell the sender the mail was read)."""

import re

import nh3
from django.core.exceptions import FieldDoesNotExist
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from tickets.models import Attachment, Message, Ticket
from tickets.sanitize import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, URL_SCHEMES


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
        if value.strip().lower().startswith("cid:"):
            return inline.get(value.strip()[4:].strip("<>"))
        if remote_images:
            return value
        # Anything else may reach out of the page (browsers forgive spaces, backslashes...).
        blocked += 1
        return None

    html = nh3.clean(
        message.body_html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        attribute_filter=rewrite,
    )
    return html, blocked


# Events that a message in the timeline already shows by itself.
EVENTS_SHOWN_AS_MESSAGES = frozenset({"message_received", "reply_sent", "note_added"})

_REASONS = [
    (re.compile(r"^reply to (?P<id>.+)$"), _("a reply to %(id)s")),
    (re.compile(r"^subject tag \[#(?P<n>\d+)\] from agent (?P<who>.+)$"),
     _("the subject carries [#%(n)s] and the sender is the agent %(who)s")),
    (re.compile(r"^note address of agent (?P<who>.+)$"),
     _("sent by the agent %(who)s to their note address for this ticket")),
    (re.compile(r"^subject tag \[#(?P<n>\d+)\]$"),
     _("the subject carries [#%(n)s] and the sender is this ticket's customer")),
    (re.compile(r"^open (?P<channel>\w+) conversation$"),
     _("the customer's open %(channel)s conversation")),
    (re.compile(r"^follow-up of closed ticket #(?P<n>\d+)$"),
     _("a follow-up: ticket #%(n)s was already closed")),
    (re.compile(r"^new conversation$"), _("nothing linked it to an earlier ticket: a new one")),
]  # fmt: skip


def threading_reason_text(reason: str) -> str:
    """The stored reason (kept in English in the database) in the reader's language."""
    for pattern, text in _REASONS:
        match = pattern.match(reason)
        if match:
            return text % match.groupdict()
    return reason


CHOICE_LABELS = {
    "status_changed": dict(Ticket.Status.choices),
    "reopened": dict(Ticket.Status.choices),
    "merged": dict(Ticket.Status.choices),
    "priority_changed": dict(Ticket.Priority.choices),
}


def _label(key: str) -> str:
    try:
        return str(Ticket._meta.get_field(key).verbose_name)
    except FieldDoesNotExist:
        return key


def _short(value) -> str:
    if value in (None, "", []):
        return "—"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def _created_text(data: dict) -> str:
    """A ticket born in the team a routing rule chose says so (tickets.registries)."""
    if not data.get("routing_rule"):
        return ""
    return _("routed to team %(team)s by rule '%(rule)s'") % {
        "team": data.get("team", ""),
        "rule": data["routing_rule"],
    }


def event_change_text(event) -> str:
    """What an event changed: `N1 → N2`, or `tier: N1 → N2, team: A → B` for several things."""
    before, after = event.before, event.after
    if event.kind == "created":
        return _created_text(event.data or {})
    if before is None and after is None:
        return ""
    if isinstance(before, dict) or isinstance(after, dict):
        before, after = before or {}, after or {}
        changed = [key for key in after if before.get(key) != after.get(key)]
        return ", ".join(
            f"{_label(key)}: {_short(before.get(key))} → {_short(after.get(key))}"
            for key in changed
        )
    labels = CHOICE_LABELS.get(event.kind, {})

    def shown(value) -> str:
        # Only a stored choice has a label; tag lists (unhashable) and numbers are shown as is.
        return str(labels[value]) if isinstance(value, str) and value in labels else _short(value)

    return f"{shown(before)} → {shown(after)}"
