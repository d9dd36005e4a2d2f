"""Test settings: fast hashing, mail kept in memory, Celery eager unless a test starts a worker.

DATABASE_URL / REDIS_URL still switch to PostgreSQL / Redis, which is how CI's second leg runs.
"""

import hashlib
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# A test that starts a real worker sets CELERY_TASK_ALWAYS_EAGER=0 for that worker process.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", True)
CELERY_TASK_EAGER_PROPAGATES = True
# SQLite's test database is a file (in RAM where the system has /dev/shm), not Django's default
# shared in-memory one: that one locks whole tables between connections, so the threads of the
# browser and websocket tests (the server's, the chat's database threads) failed on each other
# with "database table is locked" at once, where a file in WAL mode, as make run uses, lets
# readers through and a writer waits (SQLITE_OPTIONS' timeout). One file per checkout.
if DATABASES["default"]["ENGINE"] == SQLITE_ENGINE:  # noqa: F405
    _shm = Path("/dev/shm")  # noqa: S108 (a name of our own per checkout, see below)
    _folder = _shm if _shm.is_dir() else Path(tempfile.gettempdir())
    _checkout = hashlib.sha256(str(BASE_DIR).encode()).hexdigest()[:10]  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(_folder / f"jornada-test-{_checkout}.sqlite3")}  # noqa: F405
# Eager drains run inside the request that schedules them: no guard, no drain lingering after it.
JORNADA = {**JORNADA, "INBOUND_DRAIN_GUARD_SECONDS": 0.0}  # noqa: F405
# The acknowledgement budget is counted per hour in the cache, which outlives a test: a suite
# sends more than a desk's hourly share (tests of the budget set their own, counted from zero).
JORNADA["ACKNOWLEDGEMENTS_PER_HOUR"] = 1_000_000
# Webhook receivers are test servers on loopback; which events are subscribed to is read from
# the cache every time (a test's subscriptions are gone with its transaction).
JORNADA["WEBHOOK_ALLOW_PRIVATE"] = True
JORNADA["WEBHOOK_FLAG_SECONDS"] = 0.0
JORNADA["WS_GC_UNFREEZE_SECONDS"] = 0.0  # tests import helpdesk.asgi: no freezing there
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="jornada-test-media-"))
PRIVATE_MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="jornada-test-private-"))
KB_MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="jornada-test-kb-media-"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "attachments": {
        "BACKEND": "tickets.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LANGUAGE_CODE = "en"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
