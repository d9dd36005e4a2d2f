"""The ids that thread an email: its own Message-ID and the ones it answers."""

import re
from email.message import Message

from .bounce import message_ids
from .headers import raw_values


def message_id(msg: Message) -> str:
    value = " ".join(raw_values(msg, "Message-ID")[:1]).strip()
    if not value:
        return ""
    ids = message_ids(value)
    if ids:
        return ids[0]
    bracketed = re.search(r"<([^<>\s]+)>", value)
    if bracketed:
        return f"<{bracketed.group(1)}>"
    token = value.split()[0].strip("<>")
    return f"<{token}>" if token else ""


def reply_to_ids(msg: Message) -> list[str]:
    """In-Reply-To first, then References newest first; well-formed ids only, each once."""
    in_reply_to = message_ids(" ".join(raw_values(msg, "In-Reply-To")))
    references = message_ids(" ".join(raw_values(msg, "References")))
    return list(dict.fromkeys([*in_reply_to, *reversed(references)]))
