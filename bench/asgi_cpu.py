"""Benchmark: CPU per request through the whole ASGI app, in-process (no sockets, no wrk).

    .venv/bin/python bench/asgi_cpu.py                          # a fresh PostgreSQL database
    .venv/bin/python bench/asgi_cpu.py --requests 2000 --repeat 3

Builds a fresh PostgreSQL database with the migrations (dropped at the end), opens 200 cases of
10 events, then sends N event posts and N case reads through `httpx.AsyncClient(transport=
ASGITransport(app))`: middleware, authentication, dependencies, the route, the service, the
database and the rendering, as a server runs them, without uvicorn and the network. Prints the
CPU per request (time.process_time over every thread of the process, so the thread pool counts)
and the wall time (the API key limit is per second here: the in-memory moving window scans its
entries, and an hour of them would dominate the figure). Compare two versions of the request path on a noisy machine with it; the
server-side figure with uvicorn is bench/profile.py's.
"""

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psycopg  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app.auth.service import create_client  # noqa: E402
from app.db.migrate import upgrade_to_head  # noqa: E402
from app.main import create_app  # noqa: E402
from app.settings import Settings  # noqa: E402

ADMIN_URL = os.environ.get("STUCKFUNDS_TEST_DATABASE_URL", "postgresql+psycopg://root@127.0.0.1:5432/test")


def _libpq(url) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _event(now: datetime, i: int) -> dict:
    kinds = ({"type": "note_added", "data": {"text": "still under review"}},
             {"type": "urgency_stated", "data": {"reason": "debt"}})
    return {**kinds[i % 2], "occurred_at": (now - timedelta(hours=1)).isoformat()}


async def _run(app, n: int, repeat: int, now: datetime) -> None:
    with app.state.write_sessions.begin() as session:
        key = create_client(session=session, name="asgi-cpu", now=now).key
    headers = {"Authorization": f"Bearer {key}"}
    intake = {"platform": {"name": "Example Insurance", "kind": "insurer"}, "amount": "5000.00",
              "currency": "CNY", "withdrawal_requested_at": (now - timedelta(days=3)).isoformat()}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        cases = []
        for _ in range(200):
            answer = await http.post("/v1/cases", json=intake, headers=headers)
            assert answer.status_code == 201, answer.text
            cases.append(answer.json()["id"])
        for i in range(2000):  # 10 events each, and the warm-up of every path
            answer = await http.post(f"/v1/cases/{cases[i % 200]}/events", json=_event(now, i), headers=headers)
            assert answer.status_code == 201, answer.text
        for i in range(200):
            assert (await http.get(f"/v1/cases/{cases[i]}", headers=headers)).status_code == 200
        results: dict[str, list[float]] = {"POST /v1/cases/{id}/events": [], "GET /v1/cases/{id}": []}
        for _ in range(repeat):
            for name, send, status in (
                ("POST /v1/cases/{id}/events",
                 lambda i: http.post(f"/v1/cases/{cases[i % 200]}/events", json=_event(now, i), headers=headers), 201),
                ("GET /v1/cases/{id}", lambda i: http.get(f"/v1/cases/{cases[i % 200]}", headers=headers), 200),
            ):
                cpu0, wall0 = time.process_time(), time.perf_counter()
                for i in range(n):
                    answer = await send(i)
                    if answer.status_code != status:
                        raise SystemExit(f"{name}: {answer.status_code} {answer.text}")
                cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
                results[name].append(cpu / n * 1000)
                print(f"  {name}: CPU {cpu / n * 1000:.3f} ms per request, wall {wall / n * 1000:.3f} ms")
    for name, figures in results.items():
        print(f"{name}: CPU per request, median of {repeat}: {statistics.median(figures):.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000, help="requests of each kind per round")
    parser.add_argument("--repeat", type=int, default=3, help="rounds (the median is printed)")
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)
    admin = make_url(ADMIN_URL)
    name = f"stuckfunds_asgi_cpu_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_libpq(admin), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade_to_head(url)
        with tempfile.TemporaryDirectory() as tmp:
            app = create_app(Settings(database_url=url, embedded_worker=False,
                                      evidence_dir=Path(tmp) / "evidence", secret_key_file=Path(tmp) / "key",
                                      rate_limit_api_key="1000000/second"))
            print(f"database: PostgreSQL ({name}), {args.requests} requests per round, "
                  f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            try:
                asyncio.run(_run(app, args.requests, args.repeat, datetime.now(timezone.utc)))
            finally:
                app.state.engine.dispose()
    finally:
        with psycopg.connect(_libpq(admin), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
