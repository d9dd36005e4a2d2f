"""Hypothesis profiles for the fuzz tests: a few examples by default so the suite stays fast,
HYPOTHESIS_PROFILE=ci (CI's PostgreSQL + Redis leg) for 200 per test, derandomized so that a
failure there is reproducible, and HYPOTHESIS_PROFILE=hunt (by hand, minutes) for 2,000 new
ones per test. No example database is written (nothing to clean up)."""

import os

from hypothesis import HealthCheck, settings

# Each example is a database round (store, process): slow by Hypothesis' standards, and the
# `db` fixture is shared by a test's examples on purpose (every example stores its own event).
_COMMON = {
    "database": None,
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}
settings.register_profile("default", max_examples=25, **_COMMON)
settings.register_profile("ci", max_examples=200, derandomize=True, **_COMMON)
settings.register_profile("hunt", max_examples=2000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
