"""Load benchmark: StuckFunds against a baseline doing only the raw database work, under wrk.

Usage (from the project root; needs `wrk` — `apt-get install -y wrk` — and the local PostgreSQL):

    .venv/bin/python bench/load.py [--quick] [--one-worker --skip-sqlite --skip-scale --skip-breakdown]

The full run takes about fifteen minutes; `--quick` (3 s per measurement instead of 10, and a
smaller large-table test) about ten. Results go to bench/results/load-<date>[-quick].json and .md.

What it does, for each of SQLite with 1 worker, PostgreSQL with 1 worker and with 2 workers, each
on fresh databases built by the migrations:

1. Seeds 1,000 cases of 10 events each: one case is opened and given its events through the
   API in-process (so its rows, projection and hash chain are the product's own), then copied.
   The baseline gets an identical copy of the database (PostgreSQL `CREATE DATABASE ... TEMPLATE`,
   a file copy for SQLite).
2. Serves the product (`stuckfunds serve --workers N`) alone, then the baseline
   (bench/baseline_app.py under `uvicorn --workers N`) alone, on loopback, and drives each with
   wrk at 16 and then 64 connections for a fixed time, after a short warm-up: POST an event
   (note, support call, evidence saved, in turn) to the seeded cases in rotation, and GET a case.
   Each wrk thread starts at a different place in the rotation, so concurrent requests rarely
   meet on one case.
3. Prints requests/s, p50 and p99 (wrk --latency), and the ratios product/baseline.
4. On PostgreSQL, serves a third copy with bench/samestack_app.py (FastAPI + sync SQLAlchemy Core
   + psycopg, the product's own stack doing only the database work) and reports the product
   against both baselines side by side; issue 14's goals are checked against this one.

Then, on PostgreSQL with 1 worker, the same measurement with 1,000,000 cases stored (999,000
filler cases of another client, 2 events each, written with generate_series) against 1,000, for
the product and the baseline; and evaluate() on cases of 20, 200 and 2,000 events, with
bench/evaluation.py's own measurement.

The servers run with quiet logs (WARNING: no access log line per request) and a rate limit no
run reaches; everything else is as shipped. wrk, the server and PostgreSQL share the machine's
cores, and nothing else is controlled: the load average is recorded before and after.
"""

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

import psycopg  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from bench.evaluation import bench_evaluate, case_payloads  # noqa: E402
from bench.harness import (  # noqa: E402
    BENCH_SECRET_KEY, PG_ADMIN_URL, STUCKFUNDS, Server, create_pg_database, drop_pg_database,
    cpu_since, libpq, machine, postgres_cpu,
)

RESULTS = PROJECT_ROOT / "bench" / "results"
HOT_CASES = 1_000
EVENTS_PER_CASE = 10
BIG = 1_000_000
CONNECTIONS = (16, 64)
# Issue 14's goals, against the same-stack baseline (FastAPI + sync SQLAlchemy + psycopg).
GOALS = {"post_throughput": 0.5, "get_throughput": 0.8, "p99": 3.0, "two_workers": 1.8}


# --- seeding ---------------------------------------------------------------------------------


def seed(database_url: str) -> tuple[str, list[str]]:
    """Migrate, create a client, make one real case through the API, copy it: (key, case ids)."""
    from fastapi.testclient import TestClient

    from app.auth.service import create_client
    from app.db.migrate import upgrade_to_head
    from app.db.models import Case, CaseEvent
    from app.main import create_app
    from app.settings import Settings

    upgrade_to_head(database_url)
    app = create_app(Settings(database_url=database_url, embedded_worker=False,
                              secret_key=BENCH_SECRET_KEY, rate_limit_api_key="1000000/hour"))
    with app.state.write_sessions.begin() as session:
        key = create_client(session=session, name="bench-load", now=datetime.now(timezone.utc)).key
    rng = random.Random(20251125)
    intake, events = case_payloads(rng, EVENTS_PER_CASE, datetime.now(timezone.utc) - timedelta(hours=2),
                                   fraud=False)
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {key}"}
        template = client.post("/v1/cases", json=intake, headers=headers)
        assert template.status_code == 201, template.text
        template_id = uuid.UUID(template.json()["id"])
        for event in events:
            answer = client.post(f"/v1/cases/{template_id}/events", json=event, headers=headers)
            assert answer.status_code == 201, answer.text
    engine = app.state.engine
    with engine.begin() as conn:
        case = dict(conn.execute(select(Case.__table__).where(Case.id == template_id)).mappings().one())
        rows = [dict(r) for r in conn.execute(select(CaseEvent.__table__)
                                              .where(CaseEvent.case_id == template_id)).mappings()]
        ids = [template_id]
        cases, copies = [], []
        for _ in range(HOT_CASES - 1):
            new_id = uuid.uuid4()
            ids.append(new_id)
            cases.append({**case, "id": new_id, "external_ref": None})
            copies += [{**row, "id": uuid.uuid4(), "case_id": new_id, "event_id": None} for row in rows]
        conn.execute(insert(Case.__table__), cases)
        conn.execute(insert(CaseEvent.__table__), copies)
    engine.dispose()
    return key, [str(i) for i in ids]


