import pytest
from django.test import override_settings

from helpdesk.celery import app as celery_app


@pytest.fixture
def unreachable_broker():
    # Both: Celery before 5.7 copies broker_url into broker_write_url when it reads the settings,
    # and connection_for_write() reads the latter.
    keys = ("broker_url", "broker_write_url")
    original = {key: celery_app.conf[key] for key in keys}
    for key in keys:
        celery_app.conf[key] = "redis://127.0.0.1:9/0"  # discard port: nothing listens
    yield
    for key, value in original.items():
        celery_app.conf[key] = value


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
