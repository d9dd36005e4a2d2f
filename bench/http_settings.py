"""Settings of bench_http.py's servers: the production settings, plus the bare views of
bench/http_urls.py (/bench/floor-insert served as the webhooks are)."""

from helpdesk.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.http_urls"
MACHINE_PATHS_UNDER = (*MACHINE_PATHS_UNDER, "/bench/")  # noqa: F405
MACHINE_VIEW_NAMES = MACHINE_VIEW_NAMES | {"bench-floor-insert"}  # noqa: F405
