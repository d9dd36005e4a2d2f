# ruff: noqa: E501
"""Agent workspace benchmark (issue 4): server time of the inbox and of the ticket page on a help
desk two years into its life: 1,000,000 tickets, 5,000,000 messages, 300,000 customers, 200 agents.
Targets: inbox p95 < 150 ms, ticket page with 100 messages p95 < 200 ms.

    .venv/bin/python bench/bench_workspace.py [--requests 100] [--only inbox] [--regenerate] [--json PATH]

Uses a PostgreSQL database of its own (BENCH_WORKSPACE_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/jornada_bench_ws: created, migrated and loaded on the first run,
31 minutes on a busy 2-core machine, 4.2 GB; reused afterwards) and Redis database 4
(BENCH_WORKSPACE_REDIS_URL); it ignores DATABASE_URL and refuses a database holding tickets it did
not load.
`--scale 0.01` loads a data set a hundred times smaller to try the script quickly.

Each page is requested in-process through Django's test client, logged in as a manager (sees every
ticket) and as an N1 agent (two teams): the full middleware, view, queries and template, i.e. the
server time without the network. The inbox is probed for what it offers (its view links, sort
options, search box, filters), so the benchmark follows the page as it grows. A scenario over its
target gets EXPLAIN (ANALYZE, BUFFERS) of its slowest queries, or a profile when the time is not
spent in the database, written to var/bench/.
"""

import argparse
import cProfile
import html
import io
import os
import pstats
import random
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# Never the DATABASE_URL of the shell: the load empties the tables of the database it is given.
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_WORKSPACE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jornada_bench_ws"
)
os.environ["REDIS_URL"] = os.environ.get("BENCH_WORKSPACE_REDIS_URL", "redis://127.0.0.1:6379/4")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings.local")
os.environ["DEBUG"] = "0"

import dj_database_url  # noqa: E402
import psycopg2  # noqa: E402
from psycopg2 import sql  # noqa: E402


def ensure_database(url: str) -> None:
    """Create the benchmark's database when it does not exist yet (never touches another one)."""
    params = dj_database_url.parse(url)
    admin = psycopg2.connect(dbname="postgres", user=params["USER"], password=params["PASSWORD"] or None,
                             host=params["HOST"] or None, port=params["PORT"] or None)  # fmt: skip
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [params["NAME"]])
        if cursor.fetchone() is None:
            print(f"Creating database {params['NAME']}")
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(params["NAME"])))
    admin.close()


if os.environ["DATABASE_URL"].startswith("postgres"):
    try:
        ensure_database(os.environ["DATABASE_URL"])
    except psycopg2.OperationalError as exc:
        sys.exit(f"The workspace benchmark needs PostgreSQL (DATABASE_URL): {exc}".strip())

import django  # noqa: E402

django.setup()

import _workspace_data as data  # noqa: E402
from _report import Report, add_json_argument  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from tickets import selectors  # noqa: E402
from tickets.models import AgentProfile, Ticket  # noqa: E402
from tickets.selectors import inbox as inbox_module  # noqa: E402

User = get_user_model()
INBOX_TARGET_MS = 150
TICKET_TARGET_MS = 200
OUT_DIR = ROOT / "var" / "bench"


@dataclass
class Scenario:
    name: str
    persona: str
    urls: object  # callable returning the next URL to request
    target_ms: float
    before: object = None  # called before each timed request, outside the timing
    headers: dict = field(default_factory=dict)
    samples: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # this process's CPU time per request
    load: float = 0.0  # the machine's 1-minute load average when the scenario started
    queries: int | None = None
    db_ms: float | None = None
    captured: list[dict] = field(default_factory=list)
    captured_ms: float = 0
    captured_url: str = ""
    plans: list = field(default_factory=list)  # (execution ms, sql, plan lines), slowest first
    db_exec_ms: float = 0.0
    error: str = ""

    def percentile(self, p: float) -> float:
        values = sorted(self.samples)
        return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] * 1000

    @property
    def passed(self) -> bool:
        return not self.error and bool(self.samples) and self.percentile(95) < self.target_ms


def fixed(url: str):
    return lambda: url


