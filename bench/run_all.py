# ruff: noqa: E501
"""`make bench`: every bench/bench_*.py in turn, each with `--json PATH` (the convention is in
bench/_report.py), then bench/results/<YYYY-MM-DD>.json (every result plus the machine: cores,
load average before and after, PostgreSQL and Redis versions, git commit) and
bench/results/<YYYY-MM-DD>.md (one table per benchmark, each figure beside its baseline).

A benchmark that fails is reported and the others still run; the exit status is 1 if any failed.
Each one's output goes to var/bench/logs/.

Environment:
  BENCH_SKIP=workspace,sla         benchmarks to leave out (file name without bench_ / .py)
  BENCH_ONLY=peer_email            run only these
  BENCH_ARGS_<NAME>="--count 2000" extra arguments for one benchmark (NAME as above)
  BENCH_DATABASE_URL               the PostgreSQL database given as DATABASE_URL to the benchmarks
                                   that take one (default .../jornada_bench: created if missing,
                                   emptied by them; the shell's DATABASE_URL is never used)
  BENCH_REDIS_URL                  Redis for them (default redis://127.0.0.1:6379/4)
"""

import json
import os
import platform
import shlex
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
LOGS = ROOT / "var" / "bench" / "logs"
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jornada_bench"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/4")


def names(variable: str) -> set[str]:
    raw = os.environ.get(variable, "")
    return {n.strip().removeprefix("bench_").removesuffix(".py") for n in raw.split(",") if n.strip()}  # fmt: skip


def ensure_database(url: str) -> None:
    import psycopg2

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(dbname="postgres", user=parts.username or "postgres",
                             password=parts.password or None, host=parts.hostname or "127.0.0.1",
                             port=parts.port or 5432)  # fmt: skip
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def machine() -> dict:
    info = {
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
    }
    try:
        import psycopg2

        parts = urlsplit(DATABASE_URL)
        conn = psycopg2.connect(dbname="postgres", user=parts.username or "postgres",
                                password=parts.password or None,
                                host=parts.hostname or "127.0.0.1", port=parts.port or 5432)  # fmt: skip
        with conn.cursor() as cursor:
            cursor.execute("SHOW server_version")
            info["postgresql"] = cursor.fetchone()[0]
        conn.close()
    except Exception as exc:
        info["postgresql"] = f"unavailable: {exc}".strip()
    try:
        import redis

        info["redis"] = redis.Redis.from_url(REDIS_URL).info()["redis_version"]
    except Exception as exc:
        info["redis"] = f"unavailable: {exc}"

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    info["git_commit"] = git("rev-parse", "HEAD")
    info["git_branch"] = git("rev-parse", "--abbrev-ref", "HEAD")
    info["git_dirty"] = bool(git("status", "--porcelain", "--untracked-files=no"))
    return info


def run_one(script: Path, stamp: str) -> dict:
    name = script.stem.removeprefix("bench_")
    out = LOGS / f"{stamp}-{name}.json"
    log = LOGS / f"{stamp}-{name}.log"
    out.unlink(missing_ok=True)
    extra = shlex.split(os.environ.get(f"BENCH_ARGS_{name.upper()}", ""))
    env = {**os.environ, "DATABASE_URL": DATABASE_URL, "REDIS_URL": REDIS_URL,
           "BENCH_REDIS_URL": REDIS_URL, "PYTHONUNBUFFERED": "1"}  # fmt: skip
    started = time.perf_counter()
    with log.open("w") as handle:
        done = subprocess.run([sys.executable, str(script), "--json", str(out), *extra], cwd=ROOT,
                              env=env, stdout=handle, stderr=subprocess.STDOUT)  # fmt: skip
    entry = {"script": script.name, "args": extra, "seconds": round(time.perf_counter() - started, 1),
             "exit_code": done.returncode, "log": str(log.relative_to(ROOT))}  # fmt: skip
    if done.returncode != 0:
        entry["status"] = "failed"
        entry["log_tail"] = log.read_text(errors="replace").splitlines()[-25:]
    elif not out.exists():
        entry["status"] = "no json"
    else:
        entry["status"] = "ok"
        entry["report"] = json.loads(out.read_text())
    return entry


