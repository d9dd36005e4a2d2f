# ruff: noqa: E501 (SQL rows)
"""The managers' benchmark data: the workspace data set (bench/_workspace_data.py) plus a stage of
SLA clocks, built in SQL (INSERT ... SELECT over the tickets, no Python per row), and the
dashboard rollup rebuilt by its own command (timed: it is what `manager_rollup_rebuild` costs).

Clocks follow the tickets' own timestamps: the first-response clock of every ticket (stopped at its
first reply, or when solved without one), a resolution clock (stopped when solved, paused while
pending or on hold), and a next-response clock on half of the tickets with more than two messages.
Business time is taken as 40 % of the wall-clock time (ten opening hours a weekday); a clock that
stopped after its due time, or runs past it, is breached. Open tickets get a warning time an hour
before their due time, so the "at risk now" list has rows."""

import time

from django.db import connection

STAGE = "manager_sla_clocks"
ROLLUP_STAGE = "manager_rollup"

CLOCKS_SQL = """
WITH policy AS (
    SELECT id, priority, segment, first_response_minutes AS fr, next_response_minutes AS nr,
           resolution_minutes AS res
    FROM sla_slapolicy
), ticket AS (
    SELECT t.id, t.status, t.created_at, t.updated_at, t.first_response_at, t.solved_at,
           coalesce(vip.id, std.id) AS policy_id, coalesce(vip.fr, std.fr) AS fr,
           coalesce(vip.nr, std.nr) AS nr, coalesce(vip.res, std.res) AS res
    FROM tickets_ticket t JOIN tickets_customer c ON c.id = t.customer_id
    JOIN policy std ON std.priority = t.priority AND std.segment = ''
    LEFT JOIN policy vip ON vip.priority = t.priority AND vip.segment = 'vip' AND c.segment = 'vip'
), clock AS (
    SELECT id AS ticket_id, 'first_response' AS target, policy_id, fr AS minutes, created_at AS started,
           coalesce(first_response_at, CASE WHEN status IN ('solved', 'closed') THEN solved_at END) AS stopped,
           NULL::timestamptz AS paused
    FROM ticket
    UNION ALL
    SELECT id, 'resolution', policy_id, res, created_at,
           CASE WHEN status IN ('solved', 'closed') THEN solved_at END,
           CASE WHEN status IN ('pending', 'on_hold') THEN updated_at END
    FROM ticket
    UNION ALL
    SELECT id, 'next_response', policy_id, nr, created_at + (updated_at - created_at) / 2,
           CASE WHEN status IN ('solved', 'closed') OR id % 4 = 0
                THEN created_at + (updated_at - created_at) * 0.52 END,
           NULL
    FROM ticket WHERE id % 2 = 0
)
INSERT INTO sla_ticketsla (ticket_id, target, policy_id, target_minutes, started_at, due_at, warn_at,
    paused_at, paused_seconds, stopped_at, business_seconds, warned_at, breached_at,
    breach_recorded_at, synced_at)
SELECT ticket_id, target, policy_id, minutes, started, due, due - make_interval(mins => (minutes / 5)::int),
       paused, 0, stopped,
       CASE WHEN stopped IS NOT NULL THEN (extract(epoch FROM stopped - started) * 0.4)::int END,
       CASE WHEN late THEN due - make_interval(mins => (minutes / 5)::int) END,
       CASE WHEN late THEN due END,
       CASE WHEN late THEN due + interval '4 seconds' END,
       now()
FROM (
    SELECT clock.*, CASE WHEN paused IS NULL THEN started + make_interval(mins => (minutes * 5 / 2)::int) END AS due,
           paused IS NULL AND coalesce(stopped, now()) > started + make_interval(mins => (minutes * 5 / 2)::int) AS late
    FROM clock
) decided
"""

WARN_SQL = """
UPDATE tickets_ticket SET sla_warn_at = sla_due_at - interval '1 hour'
WHERE status IN ('new', 'open', 'pending', 'on_hold') AND sla_due_at IS NOT NULL
"""


def _done(cursor, stage: str) -> bool:
    cursor.execute("SELECT 1 FROM bench_ws_state WHERE stage = %s", [stage])
    return cursor.fetchone() is not None


def _record(cursor, stage: str, seconds: float) -> None:
    cursor.execute(
        "INSERT INTO bench_ws_state (stage, plan, seconds, anchor) "
        "SELECT %s, plan, %s, anchor FROM bench_ws_state WHERE stage = 'finish' "
        "ON CONFLICT (stage) DO UPDATE SET seconds = EXCLUDED.seconds, finished_at = now()",
        [stage, seconds],
    )


def ensure_clocks(*, reload: bool = False) -> float | None:
    """Add the SLA clocks stage (once); the seconds it took, or None when already there."""
    from sla.defaults import sla_policies_seed_defaults

    with connection.cursor() as cursor:
        if _done(cursor, STAGE) and not reload:
            return None
    started = time.perf_counter()
    sla_policies_seed_defaults()
    with connection.cursor() as cursor:
        print("  sla clocks: INSERT ... SELECT over the tickets", flush=True)
        cursor.execute("TRUNCATE sla_ticketsla RESTART IDENTITY")
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute(CLOCKS_SQL)
        print(f"  sla clocks: {cursor.rowcount:,} clocks", flush=True)
        cursor.execute(WARN_SQL)
        print(f"  sla clocks: warning time on {cursor.rowcount:,} open tickets", flush=True)
        cursor.execute("ANALYZE sla_ticketsla")
        cursor.execute("ANALYZE tickets_ticket")
        seconds = time.perf_counter() - started
        _record(cursor, STAGE, seconds)
        cursor.execute("DELETE FROM bench_ws_state WHERE stage = %s", [ROLLUP_STAGE])
    return seconds


def ensure_rollup(*, reload: bool = False) -> float | None:
    """Rebuild the dashboard rollup with its management command (once per data set)."""
    from django.core.management import call_command

    with connection.cursor() as cursor:
        if _done(cursor, ROLLUP_STAGE) and not reload:
            return None
    started = time.perf_counter()
    call_command("manager_rollup_rebuild", verbosity=1)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        # What autovacuum does on a live desk: the visibility map lets index-only scans skip the heap.
        for table in (
            "tickets_ticket",
            "sla_ticketsla",
            "manager_ticketfacts",
            "manager_dailyactivity",
            "manager_agentdailyactivity",
            "manager_dailyescalation",
        ):
            cursor.execute(f'VACUUM (ANALYZE) "{table}"')
        _record(cursor, ROLLUP_STAGE, seconds)
    return seconds
