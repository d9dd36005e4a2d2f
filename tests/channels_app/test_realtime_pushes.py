"""The pushes of one chat frame (realtime.pushes_together) through a layer that is not the
in-memory one: each leaves as it is made, the block's end waits for all of them, and a failed
one is logged, never raised."""

import asyncio
import logging
import threading
import uuid

import pytest

from channels_app import realtime


class RecordingLayer:
    """A channel layer of another process (not InMemoryChannelLayer): records what it is given,
    fails on the group named "broken"."""

    def __init__(self):
        self.sent = []
        self.arrived = threading.Event()

    async def group_send(self, group, message):
        # The doorbell takes a while: it is there when the block ends only if the end waited.
        await asyncio.sleep(0.2 if message["type"] == "chat.doorbell" else 0)
        if group == "broken":
            raise ConnectionError("layer down")
        self.sent.append((group, message["type"]))
        self.arrived.set()


@pytest.fixture
def layer(monkeypatch):
    recording = RecordingLayer()
    monkeypatch.setattr(realtime, "get_channel_layer", lambda: recording)
    return recording


def test_a_push_leaves_before_the_block_ends_and_the_block_waits_for_all(layer):
    with realtime.pushes_together():
        assert realtime.send_many([("agents", {"type": "ticket.push"})])
        # Gone already, while the frame's other after-commit work would still run.
        assert layer.arrived.wait(5)
        realtime.send_many([("chat.1", {"type": "chat.doorbell"})])

    assert sorted(layer.sent) == [("agents", "ticket.push"), ("chat.1", "chat.doorbell")]


def test_a_failed_push_in_a_block_is_logged_and_the_others_still_go(layer, caplog):
    logged = caplog.at_level(logging.WARNING, logger="channels_app.realtime")
    with logged, realtime.pushes_together():
        realtime.send_many([("broken", {"type": "ticket.push"})])
        realtime.send_many([("chat.1", {"type": "chat.doorbell"})])

    assert layer.sent == [("chat.1", "chat.doorbell")]
    [failure] = [r for r in caplog.records if r.name == "channels_app.realtime"]
    assert "ticket.push" in failure.getMessage()


@pytest.mark.services
def test_through_channels_redis_a_push_arrives_before_the_block_ends_and_a_failed_one_is_logged(
    caplog,
):
    """The same on the real layer (channels-redis, the PostgreSQL + Redis leg): a group's
    subscriber has the push while the block is still open, and a push the layer refuses (a group
    name it does not take) is logged, not raised, without holding the other back."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    group = f"test-pushes-{uuid.uuid4().hex}"
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group, channel)

    async def received() -> dict:
        async with asyncio.timeout(5):
            return await layer.receive(channel)

    logged = caplog.at_level(logging.WARNING, logger="channels_app.realtime")
    with logged, realtime.pushes_together():
        realtime.send_many([("not a group name!", {"type": "ticket.push"})])
        realtime.send_many([(group, {"type": "ticket.push", "ticket": 7})])
        assert async_to_sync(received)() == {"type": "ticket.push", "ticket": 7}

    async_to_sync(layer.group_discard)(group, channel)
    [failure] = [r for r in caplog.records if r.name == "channels_app.realtime"]
    assert "ticket.push" in failure.getMessage()
