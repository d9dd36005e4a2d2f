"""Settings of bench_http.py's servers: the production settings, plus the bare view below."""

from helpdesk.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.http_urls"