def add_filler(database_url: str, n: int, events_each: int = 2) -> float:
    """PostgreSQL: n more cases of another client, each with `events_each` events; seconds taken."""
    from app.db.models import Case, CaseEvent

    started = time.monotonic()
    case_cols = [c.name for c in Case.__table__.columns]
    event_cols = [c.name for c in CaseEvent.__table__.columns]
    filler_client = uuid.uuid4()
    picked = {"id": "gen_random_uuid()", "client_id": "%(client)s", "external_ref": "NULL",
              "last_seq": str(events_each), "version": str(events_each + 1)}
    case_select = ", ".join(picked.get(c, f'c."{c}"') for c in case_cols)
    event_pick = {"id": "gen_random_uuid()", "case_id": "f.id", "event_id": "NULL"}
    event_select = ", ".join(event_pick.get(c, f'e."{c}"') for c in event_cols)
    with psycopg.connect(libpq(database_url), autocommit=True) as conn:
        conn.execute("INSERT INTO api_client (id, name, created_at) VALUES (%s, 'filler', now())",
                     (filler_client,))
        template = conn.execute('SELECT id FROM "case" ORDER BY created_at LIMIT 1').fetchone()[0]
        conn.execute(f'INSERT INTO "case" ({", ".join(chr(34) + c + chr(34) for c in case_cols)}) '
                     f'SELECT {case_select} FROM "case" c, generate_series(1, %(n)s) '
                     f'WHERE c.id = %(template)s', {"client": filler_client, "n": n, "template": template})
        conn.execute(f'INSERT INTO case_event ({", ".join(chr(34) + c + chr(34) for c in event_cols)}) '
                     f'SELECT {event_select} FROM "case" f JOIN case_event e '
                     f'ON e.case_id = %(template)s AND e.seq <= %(k)s WHERE f.client_id = %(client)s',
                     {"client": filler_client, "template": template, "k": events_each})
        conn.execute("VACUUM ANALYZE")
    return time.monotonic() - started


def _api_client_columns_ok(database_url: str) -> None:
    with psycopg.connect(libpq(database_url)) as conn:
        cols = {r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns "
                                           "WHERE table_name = 'api_client'")}
    missing = {"id", "name", "created_at"} - cols
    if missing:
        raise RuntimeError(f"api_client lacks {missing}; update add_filler()")


def clone_pg(source_url: str, prefix: str) -> str:
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(libpq(PG_ADMIN_URL), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(source_url).database}"')
    return make_url(source_url).set(database=name).render_as_string(hide_password=False)