def figure(entry) -> str:
    if not isinstance(entry, dict):
        return fmt(entry)
    if "value" not in entry and "req_s" in entry:  # a load run (bench_http.py)
        return (
            f"{fmt(entry['req_s'])} req/s, p99 {fmt(entry.get('p99_ms'))} ms, "
            f"5xx {entry.get('rate_5xx', 0):.1%}, max PG connections "
            f"{entry.get('max_pg_connections')} ({entry.get('clients')} clients, "
            f"{fmt(entry.get('seconds'))} s)"
        )
    if "value" not in entry:  # a dict of named figures
        return ", ".join(f"{key} {fmt(value)}" for key, value in entry.items())
    unit = entry.get("unit", "")
    return f"{fmt(entry.get('value'))} {unit}".strip()


def fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def markdown(summary: dict) -> str:
    m = summary["machine"]
    lines = [
        f"# Benchmarks, {summary['date']}",
        "",
        f"{m['cores']} cores; load average {m['load_before']} before, {m['load_after']} after; "
        f"PostgreSQL {m.get('postgresql')}; Redis {m.get('redis')}; Python {m['python']}; "
        f"commit `{m['git_commit'][:12]}`{' (with uncommitted changes)' if m['git_dirty'] else ''}.",
    ]
    for name, run in summary["benchmarks"].items():
        lines += ["", f"## {name} (`{run['script']}`): {run['status']}, {run['seconds']:.0f} s"]
        if run["status"] != "ok":
            if run.get("log_tail"):
                lines += ["", "```", *run["log_tail"], "```"]
            continue
        report = run["report"]
        baselines = report.get("baselines", {})
        used = set()
        lines += ["", "| figure | value | baseline | ratio | target |", "|---|---|---|---|---|"]
        for key, entry in report.get("results", {}).items():
            entry = entry if isinstance(entry, dict) else {"value": entry}
            base_key = entry.get("baseline")
            base = baselines.get(base_key) if base_key else None
            used.add(base_key)
            base_text = f"{figure(base)} ({base.get('label', base_key)})" if base else ""
            ratio = f"{entry['ratio']:.2f}x" if isinstance(entry.get("ratio"), (int, float)) else ""
            label = entry.get("label", key).replace("|", "/")
            lines.append(f"| {label} | {figure(entry)} | {base_text.replace('|', '/')} | {ratio} | {entry.get('target', '')} |")  # fmt: skip
        others = {k: v for k, v in baselines.items() if k not in used}
        if others:
            lines += ["", "| baseline, same run | value |", "|---|---|"]
            for key, entry in others.items():
                label = (entry.get("label", key) if isinstance(entry, dict) else key).replace("|", "/")  # fmt: skip
                lines.append(f"| {label} | {figure(entry)} |")
        if report.get("notes"):
            lines += ["", *(f"- {note}" for note in report["notes"])]
    return "\n".join(lines) + "\n"


def main() -> int:
    skip, only = names("BENCH_SKIP"), names("BENCH_ONLY")
    scripts = sorted(BENCH.glob("bench_*.py"))
    chosen = [s for s in scripts if s.stem.removeprefix("bench_") not in skip
              and (not only or s.stem.removeprefix("bench_") in only)]  # fmt: skip
    LOGS.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    if DATABASE_URL.startswith("postgres"):
        ensure_database(DATABASE_URL)
    now = datetime.now().astimezone()
    stamp = now.strftime("%Y%m%d-%H%M%S")
    info = machine()
    info["load_before"] = [round(x, 2) for x in os.getloadavg()]
    summary = {"date": now.strftime("%Y-%m-%d"), "started": now.isoformat(timespec="seconds"),
               "machine": info, "skipped": sorted(s.name for s in scripts if s not in chosen),
               "benchmarks": {}}  # fmt: skip
    for index, script in enumerate(chosen, 1):
        print(f"==> [{index}/{len(chosen)}] {script.name} ...", end=" ", flush=True)
        run = run_one(script, stamp)
        summary["benchmarks"][script.stem.removeprefix("bench_")] = run
        print(f"{run['status']} in {run['seconds']:.0f} s  (log: {run['log']})", flush=True)
        if run["status"] == "failed":
            print("\n".join(f"    {line}" for line in run["log_tail"][-10:]), flush=True)
    info["load_after"] = [round(x, 2) for x in os.getloadavg()]
    summary["finished"] = datetime.now().astimezone().isoformat(timespec="seconds")
    base = RESULTS / summary["date"]
    base.with_suffix(".json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    base.with_suffix(".md").write_text(markdown(summary))
    print(f"Results: {base.with_suffix('.json').relative_to(ROOT)}, {base.with_suffix('.md').relative_to(ROOT)}")  # fmt: skip
    if summary["skipped"]:
        print(f"Skipped: {', '.join(summary['skipped'])}")
    return 1 if any(r["status"] == "failed" for r in summary["benchmarks"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
