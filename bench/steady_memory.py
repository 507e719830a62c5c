"""Benchmark: one worker's memory over 100,000 requests (prints RSS figures; asserts nothing).

    .venv/bin/python -m bench.steady_memory [--requests 100000]   # needs PostgreSQL on 127.0.0.1

Seeds 1,000 cases of 10 events on a fresh PostgreSQL database (bench/load.py's seeding), serves
`stuckfunds serve --workers 1` on loopback, and sends the requests from 4 client threads, in
turn an event POST (a note, a support call, saved evidence) and a case GET, to the cases in
rotation (each case ends with about 60 more events, far under its cap). Every 10,000 requests
it prints the RSS of each server process and the load average. A worker whose memory is flat
stays within a few MiB after its first ten thousand requests; caches that are bounded (the
evaluation memo, the rate limiter's windows) fill early and then stop growing.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.harness import STUCKFUNDS, Server, create_pg_database, drop_pg_database
from bench.load import event_bodies, seed, vacuum
from bench.upload_memory import _group_rss

MiB = 1024 * 1024
THREADS = 4
REPORT_EVERY = 10_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100_000, choices=range(10_000, 1_000_001),
                        metavar="N (10,000..1,000,000)")
    args = parser.parse_args()
    url = create_pg_database("stuckfunds_memory")
    if url is None:
        sys.exit("needs PostgreSQL on 127.0.0.1:5432 (trust)")
    try:
        key, ids = seed(url)
        vacuum(url)
        bodies = [json.loads(b) for b in event_bodies()]
        with tempfile.TemporaryDirectory(prefix="stuckfunds-memory-") as tmp:
            server = Server([STUCKFUNDS, "serve", "--database-url", url, "--workers", "1"],
                            log_path=Path(tmp) / "server.log")
            server.start()
            try:
                server.wait_ready()
                run(server, key, ids, bodies, args.requests)
            finally:
                server.stop()
    finally:
        drop_pg_database(url)


def run(server: Server, key: str, ids: list[str], bodies: list[dict], total: int) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    clients = [httpx.Client(base_url=server.url, headers=headers, timeout=30) for _ in range(THREADS)]
    answers: Counter = Counter()

    def one(n: int) -> None:
        client = clients[n % THREADS]
        case_id = ids[(n // 2) % len(ids)]
        if n % 2:
            answers[client.get(f"/v1/cases/{case_id}").status_code] += 1
        else:
            body = bodies[(n // 2) % len(bodies)]
            answers[client.post(f"/v1/cases/{case_id}/events", json=body).status_code] += 1

    print(f"{'requests':>9} {'seconds':>8} {'req/s':>7}  RSS per server process (MiB)   load average")
    print(f"{0:9d} {0:8.0f} {'':>7}  {_rss(server)}   {_load()}")
    started = time.monotonic()
    sent = 0
    with ThreadPoolExecutor(THREADS) as pool:
        while sent < total:
            chunk = min(REPORT_EVERY, total - sent)
            # A chunk is dealt to the threads one request at a time, so they share it evenly.
            for _ in pool.map(one, range(sent, sent + chunk), chunksize=64):
                pass
            sent += chunk
            elapsed = time.monotonic() - started
            print(f"{sent:9d} {elapsed:8.0f} {sent / elapsed:7.0f}  {_rss(server)}   {_load()}",
                  flush=True)
    for client in clients:
        client.close()
    print(f"answers: {dict(sorted(answers.items()))}")


def _rss(server: Server) -> str:
    rss = _group_rss(server.process.pid)
    return " ".join(f"{pid}:{value / MiB:6.1f}" for pid, value in sorted(rss.items()))


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
