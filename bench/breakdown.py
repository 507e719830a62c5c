"""Where a request's CPU goes: event POST and case GET, component by component, in-process.

Usage (from the project root; needs the local PostgreSQL; bench/load.py runs it too):

    .venv/bin/python bench/breakdown.py [--requests 300] [--json PATH]

A fresh PostgreSQL database is seeded like bench/load.py's (1,000 cases of 10 events); the app
runs in this process behind Starlette's TestClient, and requests are sent one at a time, so
nothing waits for the GIL. The service, repository and helper functions a request goes
through are wrapped (in this process only) with timers of the calling thread's CPU time, which
count what each costs, database driver work included, but not time spent waiting for
PostgreSQL. `framework floor` is the CPU per request of GET /healthz (no database, no
credentials), measured the same way: routing, middleware, the test client itself.
"""

import argparse
import functools
import inspect
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from bench.harness import BENCH_SECRET_KEY, create_pg_database, drop_pg_database  # noqa: E402

SPENT: dict[str, float] = defaultdict(float)
CALLS: dict[str, int] = defaultdict(int)


def _timed(owner, name: str, label: str) -> None:
    original = getattr(owner, name)

    if inspect.iscoroutinefunction(original):
        # Requests are sent one at a time, so while this coroutine runs on the event loop's
        # thread nothing else does: the thread's CPU time between start and end is its own.
        @functools.wraps(original)
        async def timed(*args, **kwargs):
            started = time.thread_time()
            try:
                return await original(*args, **kwargs)
            finally:
                SPENT[label] += time.thread_time() - started
                CALLS[label] += 1
    else:
        @functools.wraps(original)
        def timed(*args, **kwargs):
            started = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                SPENT[label] += time.thread_time() - started
                CALLS[label] += 1

    setattr(owner, name, timed)


def instrument() -> None:
    """Wrap what a POST or GET goes through, where the callers look the names up."""
    from sqlalchemy.orm import Session

    import app.edge.auth as auth
    import app.cases.repository as repository
    import app.cases.router as router
    import app.cases.service as service

    _timed(service, "evaluate", "evaluate() (rules)")
    _timed(service, "append_event", "service.append_event (all of it)")
    _timed(service, "upcoming_change", "service.upcoming_change (GET's `upcoming`)")
    _timed(auth, "resolve", "authentication (key lookup)")
    for name in ("get_case", "list_events", "get_event", "get_event_by_client_id"):
        _timed(repository, name, f"repository.{name}")
    _timed(service, "notify_changes", "outbox (notify_changes)")
    _timed(service.audit, "record", "audit trail")
    _timed(service.chain, "seal", "hash chain")
    _timed(router, "present_evaluation", "present_evaluation (texts)")
    _timed(Session, "flush", "ORM flush (INSERT/UPDATE)")
    _timed(Session, "commit", "commit")
    import fastapi.routing

    # FastAPI's own work: parameters, dependencies and the body's validation (the sync
    # dependencies it runs, authentication among them, are counted here too); the response
    # model's validation and serialisation.
    _timed(fastapi.routing, "solve_dependencies", "FastAPI: dependencies and request validation")
    _timed(fastapi.routing, "serialize_response", "FastAPI: response model and JSON")


def run_breakdown(requests: int = 300) -> dict:
    import bench.load as load

    instrument()
    from fastapi.testclient import TestClient

    from app.main import create_app
    from app.settings import Settings

    url = create_pg_database("stuckfunds_breakdown")
    if url is None:
        raise SystemExit("bench/breakdown.py needs the local PostgreSQL")
    try:
        key, ids = load.seed(url)
        load.vacuum(url)
        app = create_app(Settings(database_url=url, embedded_worker=False, secret_key=BENCH_SECRET_KEY,
                                  rate_limit_api_key="100000000/hour", log_level="WARNING"))
        bodies = load.event_bodies()
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        calls = {
            "post": lambda c, i: c.post(f"/v1/cases/{ids[i % len(ids)]}/events",
                                        content=bodies[i % len(bodies)], headers=headers),
            "get": lambda c, i: c.get(f"/v1/cases/{ids[i % len(ids)]}", headers=headers),
            "floor": lambda c, i: c.get("/healthz"),
        }
        out = {}
        with TestClient(app) as client:
            for operation, call in calls.items():
                for i in range(30):  # warm-up: pools, caches
                    call(client, i)
                SPENT.clear()
                CALLS.clear()
                started_cpu, started = time.process_time(), time.perf_counter()
                for i in range(requests):
                    answer = call(client, 100 + i)
                    assert answer.status_code in (200, 201), answer.text
                cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started
                out[operation] = {
                    "process_cpu_ms_per_request": cpu * 1000 / requests,
                    "wall_ms_per_request": wall * 1000 / requests,
                    "components_ms_per_request": {k: v * 1000 / requests for k, v in
                                                  sorted(SPENT.items(), key=lambda kv: -kv[1])},
                    "calls_per_request": {k: v / requests for k, v in CALLS.items()},
                }
        app.state.engine.dispose()
    finally:
        drop_pg_database(url)
    return out


def report(result: dict) -> str:
    floor = result["floor"]["process_cpu_ms_per_request"]
    lines = [f"framework floor (GET /healthz, test client included): {floor:.2f} ms CPU per request"]
    for operation in ("post", "get"):
        r = result[operation]
        lines.append(f"{operation.upper()}: {r['process_cpu_ms_per_request']:.2f} ms CPU per request "
                     f"({r['wall_ms_per_request']:.2f} ms wall, one at a time)")
        for name, ms in r["components_ms_per_request"].items():
            lines.append(f"    {name:45s} {ms:6.2f} ms   ({r['calls_per_request'][name]:.1f} calls)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    result = run_breakdown(args.requests)
    print(report(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