def cycling(urls: list[str], rng: random.Random):
    return lambda: rng.choice(urls)


# -------------------------------------------------------------------------------------------
# What the inbox offers right now
# -------------------------------------------------------------------------------------------
@dataclass
class InboxFeatures:
    views: list[str]
    sorts: list[str]
    search: bool
    filters: set[str]


def probe_inbox(client: Client) -> InboxFeatures:
    page = client.get("/agent/").content.decode()
    views = list(dict.fromkeys(re.findall(r'href="[^"]*[?&;]view=([\w-]+)', page)))
    select = re.search(r'<select[^>]*name="sort"[^>]*>(.*?)</select>', page, re.S)
    sorts = re.findall(r'<option value="([\w-]+)"', select.group(1)) if select else []
    filters = set(re.findall(r'name="(status|priority|tier|channel|team|assignee|tag)"', page))
    return InboxFeatures(
        views=views or ["open"], sorts=sorts, search='name="q"' in page, filters=filters
    )


def next_link(page: str) -> str | None:
    match = re.search(r'<a[^>]*rel="next"[^>]*href="([^"]+)"', page) or re.search(
        r'<a[^>]*href="([^"]+)"[^>]*rel="next"', page
    )
    if not match:
        return None
    href = html.unescape(match.group(1))
    return href if href.startswith("/") else "/agent/" + href


def deep_page(client: Client, url: str, depth: int) -> tuple[str | None, int]:
    """Follow the inbox's next-page links `depth` times; the URL reached and how many pages."""
    for reached in range(1, depth + 1):
        found = next_link(client.get(url).content.decode())
        if not found:
            return url, reached
        url = found
    return url, depth + 1


# -------------------------------------------------------------------------------------------
# Scenarios
# -------------------------------------------------------------------------------------------
def personas() -> dict[str, User]:
    manager = User.objects.filter(agent_profile__is_manager=True).order_by("pk").first()
    agent = (
        AgentProfile.objects.filter(is_manager=False, tier="N1")
        .order_by("pk")
        .select_related("user")
        .first()
        .user
    )
    return {"manager": manager, "agent": agent}


def ensure_saved_views(users: dict[str, User]) -> list[tuple[str, str]]:
    """A few saved views per persona, so that an inbox that lists them renders them."""
    try:
        from tickets.models import SavedView
    except ImportError:
        return []
    views = [("Urgentes abertos", "view=open&priority=urgent"), ("WhatsApp N1", "view=open&channel=whatsapp&tier=N1"),
             ("Boletos", "view=open&tag=boleto")]  # fmt: skip
    for user in users.values():
        for position, (name, query) in enumerate(views):
            SavedView.objects.get_or_create(
                owner=user, name=name, defaults={"query": query, "position": position}
            )
    return views


