"""The `make bench` collector: each figure lands beside its same-run baseline, and a failed
benchmark is reported with the end of its output."""

import importlib
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture
def bench_modules(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    yield importlib.import_module("_report"), importlib.import_module("run_all")
    for name in ("_report", "run_all"):
        sys.modules.pop(name, None)


def summary(report: dict) -> dict:
    machine = {"cores": 2, "load_before": [1.0], "load_after": [1.5], "python": "3.11"}
    machine |= {"postgresql": "15", "redis": "7", "git_commit": "abcdef123456", "git_dirty": True}
    return {
        "date": "2026-12-04",
        "machine": machine,
        "benchmarks": {
            "peer_email": {
                "script": "bench_peer_email.py",
                "status": "ok",
                "seconds": 10.0,
                "report": report,
            },
            "broken": {
                "script": "bench_broken.py",
                "status": "failed",
                "seconds": 1.0,
                "log_tail": ["Traceback", "ValueError: boom"],
            },
        },
    }


def test_a_result_is_written_beside_its_baseline_with_the_ratio(bench_modules, tmp_path):
    report_module, run_all = bench_modules
    report = report_module.Report("peer_email")
    report.baseline("peer", 70.2, unit="msg/s", label="django-helpdesk get_email")
    report.baseline("floor", 300.0, unit="msg/s", label="parse + INSERTs")
    report.result(
        "inline", 140.4, unit="msg/s", baseline="peer", target=">= 2x peer", label="Jornada inline"
    )
    report.note("one run")
    report.write(str(tmp_path / "out.json"))

    text = run_all.markdown(summary(report.as_dict()))

    beside = "| Jornada inline | 140 msg/s | 70.2 msg/s (django-helpdesk get_email) | 2.00x |"
    assert beside + " >= 2x peer |" in text
    assert "| parse + INSERTs | 300 msg/s |" in text  # a baseline no result names is still listed
    assert "- one run" in text
    assert "(with uncommitted changes)" in text
    assert (tmp_path / "out.json").read_text().startswith('{\n  "benchmark": "peer_email"')


def test_a_failed_benchmark_shows_the_end_of_its_output(bench_modules):
    _, run_all = bench_modules
    text = run_all.markdown(summary({"results": {"x": 1.0}}))
    assert "## broken (`bench_broken.py`): failed, 1 s" in text
    assert "ValueError: boom" in text
    assert "| x | 1 |" in text  # a bare number is accepted as a figure


def test_bench_skip_names_are_read_with_or_without_prefix(bench_modules, monkeypatch):
    _, run_all = bench_modules
    monkeypatch.setenv("BENCH_SKIP", "workspace, bench_sla.py")
    assert run_all.names("BENCH_SKIP") == {"workspace", "sla"}
