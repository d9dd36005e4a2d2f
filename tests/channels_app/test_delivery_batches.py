"""Messages queued together (the acknowledgements of one batch of new tickets) are delivered by
one task, through a real SMTP server on loopback; one that must wait is retried on its own."""

import pytest
from celery import signals

from channels_app import tasks
from channels_app.models import Mailbox
from tests.channels_app.test_pipeline import SIMPLE, store
from tickets.models import Message

D = Message.DeliveryStatus


@pytest.fixture
def new_tickets(teams, smtp_settings, django_capture_on_commit_callbacks):
    """Two new tickets whose opening emails were processed, their acknowledgements not yet."""
    Mailbox.objects.create(
        name="Suporte", address="suporte@jornada.example", auto_ack_enabled=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(2):
            store(
                SIMPLE.replace(b"<abc-123@", f"<new-{n}@".encode()).replace(
                    b"joao@", f"joao{n}@".encode()
                )
            )
    Mailbox.objects.update(auto_ack_enabled=True)
    return list(Message.objects.filter(direction=Message.Direction.INBOUND).order_by("pk"))


@pytest.fixture
def ran():
    names = []

    def record(sender=None, **kwargs):
        names.append(sender.name)

    signals.task_prerun.connect(record, weak=False)
    yield names
    signals.task_prerun.disconnect(record)


def acknowledge(openings, capture):
    with capture(execute=True):
        tasks.acknowledge_tickets.delay([message.pk for message in openings])
    return list(Message.objects.filter(kind=Message.Kind.SYSTEM).order_by("pk"))


def test_the_acknowledgements_of_one_batch_are_sent_by_one_task(
    new_tickets, ran, smtp_server, django_capture_on_commit_callbacks
):
    acks = acknowledge(new_tickets, django_capture_on_commit_callbacks)

    assert [ack.delivery_status for ack in acks] == [D.SENT, D.SENT]
    assert ran.count("channels_app.deliver_messages") == 1
    assert "channels_app.deliver_message" not in ran
    assert sorted(env.rcpt_tos[0] for env in smtp_server.envelopes) == [
        "joao0@cliente.com.br",
        "joao1@cliente.com.br",
    ]


def test_a_message_of_the_batch_refused_for_now_is_retried_on_its_own(
    new_tickets, ran, smtp_server, django_capture_on_commit_callbacks
):
    smtp_server.reject_rcpt = "450 4.2.0 greylisted, try again later"

    acks = acknowledge(new_tickets, django_capture_on_commit_callbacks)

    assert [ack.delivery_status for ack in acks] == [D.QUEUED, D.QUEUED]
    assert ran.count("channels_app.deliver_message") >= 2  # each handed over to its own task