def build_scenarios(
    clients: dict[str, Client],
    users: dict[str, User],
    features: InboxFeatures,
    depth: int,
    rng: random.Random,
) -> list[Scenario]:
    scenarios = []
    long_ids = list(
        Ticket.objects.filter(pk__in=data.long_ticket_ids(current_plan)).values_list(
            "number", flat=True
        )
    )
    saved = ensure_saved_views(users)
    forget = getattr(inbox_module, "forget_view_counts", None)
    for persona in ("manager", "agent"):
        client, user = clients[persona], users[persona]

        def inbox(name: str, url: str, persona: str = persona, htmx: bool = False) -> None:
            """htmx: the request the page's own filters, search box and next-page link make,
            answered with the list alone when the inbox supports it."""
            headers = {"HX-Request": "true", "HX-Target": "ticket-list"} if htmx else {}
            name = f"{name} [htmx list]" if htmx else name
            scenarios.append(Scenario(name, persona, fixed(url), INBOX_TARGET_MS, headers=headers))

        inbox("inbox (default view)", "/agent/")
        if forget:  # the view counts are cached a few seconds: also time the page recounting them
            scenarios.append(
                Scenario("inbox view=open, counts recomputed", persona, fixed("/agent/?view=open"),
                         INBOX_TARGET_MS, before=lambda user=user: forget(agent=user))
            )  # fmt: skip
        for view in features.views:
            inbox(f"inbox view={view}", f"/agent/?view={view}")
        inbox("inbox view=open", "/agent/?view=open", htmx=True)
        for sort in features.sorts[1:]:
            inbox(f"inbox view=open sort={sort}", f"/agent/?view=open&sort={sort}", htmx=True)
        for name, query in saved:
            wanted = {part.split("=")[0] for part in query.split("&")} - {"view"}
            if wanted <= features.filters:
                inbox(f"saved view '{name}'", f"/agent/?{query}")
        if features.search:
            number = rare_search_term()
            inbox("search q=boleto", "/agent/?view=open&q=boleto", htmx=True)
            inbox("search q='nota fiscal'", "/agent/?view=open&q=nota+fiscal", htmx=True)
            inbox("search q=boleto view=solved", "/agent/?view=solved&q=boleto", htmx=True)
            inbox(f"search q='pedido {number}'", f"/agent/?view=open&q=pedido+{number}", htmx=True)
        view = "team" if persona == "agent" and "team" in features.views else "open"
        deep, reached = deep_page(client, f"/agent/?view={view}", depth)
        if deep and reached > 1:
            inbox(f"inbox view={view} page {reached}", deep, htmx=True)
        in_scope = list(
            selectors.ticket_scope_for_agent(agent=user)
            .filter(number__in=long_ids)
            .values_list("number", flat=True)
        )
        if in_scope:
            scenarios.append(
                Scenario(
                    "ticket page, 100 messages",
                    persona,
                    cycling([f"/agent/tickets/{n}/" for n in in_scope], rng),
                    TICKET_TARGET_MS,
                )
            )
        typical = list(
            selectors.ticket_scope_for_agent(agent=user)
            .filter(pk__in=[rng.randint(1, Ticket.objects.count()) for _ in range(500)])
            .values_list("number", flat=True)
        )
        if typical:
            scenarios.append(
                Scenario(
                    "ticket page, typical",
                    persona,
                    cycling([f"/agent/tickets/{n}/" for n in typical], rng),
                    TICKET_TARGET_MS,
                )
            )
    return scenarios


def rare_search_term() -> str:
    """An order number one customer wrote: what an agent pastes into the search box."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT substring(body_text from 'pedido ([0-9]{6})') FROM tickets_message "
                       "WHERE id >= (SELECT max(id) FROM tickets_message) / 2 AND body_text ~ 'pedido [0-9]{6}' LIMIT 1")  # fmt: skip
        row = cursor.fetchone()
    return row[0] if row else "123456"


# -------------------------------------------------------------------------------------------
# Measuring
# -------------------------------------------------------------------------------------------
def measure(
    scenario: Scenario, client: Client, *, requests: int, warmup: int, max_seconds: float
) -> None:
    scenario.load = os.getloadavg()[0]
    try:
        for _ in range(warmup):
            response = client.get(scenario.urls(), headers=scenario.headers)
            if response.status_code != 200:
                scenario.error = f"HTTP {response.status_code}"
                return
        deadline = time.perf_counter() + max_seconds
        for _ in range(requests):
            url = scenario.urls()
            if scenario.before:
                scenario.before()
            started, cpu = time.perf_counter(), time.process_time()
            response = client.get(url, headers=scenario.headers)
            scenario.samples.append(time.perf_counter() - started)
            scenario.cpu.append(time.process_time() - cpu)
            if response.status_code != 200:
                scenario.error = f"HTTP {response.status_code} on {url}"
                return
            if time.perf_counter() > deadline and len(scenario.samples) >= 20:
                break
        # Query count and database time of one more request (capturing slows it down a little).
        url = scenario.urls()
        if scenario.before:
            scenario.before()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            client.get(url, headers=scenario.headers)
            scenario.captured_ms = (time.perf_counter() - started) * 1000
        scenario.queries = len(captured.captured_queries)
        scenario.captured = captured.captured_queries
        scenario.captured_url = url
        scenario.db_ms = sum(float(q["time"]) for q in captured.captured_queries) * 1000
        analyze(scenario)
    except Exception as exc:  # a broken page is reported, the others still run
        scenario.error = f"{type(exc).__name__}: {exc}"[:120]


def analyze(scenario: Scenario) -> None:
    """EXPLAIN ANALYZE every read of the captured request: the database's own execution time,
    which the machine's load inflates far less than the wall clock."""
    scenario.plans = []
    # Replayed in one transaction that is rolled back, with the settings the page itself made
    # (e.g. SET LOCAL work_mem before a search) applied locally, in order.
    with transaction.atomic(), connection.cursor() as cursor:
        for query in scenario.captured:
            statement = query["sql"].lstrip()
            if re.match(r"SET\b", statement, re.I):
                cursor.execute(re.sub(r"^SET\s+(LOCAL\s+)?", "SET LOCAL ", statement, flags=re.I))
            if not statement.upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement)
            plan = [row[0] for row in cursor.fetchall()]
            executed = next((p for p in plan if p.startswith("Execution Time")), "0 ms")
            scenario.plans.append((float(re.findall(r"[\d.]+", executed)[0]), statement, plan))
        transaction.set_rollback(True)
    scenario.plans.sort(key=lambda entry: entry[0], reverse=True)
    scenario.db_exec_ms = sum(entry[0] for entry in scenario.plans)


