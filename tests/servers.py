"""Real servers a test starts in processes of its own, on free loopback ports: a second
redis-server, a throwaway PostgreSQL cluster (initdb / pg_ctl), the app under gunicorn (as
production serves it) and a Celery worker on the project's queues. A test may stop, restart or
kill these; the suite's own PostgreSQL and Redis are never touched."""

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
QUEUES = "default,inbound,outbound,sla"  # as scripts/run.sh starts the worker


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, *, timeout: float, what: str, interval: float = 0.1):
    """Call `check` until it returns something truthy; that value, or AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def _stop(process: subprocess.Popen | None, *, timeout: float = 20) -> None:
    """SIGTERM the process group, SIGKILL it if it lingers."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


class RedisServer:
    """A redis-server of the test's own, without persistence: stop() and start() again on the
    same port lose its content, as a crashed Redis does."""

    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        wait_for(self.answers, timeout=10, what=f"redis-server on port {self.port}")
        return self

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), 0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        _stop(self.process)


class PostgresCluster:
    """A PostgreSQL cluster in a temporary directory (initdb), trust authentication on a free
    loopback port, run by the `postgres` system user when the test runs as root."""

    def __init__(self):
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="jornada-pg-"))
        self.data = self.root / "data"
        self.user = "postgres" if os.geteuid() == 0 else None

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(PG_BIN / args[0]), *args[1:]]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True, timeout=120)

    def init(self) -> "PostgresCluster":
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        return self

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off "
            "-c max_connections=60"
        )
        result = self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-o", options,
            "-w", "-t", "60", "start", check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise AssertionError(f"PostgreSQL did not start: {result.stderr}\n{self.log()}")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def create_database_like(self, source: dict, name: str = "jornada") -> str:
        """A database `name` with the schema of the database described by `source` (Django's
        settings_dict of the test database): the app's tables without running migrations.
        Returns its URL."""
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        dump = subprocess.run(
            [str(PG_BIN / "pg_dump"), "--schema-only", "--no-owner", "--no-privileges",
             "-h", source["HOST"] or "127.0.0.1", "-p", str(source["PORT"] or 5432),
             "-U", source["USER"], source["NAME"]],
            check=True, capture_output=True, timeout=120,
            env={**os.environ, "PGPASSWORD": source.get("PASSWORD") or ""},
        ).stdout  # fmt: skip
        subprocess.run(
            [str(PG_BIN / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
             "-p", str(self.port), "-U", "postgres", "-d", name],
            input=dump, check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def log(self) -> str:
        path = self.root / "log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def app_env(*, database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a server or worker process of the app under test settings, publishing
    to the real broker (not eager)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings.test",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        **extra,
    }


class AppServer:
    """The app under gunicorn (WSGI, gthread), as docker-compose's web service runs it."""

    def __init__(self, env: dict[str, str], *, threads: int = 4):
        self.env = env
        self.threads = threads
        self.port = free_port()
        self.log_path = Path(tempfile.mkstemp(prefix="jornada-gunicorn-", suffix=".log")[1])
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "AppServer":
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "helpdesk.wsgi:application",
                 f"--bind=127.0.0.1:{self.port}", "--workers=1", "--worker-class=gthread",
                 f"--threads={self.threads}", "--timeout=60", "--no-control-socket"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        wait_for(self._up, timeout=60, what=f"gunicorn on port {self.port}:\n{self.log()}")
        return self

    def _up(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"gunicorn exited:\n{self.log()}")
        try:
            urllib.request.urlopen(f"{self.url}/healthz", timeout=5)  # noqa: S310
        except urllib.error.HTTPError:
            return True  # it answers, unhealthy or not
        except OSError:
            return False
        return True

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def stop(self) -> None:
        _stop(self.process)


class CeleryWorker:
    """`celery -A helpdesk worker` on the project's queues, in a process group of its own so
    that kill() takes the pool's children with it, as a machine losing the worker would."""

    def __init__(self, env: dict[str, str], *, concurrency: int = 2, name: str = "drill"):
        self.env = env
        self.concurrency = concurrency
        self.name = name
        self.log_path = Path(tempfile.mkstemp(prefix=f"jornada-{name}-", suffix=".log")[1])
        self.process: subprocess.Popen | None = None

    def start(self) -> "CeleryWorker":
        self.log_path.write_text("")
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "helpdesk", "worker",
                 "--queues", QUEUES, "--concurrency", str(self.concurrency), "--pool", "prefork",
                 "--hostname", f"{self.name}-{os.getpid()}@%h", "--loglevel", "INFO",
                 "--without-gossip", "--without-mingle", "--without-heartbeat"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        wait_for(self._ready, timeout=90, what=f"the celery worker:\n{self.log()}", interval=0.2)
        return self

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"celery worker exited:\n{self.log()}")
        return " ready." in self.log_path.read_text(errors="replace")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def kill(self) -> None:
        """SIGKILL to the worker and its pool processes at once: no task is acknowledged,
        nothing is cleaned up."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        _stop(self.process, timeout=30)