def vacuum(database_url: str) -> None:
    if database_url.startswith("postgresql"):
        with psycopg.connect(libpq(database_url), autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")


# --- wrk -------------------------------------------------------------------------------------


def _lua(method: str, prefix: str, suffix: str, ids: list[str], key: str, bodies: list[str]) -> str:
    quoted = ",\n".join(f'"{i}"' for i in ids)
    lua_bodies = ",\n".join("[==[" + b + "]==]" for b in bodies) or '""'
    return f"""
local ids = {{ {quoted} }}
local bodies = {{ {lua_bodies} }}
local headers = {{ ["Authorization"] = "Bearer {key}", ["Content-Type"] = "application/json" }}
local counter = 0
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function init(args)
  counter = (tid or 0) * 7919
end
function request()
  counter = counter + 1
  local id = ids[(counter % #ids) + 1]
  local body = nil
  if "{method}" == "POST" then body = bodies[(counter % #bodies) + 1] end
  return wrk.format("{method}", "{prefix}" .. id .. "{suffix}", headers, body)
end
"""


def event_bodies() -> list[str]:
    at = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()
    later = (datetime.now(timezone.utc) + timedelta(days=3)).isoformat()
    return [json.dumps(b, ensure_ascii=False) for b in (
        {"type": "note_added", "occurred_at": at, "data": {"text": "客服说还在审核，让我再等等。"}},
        {"type": "support_contacted", "occurred_at": at,
         "data": {"channel": "online_chat", "explanation_kind": "risk_review",
                  "promised_resolution_at": later, "in_writing": False}},
        {"type": "evidence_saved", "occurred_at": at, "data": {"kind": "chat_log"}},
    )]


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value.strip()).groups()
    return float(number) * _UNITS[unit]


