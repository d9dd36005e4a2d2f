import json
import os
import secrets
import sqlite3
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
        "helpdesk.db.sqlite3",
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


def database_settings(**env):
    code = (
        "import json; from django.conf import settings as s; d = s.DATABASES['default'];"
        "print(json.dumps({k: d.get(k) for k in"
        " ('ENGINE', 'NAME', 'OPTIONS', 'CONN_MAX_AGE', 'DISABLE_SERVER_SIDE_CURSORS')},"
        " default=str))"
    )
    result = run_manage(
        "shell", "--no-imports", "-c", code, DJANGO_SETTINGS_MODULE="helpdesk.settings.local", **env
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_sqlite_database_url_gets_the_options_of_the_embedded_database(tmp_path):
    embedded = database_settings(JORNADA_VAR_DIR=str(tmp_path / "var"))
    from_url = database_settings(DATABASE_URL=f"sqlite:///{tmp_path / 'shared.sqlite3'}")

    assert from_url["ENGINE"] == embedded["ENGINE"] == "helpdesk.db.sqlite3"
    assert from_url["NAME"] == str(tmp_path / "shared.sqlite3")
    assert from_url["OPTIONS"] == embedded["OPTIONS"]
    assert from_url["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert from_url["OPTIONS"]["timeout"] == 20


WRITER = """
from django.db import connection, transaction
for _ in range({writes}):
    # Read, then write, in one transaction: two such writers deadlock on SQLite's lock upgrade
    # ("database is locked" at once) unless the write lock is taken up front.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(n), 0) FROM counter")
        cursor.execute("INSERT INTO counter VALUES (%s)", [cursor.fetchone()[0] + 1])
"""


def test_two_processes_write_to_one_sqlite_database_url_without_locking_errors(tmp_path):
    database = tmp_path / "shared.sqlite3"
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}},
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings.local",
        "DATABASE_URL": f"sqlite:///{database}",
    }
    sqlite3.connect(database).execute("CREATE TABLE counter (n integer)").connection.close()
    writers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", WRITER.format(writes=150)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [writer.communicate(timeout=120) for writer in writers]

    assert [writer.returncode for writer in writers] == [0, 0], outputs
    with sqlite3.connect(database) as check:
        numbers = [n for (n,) in check.execute("SELECT n FROM counter ORDER BY n")]
    assert numbers == list(range(1, 301))


def test_pgbouncer_in_transaction_mode_disables_server_side_cursors():
    direct = database_settings(DATABASE_URL="postgres://u:p@db:5432/jornada")
    pooled = database_settings(
        DATABASE_URL="postgres://u:p@pooler:6432/jornada", DATABASE_POOLER="pgbouncer"
    )

    assert direct["DISABLE_SERVER_SIDE_CURSORS"] is False
    assert pooled["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert pooled["CONN_MAX_AGE"] == direct["CONN_MAX_AGE"] == 60


def test_an_unknown_database_pooler_is_refused():
    result = run_manage(
        "check",
        DJANGO_SETTINGS_MODULE="helpdesk.settings.local",
        DATABASE_URL="postgres://u:p@pooler:6432/jornada",
        DATABASE_POOLER="pgpool",
    )

    assert result.returncode != 0
    assert "DATABASE_POOLER" in result.stderr


def test_the_asgi_server_closes_database_connections_after_each_request():
    code = (
        "import helpdesk.asgi; from django.conf import settings;"
        "print(settings.DATABASES['default']['CONN_MAX_AGE'])"
    )
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_CONN_MAX_AGE"},
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings.local",
        "DATABASE_URL": "postgres://u:p@pooler:6432/jornada",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip

    assert result.stdout.strip() == "0", result.stderr
