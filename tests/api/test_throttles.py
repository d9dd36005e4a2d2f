"""Throttling per token and per address, with 429, Retry-After and RateLimit-* headers."""

import pytest
from django.core.cache import cache
from rest_framework.settings import api_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(monkeypatch):
    cache.clear()

    def set_rates(**rates):
        monkeypatch.setitem(api_settings.DEFAULT_THROTTLE_RATES, "api_token", rates["token"])
        monkeypatch.setitem(api_settings.DEFAULT_THROTTLE_RATES, "api_address", rates["address"])

    yield set_rates
    cache.clear()


def test_token_over_its_rate_gets_429_with_headers(api, n1_agent, rates):
    rates(token="3/min", address="100/min")
    client = api(n1_agent)
    answers = [client.get("/api/v1/tickets") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0]["RateLimit-Limit"] == "3"
    assert answers[0]["RateLimit-Remaining"] == "2"
    assert answers[3]["RateLimit-Remaining"] == "0"
    assert int(answers[3]["Retry-After"]) > 0
    assert answers[3].json()["error"]["code"] == "throttled"
    # Another token of the same address is not held back by the first one.
    assert api(n1_agent).get("/api/v1/tickets").status_code == 200


def test_address_limit_holds_back_anonymous_token_guessing(api, rates):
    rates(token="100/min", address="2/min")
    client = api(raw="jrn_guess")
    codes = [client.get("/api/v1/tickets").status_code for _ in range(3)]
    assert codes == [401, 401, 429]


def test_the_allowance_refills_evenly_after_a_burst(api, n1_agent, rates):
    import time_machine

    rates(token="3/min", address="100/min")
    client = api(n1_agent)
    with time_machine.travel("2026-12-07 10:00:00", tick=False) as clock:
        burst = [client.get("/api/v1/tickets").status_code for _ in range(4)]
        refused = client.get("/api/v1/tickets")
        clock.shift(21)  # one request's share of the minute (20 s) later
        again = client.get("/api/v1/tickets")
        too_soon = client.get("/api/v1/tickets")

    assert burst == [200, 200, 200, 429]
    assert 19 <= int(refused["Retry-After"]) <= 20
    assert again.status_code == 200
    assert again["RateLimit-Remaining"] == "0"
    assert too_soon.status_code == 429
