"""The check every fuzz test makes: a stored delivery goes through the pipeline without an
unhandled exception, and ends processed, ignored, or with a clear error on its InboundEvent."""

import contextlib
import itertools
import logging

from django.db import transaction

from channels_app import services
from channels_app.adapters import ChannelError, get_adapter
from channels_app.models import InboundEvent

S = InboundEvent.Status
_ids = itertools.count(1)


class _Crashes(logging.Handler):
    """Records the pipeline's "failed" log lines: it logs those for exceptions that are not a
    ChannelError, i.e. a crash of a parser or of the code behind it."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@contextlib.contextmanager
def rolled_back():
    """One example's deliveries, undone after it: Hypothesis replays a failing example and
    must find the database as that example first found it (a delivery stored once is a
    duplicate the second time, and would pass)."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def assert_parse_is_clean(event: InboundEvent) -> None:
    """The adapter returns what the delivery carries or says why it cannot: a ChannelError."""
    try:
        get_adapter(event.channel).parse(event)
    except ChannelError as exc:
        reason = str(exc)
    else:
        return
    assert reason.strip(), "a ChannelError must say what is wrong"


def store_and_process(channel: str, raw: bytes, *, source: str = "fuzz") -> None:
    """Store `raw` as a delivery of `channel`, parse it, process it (and undo it all after);
    assert that nothing crashed and that the event says what became of it."""
    with rolled_back():
        event, _ = services.inbound_event_store(
            channel=channel, source=source, provider_id=f"fuzz:{next(_ids)}", raw=raw
        )
        assert_parse_is_clean(event)
        process(event)


def process(event: InboundEvent) -> InboundEvent:
    crashes = _Crashes()
    logger = logging.getLogger("channels_app.services.ingest")
    logger.addHandler(crashes)
    try:
        services.inbound_event_process(event_id=event.pk)
    except services.RetryLater:
        pass  # a temporary ChannelError (a reaction waiting for its message): not a crash
    finally:
        logger.removeHandler(crashes)
    assert not crashes.records, crashes.records[0].exc_text or crashes.records[0].getMessage()
    event.refresh_from_db()
    assert event.status in (S.PROCESSED, S.IGNORED, S.FAILED, S.RECEIVED), event.status
    if event.status == S.FAILED or (event.status == S.RECEIVED and event.attempts):
        assert event.error.strip(), "a failure must be recorded with its reason"
    if event.status == S.RECEIVED:
        assert event.error, "an event left waiting must say why"
    return event
