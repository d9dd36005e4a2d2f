"""Email parsing benchmark: `parse_email` beside the standard library's own parse of the same
mails, in the same run.

The corpus is the peer's workload (../shared/bench/gen_emails.py): 1,400 new pt-BR conversations
(half multipart, a fifth with attachments), then 600 replies from the original senders, tagged
'[#{id}]'. The floor is `email.message_from_bytes(raw, policy=email.policy.default)` plus walking
the parts and reading their content; parse_email does that and the rest (charset repair, HTML to
text, quote split, bounce and auto-reply detection, attachment names).

    .venv/bin/python bench/bench_parse_email.py [--corpus DIR] [--rounds 5] [--json PATH]

No database is needed. Exits 0 with "skipped: ..." when the generator is not there.
"""

import argparse
import email
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from email import policy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT.parent / "shared" / "bench" / "gen_emails.py"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings.local")
os.environ["DEBUG"] = "0"


def generate(corpus: Path) -> None:
    """originals, then replies answering them (ticket ids 1..n in the originals' order: only the
    subjects' tags depend on them)."""
    run = [sys.executable, str(GENERATOR)]
    subprocess.run([*run, "originals", str(corpus / "originals")], check=True, capture_output=True)
    originals = json.loads((corpus / "manifest_originals.json").read_text())
    ticket_ids = {item["msgid"]: number for number, item in enumerate(originals, start=1)}
    (corpus / "map.json").write_text(json.dumps(ticket_ids))
    replies = [*run, "replies", str(corpus / "replies"), "--map", str(corpus / "map.json")]
    replies += ["--tag", "[#{id}]", "--same-sender"]
    subprocess.run(replies, check=True, capture_output=True)


def load(corpus: Path) -> list[bytes]:
    files = sorted((corpus / "originals").glob("*.eml")) + sorted(
        (corpus / "replies").glob("*.eml")
    )
    if not files:
        files = sorted(corpus.glob("*.eml"))
    return [path.read_bytes() for path in files]


def stdlib_floor(raw: bytes) -> None:
    message = email.message_from_bytes(raw, policy=policy.default)
    for part in message.walk():
        if not part.is_multipart():
            part.get_content()


def measure(functions: dict, raws: list[bytes], rounds: int) -> dict[str, list[float]]:
    """ms per message of each function, per round; the functions take turns in every round so
    that a busy machine slows them alike."""
    timings: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(rounds):
        for name, function in functions.items():
            started = time.perf_counter()
            for raw in raws:
                function(raw)
            timings[name].append((time.perf_counter() - started) / len(raws) * 1000)
    return timings


def skip(json_path: Path | None, reason: str) -> int:
    print(f"skipped: {reason}")
    if json_path:
        report = {
            "benchmark": "parse_email",
            "results": {},
            "baselines": {},
            "notes": [f"skipped: {reason}"],
        }
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(report, indent=2) + "\n")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--corpus", type=Path, help="a directory already generated (originals/, replies/)"
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()

    if args.corpus is None and not GENERATOR.exists():
        return skip(args.json, f"the corpus generator {GENERATOR} is not there (pass --corpus DIR)")

    import django

    django.setup()
    from channels_app.adapters.email.parse import parse_email

    with tempfile.TemporaryDirectory(prefix="parse-corpus-") as scratch:
        corpus = args.corpus
        if corpus is None:
            corpus = Path(scratch)
            generate(corpus)
        raws = load(corpus)
    if not raws:
        return skip(args.json, f"no .eml files in {corpus}")

    functions = {"stdlib_floor": stdlib_floor, "parse_email": parse_email}
    measure(functions, raws[:200], 1)  # warm-up: imports, compiled patterns
    timings = measure(functions, raws, args.rounds)
    best = {name: min(values) for name, values in timings.items()}
    median = {name: statistics.median(values) for name, values in timings.items()}
    ratio = best["parse_email"] / best["stdlib_floor"]

    print(f"{len(raws)} messages, {args.rounds} rounds (ms a message; best and median)")
    print(f"{'':28} {'best':>8} {'median':>8} {'msg/s':>8}")
    for label, name in (
        ("stdlib parse + walk (floor)", "stdlib_floor"),
        ("parse_email", "parse_email"),
    ):
        print(f"{label:28} {best[name]:8.3f} {median[name]:8.3f} {1000 / best[name]:8.0f}")
    print(f"parse_email / floor: {ratio:.2f}x")

    if args.json:
        report = {
            "benchmark": "parse_email",
            "results": {
                "messages": len(raws),
                "rounds": args.rounds,
                "parse_email_ms": round(best["parse_email"], 4),
                "parse_email_median_ms": round(median["parse_email"], 4),
                "parse_email_msg_per_s": round(1000 / best["parse_email"], 1),
                "ratio_to_floor": round(ratio, 3),
            },
            "baselines": {
                "stdlib_floor_ms": round(best["stdlib_floor"], 4),
                "stdlib_floor_median_ms": round(median["stdlib_floor"], 4),
            },
            "notes": [
                "corpus: gen_emails.py originals (1,400) + replies (600, --same-sender, "
                "--tag '[#{id}]'), or --corpus",
                "floor: email.message_from_bytes(policy=default), walk, get_content() of each "
                "leaf part",
                "best of the rounds; both take turns in every round",
            ],
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