def parse_wrk(output: str) -> dict:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    percentiles = {p: _ms(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", output, re.M)}
    total = int(re.search(r"(\d+) requests in", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {"rps": rps, "p50_ms": percentiles.get("50"), "p90_ms": percentiles.get("90"),
            "p99_ms": percentiles.get("99"), "requests": total,
            "errors": (int(non_2xx.group(1)) if non_2xx else 0)
            + (sum(int(x) for x in socket.groups()) if socket else 0)}


def run_wrk(url: str, script: str, connections: int, seconds: float, workdir: Path) -> dict:
    path = workdir / f"wrk-{uuid.uuid4().hex[:8]}.lua"
    path.write_text(script)
    threads = min(2, connections)
    result = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "--latency",
         "-s", str(path), url], capture_output=True, text=True, timeout=seconds + 120)
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed: {result.stderr}\n{result.stdout}")
    return parse_wrk(result.stdout)


def measure(server: Server, kind: str, which: str, ids: list[str], key: str, seconds: float,
            warmup: float, workdir: Path, connections=CONNECTIONS, floor: bool = True) -> dict:
    """wrk against one running server: POST events and GET case, at each connection count.

    Besides wrk's figures: the CPU the server's processes and PostgreSQL's spent per request
    (from /proc), and for the product the evaluations per request (from its /metrics). `floor`
    adds a run against the framework alone: /healthz (product) or /readyz (baseline), 16 conns.
    """
    prefix = "/v1/cases/" if kind == "product" else "/cases/"
    database = server.database  # PostgreSQL backends are counted for this database only
    scripts = {"post": _lua("POST", prefix, "/events", ids, key, event_bodies()),
               "get": _lua("GET", prefix, "", ids, key, [])}
    runs = [(op, c) for op in ("post", "get") for c in connections]
    if floor:
        scripts["floor"] = _lua("GET", "/healthz" if kind == "product" else "/readyz", "", [""], key, [])
        runs.append(("floor", 16))
    out = {}
    warmed = set()
    for operation, c in runs:
        if operation not in warmed:
            run_wrk(server.url, scripts[operation], 16, warmup, workdir)  # pools, caches, imports
            warmed.add(operation)
        evaluations = _evaluations(server) if kind == "product" else None
        cpu, db_cpu = server.cpu_seconds(), postgres_cpu(database)
        figures = run_wrk(server.url, scripts[operation], c, seconds, workdir)
        n = max(figures["requests"], 1)
        figures["server_cpu_ms_per_request"] = (server.cpu_seconds() - cpu) * 1000 / n
        figures["postgres_cpu_ms_per_request"] = cpu_since(db_cpu, postgres_cpu(database)) * 1000 / n
        if evaluations is not None:
            figures["evaluations_per_request"] = (_evaluations(server) - evaluations) / n
        out[f"{operation}_{c}"] = figures
        print(f"    {which:9s} {kind:8s} {operation.upper():5s} c={c:<3d} {figures['rps']:8.1f} req/s  "
              f"p50 {figures['p50_ms']:7.1f} ms  p99 {figures['p99_ms']:7.1f} ms  "
              f"cpu/req {figures['server_cpu_ms_per_request']:5.2f} ms (pg {figures['postgres_cpu_ms_per_request']:4.2f})"
              + (f"  ERRORS {figures['errors']}" if figures["errors"] else ""))
    return out


def _evaluations(server: Server) -> float:
    import httpx

    scrape = httpx.get(f"{server.url}/metrics", timeout=30).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in scrape.splitlines()
               if line.startswith("stuckfunds_evaluations_total{"))


def product_server(database_url: str, workers: int, log: Path) -> Server:
    server = Server([STUCKFUNDS, "serve", "--database-url", database_url, "--workers", str(workers)],
                    log_path=log)
    server.database = _database_name(database_url)
    return server


def baseline_server(database_url: str, workers: int, log: Path) -> Server:
    server = Server([sys.executable, "-m", "uvicorn", "bench.baseline_app:app", "--app-dir",
                     str(PROJECT_ROOT), "--workers", str(workers), "--log-level", "warning",
                     "--no-access-log"], log_path=log,
                    env={"BASELINE_DATABASE_URL": database_url, "BASELINE_POOL_SIZE": "10"})
    server.database = _database_name(database_url)
    return server


def samestack_server(database_url: str, workers: int, log: Path) -> Server:
    server = Server([sys.executable, "-m", "uvicorn", "bench.samestack_app:app", "--app-dir",
                     str(PROJECT_ROOT), "--workers", str(workers), "--log-level", "warning",
                     "--no-access-log"], log_path=log,
                    env={"SAMESTACK_DATABASE_URL": database_url, "SAMESTACK_POOL_SIZE": "10"})
    server.database = _database_name(database_url)
    return server


def _database_name(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).database if url.startswith("postgresql") else "(sqlite)"


def serve_and_measure(make, url: str, workers: int, kind: str, which: str, ids, key, seconds, warmup,
                      workdir: Path, connections=CONNECTIONS, floor: bool = True) -> dict:
    server = make(url, workers, workdir / f"{which}-{kind}.log")
    server.start()
    try:
        server.wait_ready()
        return measure(server, kind, which, ids, key, seconds, warmup, workdir, connections, floor)
    finally:
        server.stop()


def ratios(product: dict, baseline: dict) -> dict:
    """Product over baseline: POST vs the baseline's POST (raw event write), GET vs both."""
    out = {}
    for key, p in product.items():
        operation, c = key.split("_")
        if operation == "floor":
            continue
        for against in ("post", "get"):
            b = baseline.get(f"{against}_{c}")
            if not b:
                continue
            out[f"{operation}_{c}_vs_baseline_{against}"] = {
                "throughput": p["rps"] / b["rps"], "p99": p["p99_ms"] / b["p99_ms"],
                "p50": p["p50_ms"] / b["p50_ms"]}
    return out


# --- the runs --------------------------------------------------------------------------------


def run_config(backend: str, workers: int, seconds: float, warmup: float, workdir: Path,
               dbs: list[str]) -> dict:
    which = f"{backend}-{workers}w"
    print(f"\n{which}: seeding {HOT_CASES} cases x {EVENTS_PER_CASE} events...")
    if backend == "sqlite":
        product_url = f"sqlite:///{workdir / f'{which}-product.db'}"
        key, ids = seed(product_url)
        baseline_path = workdir / f"{which}-baseline.db"
        shutil.copyfile(product_url.split("///", 1)[1], baseline_path)
        baseline_url = f"sqlite:///{baseline_path}"
    else:
        product_url = create_pg_database("stuckfunds_load")
        dbs.append(product_url)
        key, ids = seed(product_url)
        vacuum(product_url)
        baseline_url = clone_pg(product_url, "stuckfunds_load_base")
        dbs.append(baseline_url)
        same_url = clone_pg(product_url, "stuckfunds_load_same")
        dbs.append(same_url)
    product = serve_and_measure(product_server, product_url, workers, "product", which, ids, key,
                                seconds, warmup, workdir)
    baseline = serve_and_measure(baseline_server, baseline_url, workers, "baseline", which, ids,
                                 key, seconds, warmup, workdir)
    out = {"backend": backend, "workers": workers, "product": product, "baseline": baseline,
           "ratios": ratios(product, baseline)}
    if backend == "postgresql":  # the same-stack baseline speaks PostgreSQL only
        samestack = serve_and_measure(samestack_server, same_url, workers, "samestack", which, ids,
                                      key, seconds, warmup, workdir)
        out.update(samestack=samestack, ratios_samestack=ratios(product, samestack))
    return out


def run_scale(seconds: float, warmup: float, workdir: Path, dbs: list[str], connections) -> dict:
    print(f"\nscale, postgresql-1w: {HOT_CASES:,} cases stored vs {BIG:,}")
    small = create_pg_database("stuckfunds_scale")
    dbs.append(small)
    key, ids = seed(small)
    vacuum(small)
    big = clone_pg(small, "stuckfunds_scale_big")
    dbs.append(big)
    _api_client_columns_ok(big)
    filler_seconds = add_filler(big, BIG - HOT_CASES)
    print(f"  {BIG - HOT_CASES:,} filler cases and {2 * (BIG - HOT_CASES):,} events written in "
          f"{filler_seconds:.0f} s")
    out = {"filler_seconds": filler_seconds, "sizes": {}}
    for label, url in (("1k", small), ("1M", big)):
        base = clone_pg(url, "stuckfunds_scale_base")
        dbs.append(base)
        sizes = _sizes(url)
        product = serve_and_measure(product_server, url, 1, "product", f"pg-{label}", ids, key,
                                    seconds, warmup, workdir, connections, floor=False)
        baseline = serve_and_measure(baseline_server, base, 1, "baseline", f"pg-{label}", ids, key,
                                     seconds, warmup, workdir, connections, floor=False)
        out["sizes"][label] = {"tables": sizes, "product": product, "baseline": baseline,
                               "ratios": ratios(product, baseline)}
    one_k, one_m = out["sizes"]["1k"], out["sizes"]["1M"]
    out["1M_over_1k"] = {
        kind: {k: one_m[kind][k]["rps"] / one_k[kind][k]["rps"] for k in one_k[kind]}
        for kind in ("product", "baseline")}
    return out


def _sizes(url: str) -> dict:
    with psycopg.connect(libpq(url)) as conn:
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in ("case", "case_event")}


