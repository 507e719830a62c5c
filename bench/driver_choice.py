"""Driver choice benchmark (issue 14): the same-stack baseline with the sync driver against the async one.

Usage (from the project root; needs `wrk` and the local PostgreSQL):

    .venv/bin/python bench/driver_choice.py [--rounds 2] [--seconds 4] [--warmup 1]

On one fresh PostgreSQL database, seeded like bench/load.py seeds (1,000 cases of 10 events,
built by the migrations and the API), it serves in turn, one uvicorn worker each:

  sync   bench/samestack_app.py: FastAPI, sync `def` routes in the thread pool, sync SQLAlchemy
         Core on psycopg (`create_engine`);
  async  bench/samestack_async_app.py: the same routes, SQL and answers, `async def` routes,
         `create_async_engine` and `AsyncConnection` on psycopg's async connection, no thread pool.

Each serving is measured with bench/load.py's `measure` (wrk POST and GET at 16 and 64
connections, after a warm-up; server CPU per request from /proc, PostgreSQL backends' CPU per
request for the database). The servings are interleaved (sync, async, async, sync, ...), so a
change of the machine's load during the run shows as a difference between rounds rather than
between drivers; both serve the same database, which grows by the same POSTs on both sides.

Prints a table and writes bench/results/driver-choice-<date>.md and .json.
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from bench.harness import Server, create_pg_database, drop_pg_database, machine  # noqa: E402
from bench.load import CONNECTIONS, _database_name, measure, seed, vacuum  # noqa: E402

RESULTS = PROJECT_ROOT / "bench" / "results"
APPS = {"sync": "bench.samestack_app:app", "async": "bench.samestack_async_app:app"}
RUNS = [f"{operation}_{c}" for operation in ("post", "get") for c in CONNECTIONS]


def driver_server(driver: str, database_url: str, log: Path) -> Server:
    server = Server([sys.executable, "-m", "uvicorn", APPS[driver], "--app-dir", str(PROJECT_ROOT),
                     "--workers", "1", "--log-level", "warning", "--no-access-log"], log_path=log,
                    env={"SAMESTACK_DATABASE_URL": database_url, "SAMESTACK_POOL_SIZE": "10"})
    server.database = _database_name(database_url)
    return server


def order(rounds: int) -> list[str]:
    """sync, async, async, sync, sync, async, ...: each driver first in every other pair."""
    pairs = [("sync", "async"), ("async", "sync")]
    return [driver for r in range(rounds) for driver in pairs[r % 2]]


def summarize(servings: list[dict]) -> dict:
    """Per driver and run: the median over its servings of req/s, p99, server and PostgreSQL CPU."""
    out = {}
    for driver in APPS:
        mine = [s["figures"] for s in servings if s["driver"] == driver]
        out[driver] = {run: {field: statistics.median(f[run][field] for f in mine)
                             for field in ("rps", "p99_ms", "server_cpu_ms_per_request",
                                           "postgres_cpu_ms_per_request")}
                       for run in RUNS}
    out["async_over_sync"] = {
        run: {field: out["async"][run][field] / out["sync"][run][field]
              for field in ("rps", "p99_ms", "server_cpu_ms_per_request")}
        for run in RUNS}
    return out


def markdown(result: dict) -> str:
    m = result["machine"]
    lines = [f"# Driver choice: sync against async psycopg, {result['started_at'][:16].replace('T', ' ')} UTC",
             "", f"`{result['command']}` — {result['seconds_per_run']} s per measurement after "
             f"{result['warmup_seconds']} s of warm-up, wrk (2 threads) on loopback, 1 uvicorn worker, "
             f"one PostgreSQL database seeded with {result['cases']} cases of 10 events, servings in "
             f"the order {', '.join(result['order'])}.", "",
             f"Machine: {m['cpu_model']}, {m['logical_cores']} cores, {m['memory_gib']} GiB, {m['os']}; "
             f"Python {m['python']}, PostgreSQL {m['postgresql']}, uvicorn {m['uvicorn']}, "
             f"FastAPI {m['fastapi']}, SQLAlchemy {m['sqlalchemy']}, psycopg {m['psycopg']}; "
             f"load average {m['load_average'][0]:.2f} at start, {result['load_average_end'][0]:.2f} "
             f"at end (the machine is shared with other work); commit {m.get('commit')}"
             f"{' with uncommitted changes' if m.get('uncommitted_changes') else ''}.", "",
             "Every serving (server CPU and PostgreSQL CPU are ms per request, from /proc):", "",
             "| # | driver | endpoint | conns | req/s | p50 ms | p99 ms | server CPU | PostgreSQL CPU | "
             "load avg |", "|---|---|---|---|---|---|---|---|---|---|"]
    for i, serving in enumerate(result["servings"], 1):
        for run in RUNS:
            f = serving["figures"][run]
            operation, c = run.split("_")
            lines.append(f"| {i} | {serving['driver']} | {operation.upper()} | {c} | {f['rps']:.0f} | "
                         f"{f['p50_ms']:.1f} | {f['p99_ms']:.1f} | {f['server_cpu_ms_per_request']:.2f} | "
                         f"{f['postgres_cpu_ms_per_request']:.2f} | {serving['load_average']:.2f} |")
    s = result["summary"]
    lines += ["", "Median over each driver's servings, and async / sync:", "",
              "| endpoint | conns | sync req/s | async req/s | sync p99 ms | async p99 ms | "
              "sync CPU ms/req | async CPU ms/req | async/sync req/s | async/sync p99 | "
              "async/sync CPU |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for run in RUNS:
        operation, c = run.split("_")
        a, b, r = s["sync"][run], s["async"][run], s["async_over_sync"][run]
        lines.append(f"| {operation.upper()} | {c} | {a['rps']:.0f} | {b['rps']:.0f} | "
                     f"{a['p99_ms']:.1f} | {b['p99_ms']:.1f} | {a['server_cpu_ms_per_request']:.2f} | "
                     f"{b['server_cpu_ms_per_request']:.2f} | {r['rps']:.2f} | {r['p99_ms']:.2f} | "
                     f"{r['server_cpu_ms_per_request']:.2f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2,
                        help="pairs of servings (sync+async), alternating which goes first; >= 2")
    parser.add_argument("--seconds", type=int, default=4, help="seconds per measurement (whole)")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of warm-up per endpoint")
    args = parser.parse_args()
    if args.rounds < 2:
        parser.error("--rounds must be at least 2, so that machine noise shows")
    if shutil.which("wrk") is None:
        sys.exit("bench/driver_choice.py needs wrk: apt-get install -y wrk, then run again")
    info = machine()
    if info["postgresql"] is None:
        sys.exit("bench/driver_choice.py needs the local PostgreSQL (see bench/harness.py)")
    started = datetime.now(timezone.utc)
    print(f"driver choice — {started:%Y-%m-%d %H:%M} UTC; {info['cpu_model']}, "
          f"{info['logical_cores']} cores; PostgreSQL {info['postgresql']}; "
          f"load average {info['load_average'][0]:.2f}")
    servings = []
    url = create_pg_database("stuckfunds_driver")
    if url is None:
        sys.exit("could not create a PostgreSQL database")
    try:
        print("seeding...")
        os.environ.setdefault("STUCKFUNDS_LOG_LEVEL", "WARNING")  # no access line per seeded event
        key, ids = seed(url)
        vacuum(url)
        with tempfile.TemporaryDirectory(prefix="stuckfunds-driver-") as tmp:
            workdir = Path(tmp)
            for i, driver in enumerate(order(args.rounds), 1):
                server = driver_server(driver, url, workdir / f"{i}-{driver}.log")
                server.start()
                try:
                    server.wait_ready()
                    load = os.getloadavg()[0]
                    figures = measure(server, "samestack", driver, ids, key, args.seconds,
                                      args.warmup, workdir, floor=False)
                finally:
                    server.stop()
                servings.append({"driver": driver, "load_average": load, "figures": figures})
    finally:
        drop_pg_database(url)
    result = {"benchmark": "driver_choice", "started_at": started.isoformat(),
              "command": " ".join([".venv/bin/python", "bench/driver_choice.py", *sys.argv[1:]]),
              "seconds_per_run": args.seconds, "warmup_seconds": args.warmup, "machine": info,
              "cases": len(ids), "order": order(args.rounds), "servings": servings,
              "summary": summarize(servings), "load_average_end": list(os.getloadavg())}
    text = markdown(result)
    print("\n" + text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / f"driver-choice-{started:%Y-%m-%d}"
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    stem.with_suffix(".md").write_text(text)
    print(f"results written to {stem.relative_to(PROJECT_ROOT)}.json and .md")


if __name__ == "__main__":
    main()