def explain(scenario: Scenario, client: Client, out) -> str:
    """The plans of its slowest queries, and a profile when most of the time is spent outside the
    database; written to `out`, summed up in the returned text."""
    out.write(f"\n{'=' * 100}\n{scenario.persona}: {scenario.name}  (p95 {scenario.percentile(95):.0f} ms, "
              f"{scenario.queries} queries, database execution {scenario.db_exec_ms:.1f} ms, "
              f"request {scenario.captured_ms:.0f} ms)\nURL {scenario.captured_url}\n")  # fmt: skip
    summary = []
    for executed, sql_text, plan in scenario.plans[:4]:
        if executed < 1:
            break
        out.write(f"\n-- {executed:.1f} ms\n{sql_text}\n" + "\n".join(plan) + "\n")
        summary.append(f"    {executed:7.1f} ms  {plan[0][:100]}")
    if scenario.db_exec_ms < scenario.captured_ms / 2:
        profiler = cProfile.Profile()
        url = scenario.urls()
        if scenario.before:
            scenario.before()
        profiler.enable()
        client.get(url, headers=scenario.headers)
        profiler.disable()
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(25)
        out.write(f"\n-- profile of {url}\n{stream.getvalue()}")
        summary.append("    most of the time is spent outside the database: see the profile")
    return "\n".join(summary)


def machine_context() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version'), current_setting('shared_buffers'), current_setting('work_mem'), "
                       "pg_size_pretty(pg_database_size(current_database()))")  # fmt: skip
        version, buffers, work_mem, size = cursor.fetchone()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{os.cpu_count()} cores, load average {load}; PostgreSQL {version} (shared_buffers {buffers}, "
            f"work_mem {work_mem}), database {size}; Python {sys.version.split()[0]}")  # fmt: skip


current_plan = data.Plan()


