"""What a load costs besides its time: the PostgreSQL connections it holds, sampled while it runs,
and where its CPU went per request, read from /proc before and after it (Linux)."""

import os
import threading
from contextlib import contextmanager

import psycopg2

WEB = ("gunicorn", "uvicorn")  # in the command line of the web server's processes
SERVERS = ("postgres", "pgbouncer", "redis-server")  # process names


def _process(pid: str) -> tuple[str, str, int, float] | None:
    """(command line, name, parent's pid, CPU seconds so far) of a living process."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as file:
            command = file.read().replace(b"\0", b" ").decode(errors="replace")
        with open(f"/proc/{pid}/stat") as file:
            head, _, tail = file.read().rpartition(")")
    except OSError:
        return None
    fields = tail.split()
    seconds = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return command, head.partition("(")[2], int(fields[1]), seconds


def _times() -> dict[str, float]:
    """CPU seconds used so far by each group's living processes, and the machine's idle time.
    A web server's processes are its own and those it started (uvicorn's workers are spawned
    interpreters whose command line does not name it)."""
    processes = {int(pid): found for pid in os.listdir("/proc") if pid.isdigit()
                 if (found := _process(pid)) is not None}  # fmt: skip
    web = {pid for pid, (command, _, _, _) in processes.items() if any(m in command for m in WEB)}
    used: dict[str, float] = {}
    for pid, (_, name, parent, seconds) in processes.items():
        if pid in web or parent in web:
            group = "web"
        else:
            group = next((server for server in SERVERS if name.startswith(server)), None)
        if group is not None:
            used[group] = used.get(group, 0.0) + seconds
    children = os.times()  # wrk: a child of this process, ended by the time the load is
    used["wrk"] = children.children_user + children.children_system
    with open("/proc/stat") as file:
        total = [int(value) for value in file.readline().split()[1:]]
    used["idle"] = (total[3] + total[4]) / os.sysconf("SC_CLK_TCK")  # idle + iowait, all CPUs
    return used


@contextmanager
def cpu_per_request():
    """Yields a dict filled, once the block ends, with each group's CPU in microseconds per
    request (set "requests" in it before the block ends), and the machine's idle CPU per
    request ("idle"). wrk is counted once it has ended, as this process's children."""
    before = _times()
    spent: dict = {}
    yield spent
    after = _times()
    requests = spent.pop("requests", 0)
    if requests:
        for group, seconds in after.items():
            spent[group] = round((seconds - before.get(group, 0.0)) / requests * 1e6)


class ConnectionSampler:
    """Largest number of PostgreSQL connections seen while a load runs: those to the bench's
    database (or of one role), and all of the server's client connections."""

    def __init__(self, database_url: str):
        self.database_url = database_url

    @contextmanager
    def sampling(self, *, role: str = ""):
        peak = {"database": 0, "server": 0}
        stop = threading.Event()
        conn = psycopg2.connect(self.database_url)
        conn.autocommit = True
        query = (
            "SELECT count(*) FILTER (WHERE (usename = %(role)s OR (%(role)s = '' AND "
            "datname = current_database())) AND pid <> pg_backend_pid()), count(*) - 1 "
            "FROM pg_stat_activity WHERE backend_type = 'client backend'"
        )

        def sample():
            with conn.cursor() as cursor:
                while not stop.is_set():
                    cursor.execute(query, {"role": role})
                    ours, everyone = cursor.fetchone()
                    peak["database"] = max(peak["database"], ours)
                    peak["server"] = max(peak["server"], everyone)
                    stop.wait(0.2)

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        try:
            yield peak
        finally:
            stop.set()
            thread.join(timeout=5)
            conn.close()
