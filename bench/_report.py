"""The `--json PATH` convention every bench/bench_*.py follows, read by bench/run_all.py:

    {"benchmark": "<name>",
     "results":   {"<key>": {"value": 44.5, "unit": "msg/s", "label": "...",
                             "baseline": "<key in baselines>", "ratio": 0.63, "target": ">= 5x"}},
     "baselines": {"<key>": {"value": 70.2, "unit": "msg/s", "label": "..."}},
     "notes":     ["free text"]}

Only "value" is required in an entry ("baseline", "ratio", "target", "label", "unit" are optional,
and a bare number is accepted too). A baseline is a figure measured in the same run that a result
is compared with (the peer, a raw INSERT, the framework's floor)."""

import json
from pathlib import Path


class Report:
    def __init__(self, benchmark: str):
        self.benchmark = benchmark
        self.results: dict = {}
        self.baselines: dict = {}
        self.notes: list[str] = []

    def baseline(self, key: str, value, *, unit: str = "", label: str = "") -> None:
        self.baselines[key] = {"value": value, "unit": unit, "label": label or key}

    def result(
        self,
        key: str,
        value,
        *,
        unit: str = "",
        label: str = "",
        baseline: str | None = None,
        target: str | None = None,
        ratio: bool = True,
    ) -> None:
        """`ratio=False` shows the baseline beside the figure without dividing them (counts)."""
        entry = {"value": value, "unit": unit, "label": label or key}
        if baseline:
            entry["baseline"] = baseline
            base = self.baselines.get(baseline, {}).get("value")
            numbers = isinstance(value, (int, float)) and isinstance(base, (int, float))
            if ratio and numbers and base:
                share = value / base
                # three significant figures for the small ratios (ms against a peer's seconds)
                entry["ratio"] = round(share, 3) if abs(share) >= 0.1 else float(f"{share:.3g}")
        if target:
            entry["target"] = target
        self.results[key] = entry

    def note(self, text: str) -> None:
        self.notes.append(text)

    def as_dict(self) -> dict:
        return {
            "benchmark": self.benchmark,
            "results": self.results,
            "baselines": self.baselines,
            "notes": self.notes,
        }

    def write(self, path: str | None) -> None:
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(json.dumps(self.as_dict(), indent=2, default=str) + "\n")


def add_json_argument(parser) -> None:
    parser.add_argument("--json", metavar="PATH", help="also write the figures to PATH as JSON")