def main():
    global current_plan
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="data set size (1 = a million tickets)"
    )
    parser.add_argument(
        "--regenerate", action="store_true", help="reload the data set from scratch"
    )
    parser.add_argument(
        "--reload-from",
        choices=[name for name, _t, _m in data.STAGES],
        help="reload this stage of the data set and the ones after it",
    )
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--requests", type=int, default=100, help="timed requests per scenario")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument(
        "--max-seconds", type=float, default=120, help="per scenario (at least 20 requests)"
    )
    parser.add_argument(
        "--depth", type=int, default=20, help="keyset pages to follow for the deep page"
    )
    parser.add_argument("--only", default="", help="run the scenarios whose name contains this")
    add_json_argument(parser)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("The workspace benchmark needs PostgreSQL (DATABASE_URL).")
    current_plan = data.Plan().scaled(args.scale)
    name = settings.DATABASES["default"]["NAME"]
    print(f"Database {name} on {settings.DATABASES['default']['HOST']}, Redis {settings.REDIS_URL}")
    data.refuse_foreign_database()
    call_command("migrate", verbosity=0)

    reload = args.regenerate or args.reload_from
    ready = None if reload else data.dataset_ready(current_plan)
    if ready:
        print(
            f"Data set reused: loaded {ready['finished_at']:%Y-%m-%d %H:%M} in {ready['seconds'] / 60:.1f} min"
        )
        shifted = data.shift_clock(ready["anchor"])
        if shifted:
            print(
                f"Ticket times moved {shifted:.1f} days forward (SLA due times and 'recently' stay current)"
            )
    else:
        p = current_plan
        print(
            f"Loading the data set: {p.tickets:,} tickets, {p.messages:,} messages, {p.customers:,} customers, {p.agents} agents"
        )
        seconds = data.generate(
            current_plan, regenerate=args.regenerate, reload_from=args.reload_from or ""
        )
        print(f"Data set loaded in {seconds / 60:.1f} min")
    if args.generate_only:
        return

    users = personas()
    clients = {}
    for persona, user in users.items():
        clients[persona] = Client(HTTP_HOST="localhost")
        clients[persona].force_login(user)
    features = probe_inbox(clients["agent"])
    print(
        f"Inbox offers views {features.views}, sorts {features.sorts or '-'}, search {'yes' if features.search else 'no'}, filters {sorted(features.filters)}"
    )
    rng = random.Random(4)
    scenarios = [
        s for s in build_scenarios(clients, users, features, args.depth, rng) if args.only in s.name
    ]
    print(f"Machine: {machine_context()}")
    print(
        f"{len(scenarios)} scenarios, {args.warmup} warm-up + up to {args.requests} requests each\n"
    )
    header = (
        f"{'persona':<8} {'scenario':<40} {'n':>4} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} "
        f"{'cpu p50':>7} {'queries':>7} {'db exec':>7} {'load':>5}  target"
    )
    print(header)
    print("-" * len(header))
    started = time.perf_counter()
    for scenario in scenarios:
        measure(
            scenario,
            clients[scenario.persona],
            requests=args.requests,
            warmup=args.warmup,
            max_seconds=args.max_seconds,
        )
        print(row(scenario), flush=True)
    print(
        f"\n{len(scenarios)} scenarios in {time.perf_counter() - started:.0f} s; machine now: load average "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg())
    )

    failed = [s for s in scenarios if s.samples and not s.passed and not s.error]
    if failed:
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        path = OUT_DIR / f"workspace-explain-{time.strftime('%Y%m%d-%H%M%S')}.txt"
        print(
            f"\nOver target: slowest queries (EXPLAIN ANALYZE, BUFFERS in {path.relative_to(ROOT)})"
        )
        with path.open("w") as out:
            for scenario in failed:
                print(f"  {scenario.persona}: {scenario.name}")
                print(explain(scenario, clients[scenario.persona], out))
    passed = sum(s.passed for s in scenarios)
    print(f"\n{passed} passed, {len(scenarios) - passed} failed")
    report = Report("workspace")
    for s in scenarios:
        if s.samples:
            report.result(f"{s.persona}:{s.name}", round(s.percentile(95), 1), unit="ms p95",
                          target=f"< {s.target_ms:.0f}", label=f"{s.persona}: {s.name}")  # fmt: skip
    report.note(f"{passed} passed, {len(scenarios) - passed} failed; machine: {machine_context()}")
    report.write(args.json)


def row(s: Scenario) -> str:
    if s.error and not s.samples:
        return f"{s.persona:<8} {s.name[:40]:<40} {'':>4} {'skipped: ' + s.error}"
    p = s.percentile
    verdict = "ERROR " + s.error if s.error else ("PASS" if s.passed else "FAIL")
    cpu = sorted(s.cpu)[len(s.cpu) // 2] * 1000 if s.cpu else 0
    return (f"{s.persona:<8} {s.name[:40]:<40} {len(s.samples):>4} {p(50):7.1f} {p(95):7.1f} {p(99):7.1f} "
            f"{max(s.samples) * 1000:7.1f} {cpu:7.1f} {s.queries if s.queries is not None else '-':>7} "
            f"{s.db_exec_ms:7.1f} {s.load:5.1f}  <{s.target_ms:.0f} {verdict}")  # fmt: skip


if __name__ == "__main__":
    main()
