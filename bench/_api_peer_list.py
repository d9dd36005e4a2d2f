# ruff: noqa: E501
"""bench_api.py --peer-list: django-helpdesk 2.6.1's own REST list, GET /helpdesk/api/tickets/, on the
same 100,000 tickets as Jornada's list, in the same run (issue 15). The peer's data, database, user
and driver are bench_manager.py's (its export of Jornada's 100k data set, loaded by
bench/_peer_dashboard.py); the request runs there (`api`), in-process through the peer's Django
test client as a superuser."""

import os
import statistics

import bench_manager

# The peer's /api/tickets/ serves pages of 25 (its ConservativePagination), ordered by id: the same
# page size here, in Jornada's default order and in creation order.
PAGE = 25
COMPARABLE = [
    (f"page_size={PAGE} (the peer's page)", f"/api/v1/tickets?page_size={PAGE}"),
    (
        f"page_size={PAGE}&ordering=created_at (the peer's order)",
        f"/api/v1/tickets?page_size={PAGE}&ordering=created_at",
    ),
]


def run(args, report, data: dict) -> None:
    """django-helpdesk 2.6.1's /api/tickets/ on the same tickets, loaded into its database from the
    export the list worker just wrote (bench_manager's peer database, loader and user), beside
    Jornada's request for the same page size measured a moment before."""
    size = f"{data['tickets'] // 1000}k"
    print(
        f"\n  django-helpdesk 2.6.1 /helpdesk/api/tickets/, same {data['tickets']:,} tickets ({bench_manager.PEER_DB})"
    )
    driver = bench_manager.peer_driver()
    print(f"    peer data: {driver('load', str(bench_manager.WORK / 'peer-export'))}", flush=True)
    load = os.getloadavg()[0]
    peer = driver("api", str(args.peer_requests), bench_manager.PEER_USER)
    if "error" in peer:
        print(f"    peer: {peer['error']}")
        report.note(f"peer /api/tickets/ at {size}: {peer['error']}")
        return
    p50, worst = statistics.median(peer["samples"]), max(peer["samples"])
    ours = next(
        r for r in data["scenarios"] if r["persona"] == "manager" and r["name"] == COMPARABLE[0][0]
    )
    same_order = next(
        r for r in data["scenarios"] if r["persona"] == "manager" and r["name"] == COMPARABLE[1][0]
    )
    print(
        f"    peer: {len(peer['samples'])} requests, p50 {p50:.1f} s, max {worst:.1f} s, {peer['statements'][0]:,} SQL statements "
        f"({sum(peer['db_seconds']) / len(peer['db_seconds']):.1f} s in the database), {peer['rows']} rows of {peer['count']:,}, "
        f"{peer['bytes']:,} bytes (load average {load:.2f} before)"
    )
    print(
        f"    Jornada {ours['name']}: p50 {ours['p50_ms']} ms, p95 {ours['p95_ms']} ms, {ours['rows']} rows, {ours['bytes']:,} bytes: "
        f"the peer takes {p50 * 1000 / ours['p50_ms']:,.0f}x Jornada's time (p50)"
    )
    key = f"list_{size}_peer_api_tickets"
    report.baseline(key, round(p50 * 1000), unit="ms p50",
                    label=f"django-helpdesk 2.6.1 GET /helpdesk/api/tickets/ as a superuser, {peer['tickets']:,} tickets: "
                          f"p50 {p50:.1f} s, max {worst:.1f} s over {len(peer['samples'])} requests, {peer['statements'][0]:,} SQL statements")  # fmt: skip
    report.result(f"list_{size}_vs_peer", ours["p50_ms"], unit="ms p50", baseline=key,
                  label=f"Jornada GET /api/v1/tickets?page_size={PAGE} as a manager (p95 {ours['p95_ms']} ms, "
                        f"{ours['queries']} queries) vs the peer's /api/tickets/, {size} tickets, same run")  # fmt: skip
    report.result(f"list_{size}_vs_peer_same_order", same_order["p50_ms"], unit="ms p50", baseline=key,
                  label=f"Jornada {same_order['name']} as a manager (p95 {same_order['p95_ms']} ms) vs the peer's /api/tickets/")  # fmt: skip
    report.note(f"peer /api/tickets/ at {size} returned {peer['rows']} tickets of count {peer['count']:,} (page 1 of its 25-a-page "
                f"PageNumberPagination, by id: first ids {peer['first_ids']}, next {peer['next']}), {peer['bytes']:,} bytes of JSON, "
                f"fields {', '.join(peer['fields'])} ({peer['followups_in_page']} follow-ups in the page: bench_manager's export "
                f"loads none); its get_queryset() iterates all {peer['tickets']:,} tickets, and each request ran {peer['statements'][0]:,} SQL statements "
                f"(per request: {peer['statements']}), {', '.join(f'{s:.1f}' for s in peer['db_seconds'])} s of them in the database; "
                f"requests took {', '.join(f'{s:.1f}' for s in peer['samples'])} s")  # fmt: skip
    report.note(f"Jornada /api/v1/tickets?page_size={PAGE} at {size} returned {ours['rows']} tickets (cursor pagination, "
                f"newest change first, no total count), {ours['bytes']:,} bytes of JSON, fields {', '.join(ours['fields'])}; "
                f"{ours['queries']} queries; p50 {ours['p50_ms']} ms, p95 {ours['p95_ms']} ms over {args.requests} requests. "
                f"In creation order (the peer's): {same_order['rows']} tickets, {same_order['bytes']:,} bytes, p50 {same_order['p50_ms']} ms, "
                f"p95 {same_order['p95_ms']} ms. Both in-process through Django's test client (Jornada: DRF's APIClient, "
                f"force_authenticate; the peer: force_login, session), the peer's median of {len(peer['samples'])}: "
                f"it takes {p50 * 1000 / ours['p50_ms']:,.0f}x Jornada's time")  # fmt: skip
