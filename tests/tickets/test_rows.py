"""rows_update writes what bulk_update would, in one statement on PostgreSQL."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tickets.models import Message
from tickets.rows import rows_update


def _messages(ticket, n):
    return [
        Message.objects.create(
            ticket=ticket,
            direction=Message.Direction.OUTBOUND,
            channel="email",
            body_text=f"reply {i}",
            metadata={"n": i},
        )
        for i in range(n)
    ]


def test_each_row_gets_its_own_values_of_the_named_fields_only(ticket, n1_agent):
    first, second, third = _messages(ticket, 3)
    later = timezone.now() + timedelta(hours=1)
    first.delivery_status, first.external_id = "sent", "<a@x>"
    first.metadata = {"delivery_history": [{"status": "sent"}], "quote": 'it\'s "quoted"'}
    first.author_user = n1_agent
    second.delivery_status, second.delivery_error = "failed", "SMTP 550: no such user"
    second.metadata = []
    second.author_user = None
    third.created_at = later
    third.body_text = "changed in memory, not written"

    with CaptureQueriesContext(connection) as queries:
        updated = rows_update(
            [first, second, third],
            ["delivery_status", "delivery_error", "external_id", "metadata", "author_user",
             "created_at"],
        )  # fmt: skip

    assert updated == 3
    if connection.vendor == "postgresql":
        assert len(queries) == 1
    first, second, third = (Message.objects.get(pk=m.pk) for m in (first, second, third))
    assert (first.delivery_status, first.external_id, first.author_user_id) == (
        "sent",
        "<a@x>",
        n1_agent.pk,
    )
    assert first.metadata == {"delivery_history": [{"status": "sent"}], "quote": 'it\'s "quoted"'}
    assert (second.delivery_status, second.delivery_error, second.metadata) == (
        "failed",
        "SMTP 550: no such user",
        [],
    )
    assert second.author_user_id is None
    assert third.created_at == later
    assert third.body_text == "reply 2"


def test_no_rows_writes_nothing(db):
    with CaptureQueriesContext(connection) as queries:
        assert rows_update([], ["delivery_status"]) == 0
    assert len(queries) == 0
