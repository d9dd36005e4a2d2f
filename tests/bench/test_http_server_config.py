"""The web server is configured once: docker-compose.yml's web command, which the Dockerfile's
CMD repeats and bench/bench_http.py reads (compose_web_command) to measure it as it runs."""

import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose_web_command() -> list[str]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return [
        re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", part) for part in compose["services"]["web"]["command"]
    ]


def test_the_dockerfile_runs_the_web_server_as_docker_compose_does():
    line = next(x for x in (ROOT / "Dockerfile").read_text().splitlines() if x.startswith("CMD "))

    assert json.loads(line.removeprefix("CMD ")) == compose_web_command()
