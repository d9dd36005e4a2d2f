"""Settings of bench_api.py's server: the production settings, plus a minimal DRF endpoint."""

from helpdesk.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.api_bench_urls"
