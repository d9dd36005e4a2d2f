"""What every channel adapter offers: verify a delivery, parse it, send a reply (and, optionally,
fetch media, replay early statuses, name the parts of a message, keep its own books on a
message received)."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from django.http import HttpRequest

from tickets.inbound import InboundAttachment, NormalizedMessage
from tickets.models import Message

if TYPE_CHECKING:
    from channels_app.models import InboundEvent
    from tickets.services import ReceiveResult


class ChannelError(Exception):
    """A channel could not do its job. `permanent` errors are not retried (a 4xx from a provider,
    a message that can never be parsed); temporary ones are (network, 5xx, 429), the first time
    after `retry_after` seconds (the channel's own RETRY_AFTER when None), then ever later."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        code: str = "",
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.permanent = permanent
        self.code = code
        self.retry_after = retry_after


def as_channel_error(exc: Exception) -> ChannelError:
    """Any failure of a send as a ChannelError; one that is not is worth another attempt."""
    return exc if isinstance(exc, ChannelError) else ChannelError(f"{exc!r}")


class ChannelAdapter(Protocol):
    channel: str  # tickets.models.Channel value

    def verify(self, request: HttpRequest) -> None:
        """Raise ChannelError(permanent=True) when a webhook request is not authentic."""

    def parse(self, event: "InboundEvent") -> list["ParsedItem"]:
        """Turn one stored delivery into what it carries: customer messages (NormalizedMessage),
        delivery updates of our outbound messages, or a reason to ignore it. One delivery may carry
        several (a WhatsApp webhook batches them). Raise ChannelError if it cannot be read."""

    def send(self, message: Message) -> str:
        """Deliver an outbound Message; return the provider's id for it."""

    def send_batch(self, messages: list[Message]) -> Iterator[tuple[Message, "str | ChannelError"]]:
        """send() for several messages (a batch of acknowledgements): yields each, in order, with
        its provider id or the ChannelError it met, as soon as it is done, so that the caller
        records it before the next one goes. A channel that can share work across them (one
        SMTP connection, one read of their threads) does so."""

    def fetch_media(self, message: Message) -> list[InboundAttachment]:
        """The files announced in message.metadata["media"] (WhatsApp, MMS), fetched after the
        message is stored; ChannelError as for send()."""

    def status_provider_ids(self, external_id: str) -> list[str]:
        """The InboundEvent provider ids the delivery statuses of a message would have, to replay
        those that arrived before we knew the message's id."""

    def part_ids(self, message: Message) -> list[str]:
        """The provider ids of every part of a message sent in parts."""

    def received(self, item: NormalizedMessage, result: "ReceiveResult") -> None:
        """Called in the processing transaction once a message of this channel is on its ticket
        (not for a duplicate): the channel's own bookkeeping (the chat's session)."""


class BaseChannelAdapter:
    """What a channel without media downloads, early statuses or multi-part messages answers to
    the optional methods of ChannelAdapter. Every adapter derives from it."""

    channel: str
    # Seconds before a send that failed for a reason that may pass is first tried again.
    RETRY_AFTER = 30

    def send(self, message: Message) -> str:
        raise NotImplementedError

    def send_batch(self, messages: list[Message]) -> Iterator[tuple[Message, "str | ChannelError"]]:
        for message in messages:
            try:
                provider_id = self.send(message)
            except Exception as exc:  # handed back: the caller retries or fails the message
                error = as_channel_error(exc)
                if error.retry_after is None:
                    error.retry_after = self.RETRY_AFTER
                yield message, error
            else:
                yield message, provider_id

    def fetch_media(self, message: Message) -> list[InboundAttachment]:
        raise ChannelError(f"The {self.channel} channel announces no media", permanent=True)

    def status_provider_ids(self, external_id: str) -> list[str]:
        return []

    def part_ids(self, message: Message) -> list[str]:
        return []

    def received(self, item: NormalizedMessage, result: "ReceiveResult") -> None:
        return None


# Metadata key of an outbound message sent as several provider messages (a long WhatsApp reply,
# its attachments): {provider id of a part: part}. Message.external_id is the first part's id; a
# failure reported for any part must still reach the message.
PART_IDS = "provider_part_ids"

# Files a customer may not hand us whatever the channel: they would run as pages or programs.
ACTIVE_CONTENT_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "image/svg+xml",
        "text/javascript",
        "application/javascript",
        "application/x-msdownload",
        "application/x-dosexec",
        "application/x-sh",
        "application/x-msi",
        "application/vnd.microsoft.portable-executable",
    }
)


def part_sent(message: Message, *, progress_key: str, part: str, provider_id: str) -> None:
    """Record that one part of a message went out (so a resumed send skips it) and under which
    provider id (so a status naming that part finds the message)."""
    from tickets import services as ticket_services

    ticket_services.message_annotate(
        message=message,
        changes={progress_key: {part: provider_id}, PART_IDS: {provider_id: part}},
    )


def sent_part_ids(message: Message, progress_key: str) -> list[str]:
    """The provider ids of every part of a message sent so far, first part first (entries keyed
    "upload:..." are media uploads, not messages)."""
    progress = message.metadata.get(progress_key) or {}
    return [pid for key, pid in progress.items() if pid and not key.startswith("upload:")]


def without_nul(value):
    """A decoded payload (dicts, lists, strings) without U+0000, which PostgreSQL's text and jsonb
    cannot hold: a NUL a sender slips into a field would fail the INSERT, again at every try."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    return value


@dataclass(frozen=True)
class DeliveryUpdate:
    """A provider's word on one of our outbound messages (sent, delivered, read, failed)."""

    external_ids: tuple[str, ...]
    status: str
    error: str = ""


@dataclass(frozen=True)
class Ignored:
    """A delivery kept for the record but acted on no further (our own mail coming back...)."""

    reason: str


@dataclass(frozen=True)
class Annotation:
    """News about a message we already have: a reaction to it, an edit or a deletion by its
    author. `changes` merge into that message's metadata when the sender is the ticket's
    customer; `fallback` is stored instead when we never got the message (an edit of it)."""

    channel: str
    external_id: str
    sender_kind: str
    sender_value: str
    changes: dict
    description: str
    fallback: NormalizedMessage | None = None
    sent_at: datetime | None = None  # when the provider says it happened, to wait for the target


ParsedItem = NormalizedMessage | DeliveryUpdate | Ignored | Annotation
