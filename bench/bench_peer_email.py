# ruff: noqa: E501
"""Email ingestion beside the peer, django-helpdesk 2.6.1, on the peer's own workload, in one run
on the same PostgreSQL server and Redis (issue 9):

  (a) django-helpdesk `get_email` in one process, reading a local mail directory, its queue
      sending acknowledgements (to an in-memory mail backend);
  (b) Jornada `ingest_email` processing inline in one process (fresh database, a mailbox with
      acknowledgements on);
  (c) Jornada `ingest_email --queue` plus one Celery worker with 2 processes, from the first
      event stored to the last one processed;
  (d) the floor: `parse_email` alone, and parsing plus the fewest INSERTs (bench/_email_floor.py),
      in 1 and 2 processes.

The corpus comes from ../shared/bench/gen_emails.py: N new conversations, then M replies from the
same senders (`--same-sender`), tagged in each system's own format with the ticket ids it
assigned (Jornada: `[#{number}]`). Threading is checked on the untagged replies to another reply.
Then Jornada's SQL statements and transactions per new-ticket and per reply email (after-commit
subscribers run; BEGIN/COMMIT/SAVEPOINT/RELEASE not counted), and the queued tasks (delivering the
acknowledgement) counted apart.

    .venv/bin/python bench/bench_peer_email.py [--new 1400 --replies 600] [--json PATH]

Databases `peer_bench` and `jornada_bench_peer` on BENCH_PG_URL's server (default
postgres://postgres@127.0.0.1:5432) are dropped and recreated; Redis is BENCH_REDIS_URL (default
redis://127.0.0.1:6379/4), whose Celery queues are purged. The peer is installed into bench/.peer/
on the first run. Work files (corpus, maps, logs, runs.json with every figure and the SQL of one
email of each kind) go to var/bench/peer_email/<time>/, replaced by the next run.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _peer_helpdesk as peer  # noqa: E402
import psycopg2  # noqa: E402
import redis  # noqa: E402
from _report import Report, add_json_argument  # noqa: E402

GEN = Path(os.environ.get("BENCH_GEN_EMAILS", ROOT.parent / "shared" / "bench" / "gen_emails.py"))
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/4")
JORNADA_DB, PEER_DB = "jornada_bench_peer", "peer_bench"
WORK = ROOT / "var" / "bench" / "peer_email"
DRIVER = Path(__file__).resolve().parent / "_jornada_driver.py"
CELERY_QUEUES = "default,inbound,outbound,sla"  # as scripts/run.sh starts the worker
PEER_LABEL = "django-helpdesk 2.6.1 get_email (one process)"


def step(text: str) -> None:
    print(f"-- {text}", flush=True)


# --- the servers ------------------------------------------------------------------------------


def pg_params(name: str) -> dict:
    url = urlsplit(PG_URL)
    return {"NAME": name, "USER": url.username or "postgres", "PASSWORD": url.password or "",
            "HOST": url.hostname or "127.0.0.1", "PORT": url.port or 5432}  # fmt: skip


def pg_url(name: str) -> str:
    p = pg_params(name)
    auth = p["USER"] + (f":{p['PASSWORD']}" if p["PASSWORD"] else "")
    return f"postgres://{auth}@{p['HOST']}:{p['PORT']}/{name}"


def recreate_database(name: str) -> None:
    p = pg_params("postgres")
    admin = psycopg2.connect(dbname="postgres", user=p["USER"], password=p["PASSWORD"] or None,
                             host=p["HOST"], port=p["PORT"])  # fmt: skip
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])  # fmt: skip
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def server_versions() -> dict:
    p = pg_params("postgres")
    conn = psycopg2.connect(dbname="postgres", user=p["USER"], password=p["PASSWORD"] or None,
                            host=p["HOST"], port=p["PORT"])  # fmt: skip
    with conn.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    conn.close()
    return {
        "postgresql": postgres,
        "redis": redis.Redis.from_url(REDIS_URL).info()["redis_version"],
    }


def purge_queues() -> None:
    client = redis.Redis.from_url(REDIS_URL)
    client.delete(*CELERY_QUEUES.split(","))
    for key in client.scan_iter("*inbound-drain-scheduled*"):
        client.delete(key)


# --- corpus -----------------------------------------------------------------------------------


def generate(phase: str, outdir: Path, n: int, seed: int, *extra: str) -> None:
    subprocess.run([sys.executable, str(GEN), phase, str(outdir), "--n", str(n), "--seed", str(seed), *extra],
                   check=True, stdout=subprocess.DEVNULL)  # fmt: skip


def replies_for(system: str, mapping: Path, corpus: Path, args, *tag: str) -> Path:
    """The replies phase, tagged with the ids `system` assigned; its manifest kept beside."""
    outdir = corpus / f"replies_{system}"
    generate(
        "replies", outdir, args.replies, args.seed, "--map", str(mapping), "--same-sender", *tag
    )
    shutil.copy(corpus / "manifest_replies.json", corpus / f"manifest_replies_{system}.json")
    return outdir


def rewrite_ids(sources: list[Path], outdir: Path, prefix: str, *, new_sender: bool) -> None:
    """Copies with fresh Message-IDs (and fresh senders for new tickets): emails the system has
    not seen, for counting its statements on a warm database."""
    import email

    outdir.mkdir(parents=True, exist_ok=True)
    for index, source in enumerate(sources):
        raw = source.read_bytes()
        headers = email.message_from_bytes(raw.split(b"\n\n", 1)[0] + b"\n\n")
        raw = raw.replace(headers["Message-ID"].encode(), f"<{prefix}-{index}@cliente.example.pt>".encode(), 1)  # fmt: skip
        if new_sender:
            sender = email.utils.parseaddr(headers["From"])[1]
            raw = raw.replace(sender.encode(), f"{prefix}{index}@novo.example.pt".encode(), 1)
        (outdir / source.name).write_bytes(raw)


# --- the systems ------------------------------------------------------------------------------


def jornada_env() -> dict:
    return {**os.environ, "DATABASE_URL": pg_url(JORNADA_DB), "REDIS_URL": REDIS_URL,
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings.local", "DEBUG": "0",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            # Every new ticket acknowledged, as the peer does: the desk's hourly budget (a guard
            # against relaying, 200 by default) would stop them partway through the corpus.
            "JORNADA_ACKNOWLEDGEMENTS_PER_HOUR": "1000000"}  # fmt: skip


def jornada(command: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, str(DRIVER), command, *map(str, args)], cwd=ROOT,
                          env=jornada_env(), capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"jornada {command} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def fresh_jornada(work: Path, setup: str) -> None:
    """A fresh database, migrated, with the support mailbox (acknowledgements on) and, with
    `--setup demo`, what `make run` loads for a new user (seed_demo: SLA policies, teams, agents,
    about a thousand tickets). Built once a run, then restored from a dump."""
    recreate_database(JORNADA_DB)
    dump = work / "jornada_seeded.dump"
    p = pg_params(JORNADA_DB)
    connect = ["-h", p["HOST"], "-p", str(p["PORT"]), "-U", p["USER"], "-d", JORNADA_DB]
    env = {**os.environ, "PGPASSWORD": p["PASSWORD"]}
    if dump.exists():
        subprocess.run(["pg_restore", "--no-owner", *connect, str(dump)], env=env, check=True)
    else:
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=jornada_env(), check=True)  # fmt: skip
        if setup == "demo":
            subprocess.run([*manage, "seed_demo", "--force"], cwd=ROOT, env=jornada_env(), check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        jornada("setup")
        subprocess.run(["pg_dump", "-Fc", "-f", str(dump), *connect], env=env, check=True)
    purge_queues()


def run_peer(corpus: Path, work: Path, args) -> dict:
    peer.ensure_installed()
    recreate_database(PEER_DB)
    maildir = work / "peer_maildir"
    maildir.mkdir(parents=True)
    peer.write_project(database=pg_params(PEER_DB), media_root=work / "peer_media")
    peer.run("setup", str(maildir))
    for source in (corpus / "originals").iterdir():
        shutil.copy(source, maildir)
    first = peer.run("ingest")
    peer.run("map", str(work / "peer_map.json"))
    replies = replies_for("peer", work / "peer_map.json", corpus, args)
    for source in replies.iterdir():
        shutil.copy(source, maildir)
    second = peer.run("ingest")
    check = peer.run("check", str(corpus / "manifest_replies_peer.json"))
    return {"new": first, "replies": second, "check": check,
            "messages": first["files"] + second["files"],
            "seconds": first["seconds"] + second["seconds"]}  # fmt: skip


def run_inline(corpus: Path, work: Path, args) -> dict:
    fresh_jornada(work, args.setup)
    first = jornada("inline", corpus / "originals")
    jornada("map", work / "inline_map.json")
    replies = replies_for("inline", work / "inline_map.json", corpus, args, "--tag", "[#{id}]")
    second = jornada("inline", replies)
    check = jornada("check", corpus / "manifest_replies_inline.json")
    sample = min(args.count_sample, args.new, args.replies) + 1  # the first one warms up
    originals = sorted((corpus / "originals").iterdir())[:sample]
    rewrite_ids(originals, work / "count_new", "count-new", new_sender=True)
    rewrite_ids(sorted(replies.iterdir())[:sample], work / "count_reply", "count-reply", new_sender=False)  # fmt: skip
    counts = jornada("count", work / "count_new", work / "count_reply")
    return {"new": first, "replies": second, "check": check, "counts": counts,
            "messages": first["messages"] + second["messages"],
            "seconds": first["seconds"] + second["seconds"]}  # fmt: skip


def start_worker(log: Path, concurrency: int) -> subprocess.Popen:
    handle = log.open("w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "-c", str(concurrency),
         "--queues", CELERY_QUEUES, "--pool", "prefork", "--loglevel", "INFO",
         "--hostname", f"bench-peer-{uuid.uuid4().hex[:6]}@%h"],
        cwd=ROOT, env=jornada_env(), stdout=handle, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while "ready." not in log.read_text(errors="replace"):
        if worker.poll() is not None or time.monotonic() > deadline:
            worker.kill()
            raise RuntimeError(f"the Celery worker did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    return worker


def run_queue(corpus: Path, work: Path, args) -> dict:
    fresh_jornada(work, args.setup)
    worker = start_worker(work / "worker.log", args.concurrency)
    try:
        first = jornada("store", corpus / "originals")
        jornada("map", work / "queue_map.json")
        replies = replies_for("queue", work / "queue_map.json", corpus, args, "--tag", "[#{id}]")
        second = jornada("store", replies)
        deadline = time.monotonic() + 120  # let the acknowledgements go out before stopping
        while jornada("outbound")["outbound"].get("queued") and time.monotonic() < deadline:
            time.sleep(1)
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    check = jornada("check", corpus / "manifest_replies_queue.json")
    return {"new": first, "replies": second, "check": check, "outbound": jornada("outbound"),
            "messages": first["messages"] + second["messages"],
            "seconds": first["seconds"] + second["seconds"]}  # fmt: skip


def run_floor(corpus: Path, work: Path, args) -> dict:
    parse = jornada("parse", corpus / "originals", corpus / "replies_queue")
    floors = {}
    for procs in args.floor_procs:
        floors[procs] = jornada("floor", corpus / "originals", corpus / "replies_queue", procs,
                                work / f"floor_media_{procs}")  # fmt: skip
    return {"parse": parse, "floors": floors}


# --- report -----------------------------------------------------------------------------------


def rate(run: dict) -> float:
    return run["messages"] / run["seconds"]


def threaded(run: dict) -> str:
    check = run["check"]
    return f"{check['untagged_reply_to_reply_threaded']}/{check['untagged_reply_to_reply']}"


def build_report(runs: dict, args) -> Report:
    report = Report("peer_email")
    workload = f"{args.new} new + {args.replies} replies"
    if "peer" in runs:
        p = runs["peer"]
        report.baseline("peer_get_email", rate(p), unit="msg/s", label=PEER_LABEL)
        report.baseline("peer_threaded_reply_to_reply", p["check"]["untagged_reply_to_reply_threaded"],
                        unit=f"of {p['check']['untagged_reply_to_reply']}",
                        label="django-helpdesk: untagged reply-to-reply threaded")  # fmt: skip
        report.baseline("peer_statements_per_new_email", p["new"]["statements"] / p["new"]["files"],
                        unit="statements", label="django-helpdesk: SQL statements per new-ticket email (mean, ack included)")  # fmt: skip
        report.baseline("peer_statements_per_reply_email", p["replies"]["statements"] / p["replies"]["files"],
                        unit="statements", label="django-helpdesk: SQL statements per reply email (mean, ack included)")  # fmt: skip
    floor = runs.get("floor")
    if floor:
        per_message = floor["parse"]["seconds"] / floor["parse"]["messages"]
        report.baseline("parse_email_only", floor["parse"]["messages"] / floor["parse"]["seconds"], unit="msg/s",
                        label=f"floor: parse_email alone, one process ({per_message * 1000:.2f} ms a message)")  # fmt: skip
        for procs, result in floor["floors"].items():
            report.baseline(f"floor_{procs}_proc", result["messages"] / result["seconds"], unit="msg/s",
                            label=f"floor: parse + fewest INSERTs, {procs} process(es)")  # fmt: skip
    peer_key = "peer_get_email" if "peer" in runs else None
    if "inline" in runs:
        i = runs["inline"]
        report.result("jornada_inline", rate(i), unit="msg/s", baseline=peer_key, target=">= 2x peer",
                      label="Jornada ingest_email, processing inline, one process")  # fmt: skip
        report.result("jornada_inline_threaded_reply_to_reply", i["check"]["untagged_reply_to_reply_threaded"],
                      unit=f"of {i['check']['untagged_reply_to_reply']}", baseline="peer_threaded_reply_to_reply" if peer_key else None,
                      target="all", ratio=False, label="Jornada inline: untagged reply-to-reply threaded")  # fmt: skip
        for kind, peer_base in (
            ("new_ticket", "peer_statements_per_new_email"),
            ("reply", "peer_statements_per_reply_email"),
        ):
            counts = i["counts"][kind]
            report.result(f"sql_statements_per_{kind}_email", counts["statements"]["median"], unit="statements",
                          baseline=peer_base if peer_key else None, target="<= 20" if kind == "new_ticket" else None,
                          label=f"Jornada: SQL statements per {kind.replace('_', '-')} email (median; store + process + after-commit)")  # fmt: skip
            report.result(f"sql_transactions_per_{kind}_email", counts["transactions"]["median"], unit="transactions",
                          target="<= 2" if kind == "new_ticket" else None,
                          label=f"Jornada: transactions per {kind.replace('_', '-')} email (median; "
                                f"{counts['autocommit_statements']['median']} of them single statements in autocommit)")  # fmt: skip
            for task, figures in counts["tasks"].items():
                short = task.rsplit(".", 1)[-1]
                report.result(f"task_{short}_after_{kind}", figures["statements"]["median"], unit="statements",
                              label=f"queued task {task} after a {kind.replace('_', '-')} email, run apart "
                                    f"({figures['per_email']:.2f} per email, {figures['transactions']['median']} transactions, "
                                    f"{figures['ms']['median']:.1f} ms)")  # fmt: skip
    if "queue" in runs:
        q = runs["queue"]
        report.result("jornada_queue_worker", rate(q), unit="msg/s", baseline=peer_key, target=">= 5x peer",
                      label=f"Jornada ingest_email --queue + one worker x{args.concurrency} processes (first store to last processed)")  # fmt: skip
        report.result("jornada_queue_threaded_reply_to_reply", q["check"]["untagged_reply_to_reply_threaded"],
                      unit=f"of {q['check']['untagged_reply_to_reply']}", baseline="peer_threaded_reply_to_reply" if peer_key else None,
                      target="all", ratio=False, label="Jornada queue + worker: untagged reply-to-reply threaded")  # fmt: skip
        if floor and args.concurrency in floor["floors"]:
            floor_rate = floor["floors"][args.concurrency]
            ratio = rate(q) / (floor_rate["messages"] / floor_rate["seconds"])
            report.note(
                f"Jornada queue + worker reaches {ratio:.2f} of the {args.concurrency}-process floor."
            )
        report.note("The worker consumes the queues scripts/run.sh gives it (default, inbound, outbound, sla): "
                    "it delivers the acknowledgements during the measured window, as the peer sends them inline.")  # fmt: skip
        report.note(f"Queue run: stored in {q['new']['store_seconds'] + q['replies']['store_seconds']:.1f} s; "
                    f"outbound messages at the end {q['outbound']['outbound']}; statuses {q['new']['statuses']} / {q['replies']['statuses']}.")  # fmt: skip
    report.note(f"Jornada's database: {'seed_demo data (as make run leaves it) plus' if args.setup == 'demo' else 'migrations only,'} "
                "a mailbox with acknowledgements on; the peer's: migrations and one queue.")  # fmt: skip
    report.note(f"Workload: gen_emails.py, {workload}, seed {args.seed}, replies --same-sender; Jornada tag '[#{{id}}]', the peer's '[support-{{id}}]'.")  # fmt: skip
    report.note("SQL counts on PostgreSQL with after-commit callbacks executed, BEGIN/COMMIT/SAVEPOINT/RELEASE excluded; "
                "tasks queued by an email (the drain task excepted) are run eagerly afterwards and reported apart.")  # fmt: skip
    if "peer" in runs:
        report.note(f"The peer reads its mail directory in os.listdir order; acknowledgements sent: "
                    f"{runs['peer']['new']['emails_sent']} (in-memory backend).")  # fmt: skip
    return report


def print_table(report: Report) -> None:
    print()
    print(f"{'':<5}{'figure':<96} {'value':>10}  {'ratio':>7}  target")
    for key, entry in {**report.baselines, **report.results}.items():
        value = entry["value"]
        text = f"{value:10.1f}" if isinstance(value, float) else f"{value!s:>10}"
        ratio = f"{entry['ratio']:6.2f}x" if "ratio" in entry else ""
        kind = "base" if key in report.baselines else ""
        print(
            f"{kind:<5}{entry['label'][:96]:<96} {text}  {ratio:>7}  {entry.get('target', '')}  {entry['unit']}"
        )
    for note in report.notes:
        print(f"  * {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--new", type=int, default=1400, help="new conversations")
    parser.add_argument("--replies", type=int, default=600)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--concurrency", type=int, default=2, help="processes of the one worker")
    parser.add_argument("--floor-procs", default="1,2", help="process counts for the floor")
    parser.add_argument("--count-sample", type=int, default=20, help="emails of each kind counted")
    parser.add_argument("--setup", choices=["demo", "empty"], default="demo",
                        help="Jornada's database: seed_demo's data (as `make run`) or migrations only")  # fmt: skip
    parser.add_argument(
        "--only", default="peer,inline,queue,floor", help="which runs (comma-separated)"
    )
    add_json_argument(parser)
    args = parser.parse_args()
    args.floor_procs = [int(p) for p in args.floor_procs.split(",") if p]
    only = set(args.only.split(","))
    if not GEN.exists():
        sys.exit(f"The corpus generator is missing: {GEN} (set BENCH_GEN_EMAILS).")

    if WORK.exists():  # the previous run's corpus, dumps and attachments: only the last is kept
        shutil.rmtree(WORK)
    work = WORK / time.strftime("%Y%m%d-%H%M%S")
    corpus = work / "corpus"
    corpus.mkdir(parents=True)
    generate("originals", corpus / "originals", args.new, args.seed)
    versions = server_versions()
    print(f"Corpus {args.new} + {args.replies} emails in {work.relative_to(ROOT)}; PostgreSQL {versions['postgresql']}, "
          f"Redis {versions['redis']}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}", flush=True)  # fmt: skip

    runs = {}
    plan = [("peer", "django-helpdesk get_email", run_peer),
            ("inline", "Jornada ingest_email inline", run_inline),
            ("queue", f"Jornada ingest_email --queue + worker x{args.concurrency}", run_queue),
            ("floor", "floor: parse_email alone, parse + fewest INSERTs", run_floor)]  # fmt: skip
    for key, title, function in plan:
        if key not in only:
            continue
        step(title)
        started = time.perf_counter()
        runs[key] = function(corpus, work, args)
        print(f"   done in {time.perf_counter() - started:.0f} s", flush=True)
    (work / "runs.json").write_text(json.dumps(runs, indent=1, default=str))
    report = build_report(runs, args)
    print_table(report)
    report.write(args.json)


if __name__ == "__main__":
    main()