def run_evaluation_sizes(quick: bool) -> dict:
    from app.evaluation import CompiledRuleset, load_ruleset

    print("\nevaluate() in-process, by case size (bench/evaluation.py's measurement):")
    ruleset = CompiledRuleset(load_ruleset(PROJECT_ROOT / "rules"))
    reps = {20: 100, 200: 40, 2000: 8} if quick else {20: 600, 200: 200, 2000: 30}
    return bench_evaluate(ruleset, reps, logs_per_size=3 if quick else 5)


def run_breakdown_subprocess(requests: int) -> dict:
    """bench/breakdown.py in a process of its own (it wraps the app's functions with timers)."""
    print("\nwhere a request's CPU goes (bench/breakdown.py, one request at a time, in-process):")
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        done = subprocess.run([sys.executable, str(PROJECT_ROOT / "bench" / "breakdown.py"),
                               "--requests", str(requests), "--json", out.name],
                              capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            print(f"  breakdown failed: {done.stderr[-2000:]}")
            return {}
        print("  " + done.stdout.strip().replace("\n", "\n  "))
        return json.loads(Path(out.name).read_text())


# --- report ----------------------------------------------------------------------------------


def markdown(result: dict) -> str:
    m = result["machine"]
    lines = [f"# Load benchmark, {result['started_at'][:16].replace('T', ' ')} UTC"
             f"{' (quick)' if result['quick'] else ''}", "",
             f"`{result['command']}` — {result['seconds_per_run']} s per measurement, wrk "
             f"(2 threads) on loopback.", "",
             f"Machine: {m['cpu_model']}, {m['logical_cores']} cores, {m['memory_gib']} GiB, "
             f"{m['os']}; Python {m['python']}, PostgreSQL {m['postgresql']}, SQLite {m['sqlite']}, "
             f"uvicorn {m['uvicorn']}, FastAPI {m['fastapi']}, SQLAlchemy {m['sqlalchemy']}; "
             f"load average {m['load_average'][0]:.2f} at start, "
             f"{result['load_average_end'][0]:.2f} at end; commit {m.get('commit')}"
             f"{' with uncommitted changes' if m.get('uncommitted_changes') else ''}.", "",
             "| config | endpoint | conns | product req/s | p50 ms | p99 ms | baseline POST req/s | "
             "p99 ms | req/s ratio | p99 ratio |", "|---|---|---|---|---|---|---|---|---|---|"]
    for config in result["configs"]:
        which = f"{config['backend']} {config['workers']}w"
        for key, p in config["product"].items():
            operation, c = key.split("_")
            if operation == "floor":
                continue
            b = config["baseline"][f"post_{c}"]
            r = config["ratios"][f"{key}_vs_baseline_post"]
            lines.append(f"| {which} | {operation.upper()} | {c} | {p['rps']:.0f} | {p['p50_ms']:.1f} | "
                         f"{p['p99_ms']:.1f} | {b['rps']:.0f} | {b['p99_ms']:.1f} | "
                         f"{r['throughput']:.2f} | {r['p99']:.2f} |")
    lines += ["", "Like for like (the baseline's GET reads the case row and its last 20 events):", "",
              "| config | conns | product GET req/s | baseline GET req/s | ratio | p99 ratio |",
              "|---|---|---|---|---|---|"]
    for config in result["configs"]:
        for c in CONNECTIONS:
            r = config["ratios"].get(f"get_{c}_vs_baseline_get")
            if r:
                lines.append(f"| {config['backend']} {config['workers']}w | {c} | "
                             f"{config['product'][f'get_{c}']['rps']:.0f} | "
                             f"{config['baseline'][f'get_{c}']['rps']:.0f} | {r['throughput']:.2f} | "
                             f"{r['p99']:.2f} |")
    lines += ["", "Side by side (PostgreSQL): the product against both baselines — Starlette + async "
              "psycopg (baseline_app.py) and FastAPI + sync SQLAlchemy Core + psycopg "
              "(samestack_app.py) — each doing only the database work of the same endpoint:", "",
              "| config | endpoint | conns | product req/s | Starlette req/s | same-stack req/s | "
              "product/Starlette | product/same-stack | p99 product / Starlette / same-stack ms | "
              "p99 ratio vs same-stack |", "|---|---|---|---|---|---|---|---|---|---|"]
    for config in result["configs"]:
        same = config.get("samestack")
        if not same:
            continue
        for key, p in config["product"].items():
            operation, c = key.split("_")
            if operation == "floor":
                continue
            b, s = config["baseline"][key], same[key]
            lines.append(f"| {config['backend']} {config['workers']}w | {operation.upper()} | {c} | "
                         f"{p['rps']:.0f} | {b['rps']:.0f} | {s['rps']:.0f} | "
                         f"{p['rps'] / b['rps']:.2f} | {p['rps'] / s['rps']:.2f} | "
                         f"{p['p99_ms']:.1f} / {b['p99_ms']:.1f} / {s['p99_ms']:.1f} | "
                         f"{p['p99_ms'] / s['p99_ms']:.2f} |")
    lines += ["", "Where the time goes: CPU per request (ms) of the server's processes and of PostgreSQL,"
              " at 16 connections; `floor` is /healthz (product) or /readyz (baseline), no database:", "",
              "| config | product POST | GET | floor | evaluations per POST / GET | baseline POST | GET | floor |"
              " PostgreSQL per product POST / baseline POST | same-stack POST / GET / floor |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for config in result["configs"]:
        p, b = config["product"], config["baseline"]
        lines.append(
            f"| {config['backend']} {config['workers']}w | {p['post_16']['server_cpu_ms_per_request']:.2f} | "
            f"{p['get_16']['server_cpu_ms_per_request']:.2f} | {p['floor_16']['server_cpu_ms_per_request']:.2f} | "
            f"{p['post_16'].get('evaluations_per_request', 0):.2f} / {p['get_16'].get('evaluations_per_request', 0):.2f} | "
            f"{b['post_16']['server_cpu_ms_per_request']:.2f} | {b['get_16']['server_cpu_ms_per_request']:.2f} | "
            f"{b['floor_16']['server_cpu_ms_per_request']:.2f} | "
            f"{p['post_16']['postgres_cpu_ms_per_request']:.2f} / {b['post_16']['postgres_cpu_ms_per_request']:.2f} |"
            + (f" {config['samestack']['post_16']['server_cpu_ms_per_request']:.2f} / "
               f"{config['samestack']['get_16']['server_cpu_ms_per_request']:.2f} / "
               f"{config['samestack']['floor_16']['server_cpu_ms_per_request']:.2f} |"
               if config.get("samestack") else " |"))
    scale = result.get("scale")
    if scale:
        lines += ["", "Table size (PostgreSQL, 1 worker): 1,000 cases vs 1,000,000 (+2,000,000 events):",
                  "", "| endpoint | conns | product 1k | product 1M | 1M/1k | baseline 1k | baseline 1M | 1M/1k |",
                  "|---|---|---|---|---|---|---|---|"]
        for key in scale["sizes"]["1k"]["product"]:
            operation, c = key.split("_")
            pk, pm = scale["sizes"]["1k"]["product"][key], scale["sizes"]["1M"]["product"][key]
            bk, bm = scale["sizes"]["1k"]["baseline"][key], scale["sizes"]["1M"]["baseline"][key]
            lines.append(f"| {operation.upper()} | {c} | {pk['rps']:.0f} | {pm['rps']:.0f} | "
                         f"{pm['rps'] / pk['rps']:.2f} | {bk['rps']:.0f} | {bm['rps']:.0f} | "
                         f"{bm['rps'] / bk['rps']:.2f} |")
    evaluation = result.get("evaluation")
    if evaluation:
        lines += ["", "evaluate() by case size (in-process, median / p99 / min):", "",
                  "| events | median ms | p99 ms | min ms |", "|---|---|---|---|"]
        for size, s in evaluation["sizes"].items():
            lines.append(f"| {size} | {s['median_ms']:.2f} | {s['p99_ms']:.2f} | {s['min_ms']:.2f} |")
        growth = evaluation["growth"]["median"]
        lines += ["", "Growth of the median for 10x the events: "
                  + ", ".join(f"{k}: x{v:.1f}" for k, v in growth.items())]
    breakdown = result.get("breakdown")
    if breakdown:
        lines += ["", "Where one request's CPU goes (bench/breakdown.py: in-process, one at a time, "
                  "PostgreSQL; nested rows are included in `service.append_event`):", "",
                  "| | POST ms | GET ms |", "|---|---|---|",
                  f"| whole request (process CPU) | {breakdown['post']['process_cpu_ms_per_request']:.2f} | "
                  f"{breakdown['get']['process_cpu_ms_per_request']:.2f} |"]
        names = dict.fromkeys([*breakdown["post"]["components_ms_per_request"],
                               *breakdown["get"]["components_ms_per_request"]])
        for name in names:
            post = breakdown["post"]["components_ms_per_request"].get(name)
            get = breakdown["get"]["components_ms_per_request"].get(name)
            lines.append(f"| {name} | {'' if post is None else f'{post:.2f}'} | "
                         f"{'' if get is None else f'{get:.2f}'} |")
        lines.append(f"| framework floor (GET /healthz) | "
                     f"{breakdown['floor']['process_cpu_ms_per_request']:.2f} | |")
    lines += ["", "Goals (PostgreSQL): " + "; ".join(result["goals"]["summary"])]
    return "\n".join(lines) + "\n"


def check_goals(configs: list[dict]) -> dict:
    """Issue 14's goals on PostgreSQL, against the same-stack baseline where it was measured."""
    summary, met = [], True
    by_workers = {}
    for config in configs:
        if config["backend"] != "postgresql":
            continue
        by_workers[config["workers"]] = config
        same = "ratios_samestack" in config
        table = config["ratios_samestack"] if same else config["ratios"]
        for c in CONNECTIONS:
            post = table[f"post_{c}_vs_baseline_post"]
            get = table[f"get_{c}_vs_baseline_get"]
            checks = [("POST", post["throughput"], GOALS["post_throughput"], True),
                      ("GET", get["throughput"], GOALS["get_throughput"], True),
                      ("POST p99", post["p99"], GOALS["p99"], False),
                      ("GET p99", get["p99"], GOALS["p99"], False)]
            for name, value, goal, at_least in checks:
                ok = value >= goal if at_least else value <= goal
                met &= ok
                summary.append(f"{config['workers']}w c={c} {name} {value:.2f} of "
                               f"{'same-stack' if same else 'Starlette'} "
                               f"({'>=' if at_least else '<='} {goal}: {'met' if ok else 'NOT met'})")
    if 1 in by_workers and 2 in by_workers:
        for operation in ("post", "get"):
            for c in CONNECTIONS:
                value = (by_workers[2]["product"][f"{operation}_{c}"]["rps"]
                         / by_workers[1]["product"][f"{operation}_{c}"]["rps"])
                ok = value >= GOALS["two_workers"]
                met &= ok
                summary.append(f"2w/1w c={c} {operation.upper()} {value:.2f} "
                               f"(>= {GOALS['two_workers']}: {'met' if ok else 'NOT met'})")
    return {"met": met, "summary": summary}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 s per measurement, 16 connections "
                        "only for the 1M-case test")
    parser.add_argument("--seconds", type=float, help="seconds per measurement (default 10, quick 3)")
    parser.add_argument("--skip-scale", action="store_true", help="no 1,000,000-case test")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--one-worker", action="store_true", help="PostgreSQL with 1 worker only")
    parser.add_argument("--skip-breakdown", action="store_true", help="no bench/breakdown.py run")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench/load.py needs wrk: apt-get install -y wrk (Debian's package), then run again")
    seconds = args.seconds or (3 if args.quick else 10)
    warmup = 1 if args.quick else 2
    info = machine()
    started = datetime.now(timezone.utc)
    print(f"StuckFunds load benchmark {'(quick) ' if args.quick else ''}— {started:%Y-%m-%d %H:%M} UTC")
    print(f"machine: {info['cpu_model']}, {info['logical_cores']} cores, {info['memory_gib']} GiB; "
          f"PostgreSQL {info['postgresql']}; load average {info['load_average'][0]:.2f}")
    if info["postgresql"] is None:
        sys.exit(f"bench/load.py needs PostgreSQL at {PG_ADMIN_URL} (or STUCKFUNDS_BENCH_PG_URL)")
    dbs: list[str] = []
    result = {"benchmark": "load", "quick": args.quick, "started_at": started.isoformat(),
              "command": " ".join([".venv/bin/python", "bench/load.py", *sys.argv[1:]]),
              "seconds_per_run": seconds, "warmup_seconds": warmup, "machine": info,
              "hot_cases": HOT_CASES, "events_per_case": EVENTS_PER_CASE, "configs": []}
    try:
        with tempfile.TemporaryDirectory(prefix="stuckfunds-load-") as tmp:
            workdir = Path(tmp)
            configs = [("postgresql", 1)] if args.one_worker else [("postgresql", 1), ("postgresql", 2)]
            if not args.skip_sqlite:
                configs.insert(0, ("sqlite", 1))
            for backend, workers in configs:
                result["configs"].append(run_config(backend, workers, seconds, warmup, workdir, dbs))
                while dbs:
                    drop_pg_database(dbs.pop())
            if not args.skip_scale:
                result["scale"] = run_scale(seconds, warmup, workdir, dbs,
                                            (16,) if args.quick else CONNECTIONS)
    finally:
        while dbs:
            drop_pg_database(dbs.pop())
    result["evaluation"] = run_evaluation_sizes(args.quick)
    if not args.skip_breakdown:
        result["breakdown"] = run_breakdown_subprocess(100 if args.quick else 300)
    result["goals"] = check_goals(result["configs"])
    result["load_average_end"] = list(os.getloadavg())
    print("\n" + markdown(result))
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / (f"load-{started:%Y-%m-%d}{'-quick' if args.quick else ''}"
                      f"{'-1w' if args.one_worker else ''}")
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    stem.with_suffix(".md").write_text(markdown(result))
    print(f"results written to {stem.relative_to(PROJECT_ROOT)}.json and .md")


if __name__ == "__main__":
    main()
