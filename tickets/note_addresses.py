"""Note addresses: the secret that lets an agent add an internal note to a ticket by email.

Each agent has one address per ticket, the support address plus a signed tag
(`suporte+note-1042-7-<signature>@example.com`). It is shown to that agent only, on the ticket's
page, and never goes out in mail to a customer: so unlike our Message-IDs (which every customer
gets in every email), knowing it proves the writer was given it. The signature is an HMAC of the
ticket number and the agent id under SECRET_KEY: nothing is stored, a changed number or agent
breaks it, and rotating SECRET_KEY revokes every address at once."""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.crypto import constant_time_compare, salted_hmac

_SALT = "jornada.note-address"
_SIGNATURE_CHARS = 20  # 80 bits: guessing by email is hopeless
NOTE_TAG = re.compile(rf"\+note-(\d{{1,12}})-(\d{{1,12}})-([0-9a-f]{{{_SIGNATURE_CHARS}}})@", re.I)


@dataclass(frozen=True)
class NoteToken:
    ticket_number: int
    agent_id: int
    valid: bool  # the signature matches: we handed this address to that agent for that ticket


def _signature(*, agent_id: int, ticket_number: int) -> str:
    digest = salted_hmac(_SALT, f"{agent_id}:{ticket_number}", algorithm="sha256").hexdigest()
    return digest[:_SIGNATURE_CHARS]


def note_tag(*, agent_id: int, ticket_number: int) -> str:
    signature = _signature(agent_id=agent_id, ticket_number=ticket_number)
    return f"note-{ticket_number}-{agent_id}-{signature}"


def note_address(*, mailbox_address: str, agent_id: int, ticket_number: int) -> str:
    """The address at which this agent adds notes to this ticket: the mailbox's address with a
    +tag (plus addressing: the mail server delivers it to the mailbox itself)."""
    local, _, domain = mailbox_address.rpartition("@")
    return f"{local}+{note_tag(agent_id=agent_id, ticket_number=ticket_number)}@{domain}"


def note_tokens_in(addresses: Iterable[str]) -> list[NoteToken]:
    """The note tags among the addresses an email was delivered to, each once, checked."""
    found: dict[tuple[int, int, str], None] = {}
    for address in addresses:
        for number, agent, signature in NOTE_TAG.findall(address or ""):
            found[(int(number), int(agent), signature.lower())] = None
    return [
        NoteToken(
            ticket_number=number,
            agent_id=agent,
            valid=constant_time_compare(
                signature, _signature(agent_id=agent, ticket_number=number)
            ),
        )
        for number, agent, signature in found
    ]
