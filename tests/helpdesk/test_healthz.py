import pytest
from django.test import override_settings

from tests.celery_settings import celery_settings


@pytest.fixture
def unreachable_broker():
    with celery_settings(broker_url="redis://127.0.0.1:9/0"):  # discard port: nothing listens
        yield


def test_healthz_reports_every_part_ok(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_503_and_names_the_broker_when_it_is_down(client, db, unreachable_broker):
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["broker"].startswith("error")
    assert body["database"] == "ok"


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        }
    }
)
def test_healthz_is_503_when_the_cache_is_unreachable(client, db):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["cache"].startswith("error")


def test_healthz_refuses_post(client, db):
    assert client.post("/healthz").status_code == 405
