"""Benchmark: where a running server's CPU goes for an event POST and a case GET (py-spy).

    .venv/bin/pip install -e '.[bench]'          # py-spy, a sampling profiler (dev only)
    .venv/bin/python -m bench.profile [--seconds 20] [--rate 200]

Seeds 1,000 cases of 10 events on a fresh PostgreSQL database (bench/load.py's seeding), serves
`stuckfunds serve --workers 1` on loopback and, for each endpoint in turn, drives it with wrk at
16 connections (bench/load.py's request scripts, after a warm-up) while

    py-spy record --pid <server> --subprocesses --gil --rate R --duration S --format raw -o <file>

samples the server: only the thread holding the GIL, i.e. the Python work (threads waiting on
a socket, a lock or the thread pool's queue are left out; so is the little CPU spent in C
without the GIL, libpq's included). The CPU the server's processes spent per request is read from /proc over the
same window, and each sample is put in one layer by its innermost recognised frame (durable-rules,
the evaluator, SQLAlchemy, psycopg, pydantic, the thread pool, the framework, uvicorn...), so a
layer's share of the samples times the CPU per request says how many milliseconds of a request it
costs. A second table counts a sample under every marker found anywhere on its stack (inclusive):
the whole evaluation, the database session, authentication, idempotency. The collapsed stacks are
kept beside the summary (bench/results/profile-<date>-<endpoint>.txt) for a flame graph.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from bench.harness import (
    STUCKFUNDS,
    Server,
    create_pg_database,
    drop_pg_database,
    machine,
)
from bench.load import _lua, event_bodies, run_wrk, seed, vacuum

RESULTS = Path(__file__).resolve().parent / "results"
CONNECTIONS = 16
# Innermost recognised frame decides a sample's layer (first match from the leaf up).
LAYERS = (
    ("durable-rules (C engine and its Python host)", ("durable/", "durable_rules_engine")),
    ("evaluation (derive, stages, memo, models)", ("app/evaluation/",)),
    ("psycopg (driver)", ("psycopg/", "psycopg_binary", "psycopg_c")),
    ("SQLAlchemy (Core, ORM, pool)", ("sqlalchemy/",)),
    ("pydantic (validation, serialization)", ("pydantic/", "pydantic_core")),
    ("json / hashing / crypto", ("json/", "hashlib", "cryptography/", "fernet")),
    ("thread-pool hops (anyio, futures)", ("anyio/", "concurrent/futures", "threading.py",
                                           "queue.py")),
    ("FastAPI / Starlette (routing, dependencies, middleware)", ("fastapi/", "starlette/")),
    ("uvicorn / httptools / event loop", ("uvicorn/", "httptools", "asyncio/", "uvloop")),
    ("logging", ("logging/",)),
    ("app code (routers, services, auth, idempotency...)", ("app/",)),
)
MARKERS = (
    ("evaluate() as a whole", "evaluate (app/evaluation/evaluator.py"),
    ("authentication (any_caller)", ("app/auth/", "app/edge/auth.py")),
    ("idempotency", "app/edge/idempotency.py"),
    ("database: SQLAlchemy + psycopg", ("sqlalchemy/", "psycopg/", "psycopg_binary")),
    ("pydantic", "pydantic"),
    ("run in a thread-pool thread (sync endpoint, sync dependencies)", "WorkerThread.run"),
)


def layer_of(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, needles in LAYERS:
            if any(n in frame for n in needles):
                return name
    return "other (interpreter, stdlib)"


def summarize(raw: Path) -> tuple[int, Counter, Counter]:
    layers: Counter = Counter()
    markers: Counter = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        # The first frame names the process (its command line holds the database URL).
        frames = [f for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        stack = ";".join(frames)
        total += n
        layers[layer_of(frames)] += n
        for name, needle in MARKERS:
            needles = needle if isinstance(needle, tuple) else (needle,)
            if any(x in stack for x in needles):
                markers[name] += n
    return total, layers, markers


def profile(server: Server, name: str, script: str, seconds: int, rate: int, workdir: Path,
            out: Path) -> dict:
    run_wrk(server.url, script, CONNECTIONS, 3, workdir)  # warm-up: pools, memo, imports
    raw = workdir / f"{name}.txt"
    spy = subprocess.Popen([shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy")),
                            "record", "--pid", str(server.process.pid), "--subprocesses", "--gil",
                            "--rate", str(rate), "--duration", str(seconds), "--format", "raw",
                            "-o", str(raw)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1)  # py-spy attaches before the measured window starts
    load = os.getloadavg()
    cpu = server.cpu_seconds()
    figures = run_wrk(server.url, script, CONNECTIONS, seconds - 2, workdir)
    cpu_ms = (server.cpu_seconds() - cpu) * 1000 / max(figures["requests"], 1)
    _, err = spy.communicate(timeout=seconds + 60)
    if spy.returncode != 0 or not raw.exists():
        raise RuntimeError(f"py-spy failed: {err.decode(errors='replace')[-2000:]}")
    shutil.copyfile(raw, out.with_name(f"{out.stem}-{name}.txt"))
    total, layers, markers = summarize(raw)
    return {"rps": figures["rps"], "p50_ms": figures["p50_ms"], "p99_ms": figures["p99_ms"],
            "errors": figures["errors"], "cpu_ms_per_request": cpu_ms, "samples": total,
            "load_average": list(load), "layers": dict(layers), "markers": dict(markers)}


def markdown(result: dict) -> str:
    lines = [f"# Where a request's CPU goes, {result['started_at'][:16].replace('T', ' ')} UTC", "",
             f"`{result['command']}` — py-spy {result['rate']} Hz over {result['seconds']} s per "
             f"endpoint, wrk at {CONNECTIONS} connections on loopback, PostgreSQL "
             f"{result['machine']['postgresql']}, 1 uvicorn worker, 1,000 cases of 10 events; "
             f"commit {result['machine']['commit']}"
             f"{' with uncommitted changes' if result['machine']['uncommitted_changes'] else ''}.", ""]
    for name, r in result["endpoints"].items():
        lines.append(f"- {name}: {r['rps']:.0f} req/s, p50 {r['p50_ms']:.1f} ms, p99 "
                     f"{r['p99_ms']:.1f} ms, server CPU {r['cpu_ms_per_request']:.2f} ms per request, "
                     f"{r['samples']} samples, load average {r['load_average'][0]:.2f} "
                     f"{r['load_average'][1]:.2f} {r['load_average'][2]:.2f}")
    names = list(result["endpoints"])
    lines += ["", "By layer (each sample in the innermost layer it reached; ms = share x CPU per "
              "request):", "", "| layer | " + " | ".join(f"{n} % | {n} ms" for n in names) + " |",
              "|---|" + "---|---|" * len(names)]
    every = dict.fromkeys(n for r in result["endpoints"].values() for n in r["layers"])
    ordered = sorted(every, key=lambda k: -sum(r["layers"].get(k, 0) / max(r["samples"], 1)
                                                for r in result["endpoints"].values()))
    for layer in ordered:
        cells = []
        for r in result["endpoints"].values():
            share = r["layers"].get(layer, 0) / max(r["samples"], 1)
            cells.append(f"{share:.0%} | {share * r['cpu_ms_per_request']:.2f}")
        lines.append(f"| {layer} | " + " | ".join(cells) + " |")
    lines += ["", "Inclusive (a sample counts under every marker on its stack):", "",
              "| marker | " + " | ".join(f"{n} % | {n} ms" for n in names) + " |",
              "|---|" + "---|---|" * len(names)]
    for marker, _ in MARKERS:
        cells = []
        for r in result["endpoints"].values():
            share = r["markers"].get(marker, 0) / max(r["samples"], 1)
            cells.append(f"{share:.0%} | {share * r['cpu_ms_per_request']:.2f}")
        lines.append(f"| {marker} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=20, choices=range(5, 121), metavar="5..120")
    parser.add_argument("--rate", type=int, default=200, choices=range(10, 1001), metavar="10..1000")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("needs wrk: apt-get install -y wrk")
    started = datetime.now(timezone.utc)
    url = create_pg_database("stuckfunds_profile")
    if url is None:
        sys.exit("needs PostgreSQL on 127.0.0.1:5432 (trust)")
    result = {"started_at": started.isoformat(), "seconds": args.seconds, "rate": args.rate,
              "command": " ".join([".venv/bin/python -m bench.profile", *sys.argv[1:]]),
              "machine": machine(), "endpoints": {}}
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"profile-{started:%Y-%m-%d}.md"
    try:
        key, ids = seed(url)
        vacuum(url)
        with tempfile.TemporaryDirectory(prefix="stuckfunds-profile-") as tmp:
            workdir = Path(tmp)
            server = Server([STUCKFUNDS, "serve", "--database-url", url, "--workers", "1"],
                            log_path=workdir / "server.log")
            server.start()
            try:
                server.wait_ready()
                scripts = {"POST": _lua("POST", "/v1/cases/", "/events", ids, key, event_bodies()),
                           "GET": _lua("GET", "/v1/cases/", "", ids, key, [])}
                for name, script in scripts.items():
                    print(f"profiling {name} for {args.seconds} s...", flush=True)
                    result["endpoints"][name] = profile(server, name, script, args.seconds,
                                                        args.rate, workdir, out)
            finally:
                server.stop()
    finally:
        drop_pg_database(url)
    text = markdown(result)
    print("\n" + text)
    out.write_text(text)
    out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {out.relative_to(RESULTS.parent.parent)}")


if __name__ == "__main__":
    main()
