"""The websocket server's garbage collection (helpdesk/gc_policy.py): what survives a full
collection is frozen, so the next ones skip the held connections' objects, and everything is
unfrozen once a period so garbage cycles among them are collected in the end."""

import gc

import pytest

from helpdesk import gc_policy


@pytest.fixture
def calls(monkeypatch):
    made = []
    monkeypatch.setattr(gc_policy.gc, "freeze", lambda: made.append("freeze"))
    monkeypatch.setattr(gc_policy.gc, "unfreeze", lambda: made.append("unfreeze"))
    return made


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(gc_policy.time, "monotonic", lambda: now[0])
    return now


def test_survivors_of_a_full_collection_are_frozen_once(calls, clock):
    policy = gc_policy._Policy(unfreeze_seconds=600)
    policy.step()
    assert calls == []  # no full collection yet

    policy.count("start", {"generation": 2})
    policy.count("stop", {"generation": 1})
    policy.count("stop", {"generation": 2})
    policy.step()
    policy.step()

    assert calls == ["freeze"]


def test_everything_is_unfrozen_each_period_and_frozen_again_after_the_next_full_collection(
    calls, clock
):
    policy = gc_policy._Policy(unfreeze_seconds=600)
    policy.count("stop", {"generation": 2})
    policy.step()
    clock[0] += 600
    policy.count("stop", {"generation": 2})  # a full collection that walked only what is new
    policy.step()
    policy.step()
    assert calls == ["freeze", "unfreeze"]

    policy.count("stop", {"generation": 2})  # this one walked everything
    policy.step()
    assert calls == ["freeze", "unfreeze", "freeze"]


def test_zero_leaves_the_collector_alone(monkeypatch):
    monkeypatch.setattr(gc_policy, "_started", None)
    before = list(gc.callbacks)
    gc_policy.gc_policy_start(unfreeze_seconds=0)
    assert gc.callbacks == before
    assert gc_policy._started is None
