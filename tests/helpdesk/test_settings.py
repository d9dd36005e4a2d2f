import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    full_env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_the_deploy_check():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="helpdesk.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="help.example.com",
        DATABASE_URL="postgres://jornada:secret@db.example.com:5432/jornada",
        REDIS_URL="redis://cache.example.com:6379/0",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_the_development_secret_key():
    result = run_manage(
        "check", DJANGO_SETTINGS_MODULE="helpdesk.settings.production", SECRET_KEY=""
    )

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_database_and_redis_urls_switch_the_whole_stack():
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'],"
        " s.CELERY_BROKER_URL, s.CHANNEL_LAYERS['default']['BACKEND'])"
    )
    embedded = run_manage(
        "shell", "--no-imports", "-c", code, DJANGO_SETTINGS_MODULE="helpdesk.settings.local"
    )
    real = run_manage(
        "shell",
        "--no-imports",
        "-c",
        code,
        DJANGO_SETTINGS_MODULE="helpdesk.settings.local",
        DATABASE_URL="postgres://u:p@db:5432/jornada",
        REDIS_URL="redis://cache:6379/1",
    )

    assert embedded.stdout.split() == [
        "django.db.backends.sqlite3",
        "django.core.cache.backends.locmem.LocMemCache",
        "filesystem://",
        "channels.layers.InMemoryChannelLayer",
    ], embedded.stderr
    assert real.stdout.split() == [
        "django.db.backends.postgresql",
        "django.core.cache.backends.redis.RedisCache",
        "redis://cache:6379/1",
        "channels_redis.core.RedisChannelLayer",
    ], real.stderr


def test_default_time_zone_is_sao_paulo(settings):
    assert settings.TIME_ZONE == "America/Sao_Paulo"


def test_production_refuses_to_run_on_the_embedded_stack():
    result = run_manage(
        "check",
        DJANGO_SETTINGS_MODULE="helpdesk.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
    )

    assert result.returncode != 0
    assert "REDIS_URL" in result.stderr
