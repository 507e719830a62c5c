"""Benchmark: what one evaluation costs, and how much of an event POST it is.

Usage (from the project root):

    .venv/bin/python bench/evaluation.py [--quick]

It prints figures and asserts nothing. `--quick` uses fewer repetitions (a smoke run, under a
minute); the full run takes about five minutes. Results are also written as JSON to
`bench/results/evaluation-<YYYY-MM-DD>.json` (`...-quick.json` for a quick run).

What it measures:

1. `app.evaluation.evaluate`, in this process, with the real ruleset, on cases of 20, 200 and
   2,000 events: median, p99 and min over many repetitions, and the growth factor from one size
   to the next (10x the events each time). The logs are built deterministically (seeded `random`)
   from a weighted mix of every event type but `case_closed`, half of them dispute cases and half
   with red flags, and each event is validated by the API's own models and stored the way the
   service stores it. The sizes are measured interleaved, so background load hits them alike.
   Also shown: the part spent in `derive()` (folding the log into facts), the part spent in
   durable-rules matching, and how many passes of the five stages `evaluate` made (it re-runs
   them at candidate instants to find `next_transition_at`).
2. `POST /v1/cases/{id}/events` against a real server: `stuckfunds serve` in a subprocess on a
   free loopback port, on a migrated SQLite file and, when one answers at
   postgresql+psycopg://postgres@127.0.0.1:5432/postgres, on a fresh PostgreSQL database
   (`stuckfunds_bench_<random>`, dropped afterwards). Cases are opened and given 19 events over
   HTTP; the measured request is each case's 20th event, so the evaluation inside it covers 20
   events. Latency is measured at the client (httpx, one keep-alive connection, one request at a
   time). The server is not instrumented, so the share of the request spent in evaluation is
   estimated as (median in-process `evaluate` time on those same 20-event logs, taken right after
   each request) / (median request latency). The client and the server share the machine's
   cores. The server runs with SERVER_ENV below (quiet logs, a rate limit seeding never hits).

On a shared or busy machine the medians and p99s move with the load (printed at the start and
stored with the results); the minimums are the steadiest estimate of the intrinsic cost.
"""

import argparse
import gc
import hashlib
import json
import os
import platform
import random
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import types
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import httpx  # noqa: E402
import psycopg  # noqa: E402
from pydantic import AwareDatetime, BaseModel, StringConstraints, TypeAdapter  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app.auth.service import create_client  # noqa: E402
from app.cases.event_data import EVENT_MODELS, CaseEventCreate  # noqa: E402
from app.cases.intake import CaseCreate  # noqa: E402
from app.cases.service import intake_input  # noqa: E402
from app.db.engine import make_engine, make_sessionmaker  # noqa: E402
from app.db.migrate import upgrade_to_head  # noqa: E402
from app.evaluation import CompiledRuleset, EventInput, evaluate, load_ruleset  # noqa: E402
from app.evaluation.facts import derive  # noqa: E402
from app.evaluation.rulebook import STAGES  # noqa: E402
from app.settings import Settings  # noqa: E402

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
STUCKFUNDS = str(Path(sys.executable).with_name("stuckfunds"))
RESULTS = PROJECT_ROOT / "bench" / "results"
SIZES = (20, 200, 2000)
SEED = 20240601
EVALS_PER_REQUEST = 5
# The server's configuration for the run: quiet logs, and a per-key rate limit (still counted on
# every request) high enough that seeding thousands of events from one key is never refused.
SERVER_ENV = {"STUCKFUNDS_LOG_LEVEL": "WARNING", "STUCKFUNDS_RATE_LIMIT_API_KEY": "1000000/hour"}

# How often each event type turns up in a stuck withdrawal's timeline. Red-flag types only appear
# in the "fraud" half of the cases; case_closed never (a closed case takes no more events).
DISPUTE_WEIGHTS = {
    "support_contacted": 22, "note_added": 14, "evidence_saved": 14, "withdrawal_attempted": 10,
    "notice_posted": 5, "urgency_stated": 3, "notice_changed": 2, "regulator_checked": 2,
    "peers_checked": 2, "license_checked": 2, "account_restricted": 3, "funds_received": 2,
    "complaint_filed": 3, "complaint_forwarded": 1, "extension_notified": 1,
    "decision_received": 1, "mediation_started": 1, "mediation_ended": 1, "lawyer_consulted": 0.5,
    "lawsuit_filed": 0.2,
}
FRAUD_WEIGHTS = {
    **DISPUTE_WEIGHTS,
    "platform_trait_observed": 4, "fee_demanded": 3, "payment_instruction_received": 1,
    "credentials_requested": 1, "recovery_offer_received": 1, "refund_notice_received": 1,
    "agent_solicitation": 1, "police_report_filed": 0.5,
}
EVENT_ADAPTER = TypeAdapter(CaseEventCreate)


# --- deterministic, valid case logs --------------------------------------------------------------


class _Unsupported(NotImplementedError):
    """A field this generator cannot fill: left out when optional."""


def _value(rng: random.Random, tp: Any, at: datetime) -> Any:
    """A random valid value for one annotation of the request models (JSON-ready)."""
    origin = get_origin(tp)
    if origin is Annotated:
        base, *metadata = get_args(tp)
        patterns = [m.pattern for m in metadata if isinstance(m, StringConstraints) and m.pattern]
        if base is str and patterns:
            # A file digest is the one pattern the models use; anything else is left out.
            digest = hashlib.sha256(rng.randbytes(16)).hexdigest()
            if re.fullmatch(patterns[0], digest):
                return digest
            raise _Unsupported(f"no generator for the pattern {patterns[0]!r}")
        return _value(rng, base, at)
    if origin in (Union, types.UnionType):
        return _value(rng, rng.choice([a for a in get_args(tp) if a is not type(None)]), at)
    if origin is Literal:
        return rng.choice(get_args(tp))
    if tp is bool:
        return rng.random() < 0.5
    if tp is Decimal:
        return f"{rng.randint(100, 2_000_000) / 100:.2f}"
    if tp is AwareDatetime or (isinstance(tp, type) and issubclass(tp, datetime)):
        return (at + timedelta(days=rng.uniform(-3, 14))).isoformat()
    if tp is str:
        return f"ref-{rng.randrange(10**6)}"
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return _model(rng, tp, at)
    raise _Unsupported(f"no generator for {tp!r}")


def _model(rng: random.Random, model: type[BaseModel], at: datetime) -> dict[str, Any]:
    out = {}
    for name, field in model.model_fields.items():
        if field.is_required() or rng.random() < 0.6:
            annotation = Annotated[(field.annotation, *field.metadata)] if field.metadata \
                else field.annotation
            try:
                out[name] = _value(rng, annotation, at)
            except _Unsupported:
                if field.is_required():
                    raise
    return out


def event_payload(rng: random.Random, event_type: str, at: datetime, *, fraud: bool,
                  amount: int) -> dict[str, Any]:
    data_model = EVENT_MODELS[event_type].model_fields["data"].annotation
    data = _model(rng, data_model, at)
    # Keep a case where it is, whatever its length, so the sizes compare like with like: small
    # instalments never add up to the whole amount (a paid case is terminal), and a dispute
    # case's licence check finds the licence (an unlicensed platform is red flag R4).
    if event_type == "funds_received":
        data.update(amount=f"{max(1, amount // 10_000)}.00", full=False)
    if event_type == "license_checked" and not fraud:
        data.update(licensed=True, impersonates_licensed_firm=False)
    payload = {"type": event_type, "occurred_at": at.isoformat(), "data": data}
    if rng.random() < 0.2:
        payload["note"] = "user's own words"
    return payload


def case_payloads(rng: random.Random, n: int, end: datetime, *, fraud: bool) -> tuple[dict, list[dict]]:
    """An intake and n event payloads, in time order, the last one a minute before `end`."""
    amount = rng.randint(1_000, 300_000)
    weights = FRAUD_WEIGHTS if fraud else DISPUTE_WEIGHTS
    kinds, w = zip(*weights.items())
    span = timedelta(days=7 + n / 5)
    start = end - span
    gaps = sorted(rng.random() for _ in range(n))
    times = [start + (span - timedelta(minutes=1)) * g for g in gaps]
    intake = {
        "platform": {
            "name": f"platform-{rng.randrange(1000)}",
            "kind": rng.choice(["insurer", "bank", "payment", "investment", "broker", "lending",
                                "gaming", "other"]),
            "licensed": rng.choice([False, None]) if fraud else rng.choice([True, True, None]),
            "app_source": rng.choice(["official_store", "website", "link_or_qr" if fraud else "other"]),
        },
        "amount": f"{amount}.00",
        "withdrawal_requested_at": (start - timedelta(days=1)).isoformat(),
    }
    events = [event_payload(rng, rng.choices(kinds, w)[0], t, fraud=fraud, amount=amount)
              for t in times]
    return intake, events


def to_inputs(intake: dict, events: list[dict], now: datetime):
    """Validate like the API and store like the service: (CaseInput, [EventInput])."""
    context = {"now": now}
    case = intake_input(CaseCreate.model_validate(intake, context=context))
    inputs = []
    for seq, payload in enumerate(events, start=1):
        event = EVENT_ADAPTER.validate_python(payload, context=context)
        inputs.append(EventInput(seq=seq, type=event.type, occurred_at=event.occurred_at,
                                 data=event.data.model_dump(mode="json", exclude_none=True)))
    return case, inputs


# --- statistics ----------------------------------------------------------------------------------


def summary(samples_s: list[float]) -> dict[str, float]:
    """Median, p99 (nearest rank), min and mean, in milliseconds."""
    ordered = sorted(samples_s)
    p99 = ordered[max(0, -(-99 * len(ordered) // 100) - 1)]
    return {"n": len(ordered), "median_ms": statistics.median(ordered) * 1e3,
            "p99_ms": p99 * 1e3, "min_ms": ordered[0] * 1e3,
            "mean_ms": statistics.fmean(ordered) * 1e3}


def _fmt(s: dict[str, float]) -> str:
    return (f"median {s['median_ms']:8.3f} ms   p99 {s['p99_ms']:8.3f} ms   "
            f"min {s['min_ms']:8.3f} ms   (n={s['n']})")


# --- 1. evaluate in-process ----------------------------------------------------------------------


def bench_evaluate(ruleset: CompiledRuleset, reps: dict[int, int], logs_per_size: int) -> dict:
    as_of = datetime(2025, 6, 1, 12, tzinfo=timezone.utc)
    cases = {}
    for size in SIZES:
        rng = random.Random(f"{SEED}-{size}")
        cases[size] = [to_inputs(*case_payloads(rng, size, as_of, fraud=i % 2 == 1), now=as_of)
                       for i in range(logs_per_size)]
    outcomes: dict[int, dict[str, int]] = {size: {} for size in SIZES}
    for size in SIZES:  # warm-up, and what the logs come to (track/status)
        for case, events in cases[size]:
            result = evaluate(case, events, as_of, ruleset)
            key = f"{result.track}/{result.status}"
            outcomes[size][key] = outcomes[size].get(key, 0) + 1
    # The sizes are measured interleaved, in a seeded random order, so that whatever else the
    # machine does at the time weighs on every size alike and the growth factors stay fair.
    schedule = [(size, i) for size in SIZES for i in range(reps[size])]
    random.Random(SEED).shuffle(schedule)
    samples = {size: [] for size in SIZES}
    derive_samples = {size: [] for size in SIZES}
    gc.collect()
    for size, i in schedule:
        case, events = cases[size][i % logs_per_size]
        t0 = time.perf_counter()
        evaluate(case, events, as_of, ruleset)
        samples[size].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        derive(case, events, as_of)
        derive_samples[size].append(time.perf_counter() - t0)
    # A last, shorter pass with this process's own CompiledRuleset.fire wrapped in a timer: how
    # much of an evaluation is durable-rules matching (six stages per pass, a fresh session
    # each; evaluate may run extra passes to find next_transition_at).
    fire_samples: dict[int, list[float]] = {size: [] for size in SIZES}
    original_fire = ruleset.fire
    spent = [0.0]
    passes: dict[int, list[int]] = {size: [] for size in SIZES}
    count = [0]

    def timed_fire(stage, facts):
        count[0] += stage == STAGES[0]  # the first stage: one per pass
        t0 = time.perf_counter()
        try:
            return original_fire(stage, facts)
        finally:
            spent[0] += time.perf_counter() - t0

    ruleset.fire = timed_fire
    fire_schedule = [(size, i) for size in SIZES for i in range(max(10, reps[size] // 5))]
    random.Random(SEED + 1).shuffle(fire_schedule)
    try:
        for size, i in fire_schedule:
            case, events = cases[size][i % logs_per_size]
            spent[0], count[0] = 0.0, 0
            evaluate(case, events, as_of, ruleset)
            fire_samples[size].append(spent[0])
            passes[size].append(count[0])
    finally:
        del ruleset.fire  # back to the class's method
    results: dict[str, Any] = {}
    for size in SIZES:
        results[str(size)] = {**summary(samples[size]), "derive": summary(derive_samples[size]),
                              "durable_fire": summary(fire_samples[size]),
                              "passes_per_evaluate_mean": statistics.fmean(passes[size]),
                              "distinct_logs": logs_per_size, "outcomes": outcomes[size]}
        print(f"  {size:5d} events   {_fmt(results[str(size)])}")
        print(f"       of which  derive()         {_fmt(results[str(size)]['derive'])}")
        print(f"       of which  durable matching {_fmt(results[str(size)]['durable_fire'])}")
        print(f"       passes of the 5 stages per evaluate (next_transition_at probes): "
              f"mean {results[str(size)]['passes_per_evaluate_mean']:.2f}")
        print(f"       logs: {', '.join(f'{k} x{v}' for k, v in sorted(outcomes[size].items()))}")
    growth: dict[str, dict[str, float]] = {"median": {}, "min": {}}
    for small, big in zip(SIZES, SIZES[1:]):
        for stat in growth:
            growth[stat][f"{small}->{big}"] = \
                results[str(big)][f"{stat}_ms"] / results[str(small)][f"{stat}_ms"]
        print(f"  growth {small:>4} -> {big:<4} events (x{big // small}): "
              f"median x{growth['median'][f'{small}->{big}']:.2f}, "
              f"min x{growth['min'][f'{small}->{big}']:.2f}")
    return {"sizes": results, "growth": growth}


def evaluator_at(revision: str):
    """app/evaluation/evaluator.py as it was at a git revision, loaded beside today's."""
    source = subprocess.run(["git", "show", f"{revision}:app/evaluation/evaluator.py"],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout
    module = types.ModuleType(f"app.evaluation._evaluator_{re.sub(r'[^0-9A-Za-z]', '_', revision)}")
    module.__file__ = f"<{revision}:app/evaluation/evaluator.py>"
    exec(compile(source, module.__file__, "exec"), module.__dict__)  # noqa: S102 - our own file
    return module


def bench_before_after(ruleset: CompiledRuleset, revision: str, reps: int, logs: int) -> dict:
    """evaluate() of 20-event cases: `revision`'s evaluator against today's, memo cold and warm.

    The three are measured interleaved in a seeded random order, in this one process, so the
    machine's load weighs on them alike; the evaluations must be identical to count.
    """
    from app.evaluation.memo import DECISIONS

    before = evaluator_at(revision).evaluate
    as_of = datetime(2025, 6, 1, 12, tzinfo=timezone.utc)
    rng = random.Random(f"{SEED}-before-after")
    cases = [to_inputs(*case_payloads(rng, 20, as_of, fraud=i % 2 == 1), now=as_of) for i in range(logs)]
    for case, events in cases:  # warm-up, and the proof that both give the same evaluation
        old = before(case, events, as_of, ruleset).model_dump_json()
        DECISIONS.clear()
        if evaluate(case, events, as_of, ruleset).model_dump_json() != old:
            raise RuntimeError(f"{revision}'s evaluator and today's disagree on a case")

    def cold(case, events):
        DECISIONS.clear()
        t0 = time.perf_counter()
        evaluate(case, events, as_of, ruleset)
        return time.perf_counter() - t0

    def timed(fn):
        def run(case, events):
            t0 = time.perf_counter()
            fn(case, events, as_of, ruleset)
            return time.perf_counter() - t0
        return run

    variants = {f"before ({revision})": timed(before), "after, memo cold": cold,
                "after, memo warm": timed(evaluate)}
    for case, events in cases:
        evaluate(case, events, as_of, ruleset)  # fill the memo for the warm runs
    schedule = [(name, i) for name in variants for i in range(reps)]
    random.Random(SEED + 2).shuffle(schedule)
    samples: dict[str, list[float]] = {name: [] for name in variants}
    load = os.getloadavg()
    gc.collect()
    for name, i in schedule:
        if name == "after, memo warm":  # a cold run just emptied it: refill with this case first
            evaluate(*cases[i % logs], as_of, ruleset)
        samples[name].append(variants[name](*cases[i % logs]))
    results = {name: summary(s) for name, s in samples.items()}
    base = results[f"before ({revision})"]["median_ms"]
    print(f"  load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {logs} logs of 20 events, "
          f"{reps} runs each, interleaved")
    for name, s in results.items():
        print(f"  {name:22s} {_fmt(s)}   median x{s['median_ms'] / base:.2f} of before")
    return {"revision": revision, "load_average": list(load), "logs": logs, "results": results}


# --- 2. POST /v1/cases/{id}/events over HTTP -----------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`stuckfunds serve` in its own process group, stopped (and only it) at exit."""

    def __init__(self, database_url: str, log_path: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log_path.open("wb")
        self.process = subprocess.Popen(
            [STUCKFUNDS, "serve", "--database-url", database_url, "--host", "127.0.0.1",
             "--port", str(self.port)],
            env={**os.environ, **SERVER_ENV},
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.log_path = log_path

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text(errors='replace')}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"server not ready: {self.log_path.read_text(errors='replace')}")

    def stop(self) -> None:
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            if self.process.poll() is not None:
                break
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
        self.log.close()


def _api_key(database_url: str) -> str:
    engine = make_engine(Settings(database_url=database_url))
    try:
        with make_sessionmaker(engine).begin() as session:
            return create_client(session=session, name="bench",
                                 now=datetime.now(timezone.utc)).key
    finally:
        engine.dispose()


def _post(client: httpx.Client, url: str, body: dict) -> dict:
    response = client.post(url, json=body)
    if response.status_code != 201:
        raise RuntimeError(f"POST {url} -> {response.status_code}: {response.text[:500]}")
    return response.json()


def bench_http(backend: str, database_url: str, ruleset: CompiledRuleset, cases: int,
               workdir: Path) -> dict:
    upgrade_to_head(database_url)
    key = _api_key(database_url)
    server = Server(database_url, workdir / f"server-{backend}.log")
    try:
        server.wait_ready()
        rng = random.Random(f"{SEED}-http-{backend}")
        now = datetime.now(timezone.utc)
        logs = [case_payloads(rng, 20, now, fraud=i % 2 == 1) for i in range(cases)]
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
            ids = []
            t_seed = time.perf_counter()
            for intake, events in logs:
                case_id = _post(client, "/v1/cases", intake)["id"]
                for event in events[:19]:
                    _post(client, f"/v1/cases/{case_id}/events", event)
                ids.append(case_id)
            seed_s = time.perf_counter() - t_seed
            # Each request is followed by in-process evaluations of the same 20-event log, at the
            # moment the server evaluated it, so both figures are taken under the same load.
            inputs = [to_inputs(intake, events, now=now + timedelta(hours=1))
                      for intake, events in logs]
            evaluate(*inputs[0], now, ruleset)  # warm-up
            gc.collect()
            latencies, eval_samples = [], []
            for case_id, (_intake, events), (case, event_inputs) in zip(ids, logs, inputs):
                t0 = time.perf_counter()
                body = _post(client, f"/v1/cases/{case_id}/events", events[19])
                latencies.append(time.perf_counter() - t0)
                if body["event"]["seq"] != 20:
                    raise RuntimeError(f"expected the 20th event, got seq {body['event']['seq']}")
                as_of = datetime.fromisoformat(body["evaluation"]["as_of"])
                for _ in range(EVALS_PER_REQUEST):
                    t0 = time.perf_counter()
                    evaluate(case, event_inputs, as_of, ruleset)
                    eval_samples.append(time.perf_counter() - t0)
    finally:
        server.stop()
    request = summary(latencies)
    in_process = summary(eval_samples)
    share = in_process["median_ms"] / request["median_ms"]
    print(f"  {backend:10s} POST event (20th)  {_fmt(request)}")
    print(f"  {'':10s} evaluate, same logs {_fmt(in_process)}")
    print(f"  {'':10s} evaluation share of the request (median/median): {share:.1%}"
          f"   [seeding: {cases * 20} posts in {seed_s:.1f} s]")
    return {"request_latency": request, "evaluate_same_logs_in_process": in_process,
            "evaluation_share_of_request": share, "cases": cases,
            "seed_posts": cases * 20, "seed_seconds": seed_s}


def _pg_database() -> tuple[str, str] | None:
    admin = make_url(PG_ADMIN_URL)
    libpq = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(libpq, autocommit=True, connect_timeout=5) as conn:
            name = f"stuckfunds_bench_{uuid.uuid4().hex[:12]}"
            conn.execute(f'CREATE DATABASE "{name}"')
            version = conn.execute("SHOW server_version").fetchone()[0]
    except psycopg.OperationalError as exc:
        print(f"  postgresql: not reachable at {PG_ADMIN_URL} ({str(exc).strip()[:120]}); skipped")
        return None
    return admin.set(database=name).render_as_string(hide_password=False), version


def _drop_pg(database_url: str) -> None:
    url = make_url(database_url)
    admin = url.set(database="postgres", drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')


# --- the machine ---------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "cpu_model": cpu, "logical_cores": os.cpu_count(), "usable_cores": usable,
        "python": platform.python_version(), "implementation": platform.python_implementation(),
        "platform": platform.platform(), "durable_rules": metadata.version("durable_rules"),
        "sqlite": sqlite3.sqlite_version,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    parser.add_argument("--before", metavar="REV", help="only: evaluate() of 20 events, the "
                        "evaluator at git revision REV against today's (memo cold and warm)")
    args = parser.parse_args()
    if args.before:
        ruleset = CompiledRuleset(load_ruleset(PROJECT_ROOT / "rules"))
        print(f"evaluate(), 20 events: {args.before} against the working tree — "
              f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC")
        out = bench_before_after(ruleset, args.before, 300 if args.quick else 2000, 10)
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"evaluation-before-after-{datetime.now(timezone.utc):%Y-%m-%d}.json"
        path.write_text(json.dumps({**out, "machine": machine(),
                                    "command": f".venv/bin/python bench/evaluation.py --before "
                                               f"{args.before}"}, indent=2) + "\n")
        print(f"results written to {path.relative_to(PROJECT_ROOT)}")
        return
    reps = {20: 300, 200: 100, 2000: 20} if args.quick else {20: 3000, 200: 1000, 2000: 200}
    http_cases = 30 if args.quick else 200
    logs_per_size = 5 if args.quick else 10

    info = machine()
    started = datetime.now(timezone.utc)
    print(f"StuckFunds evaluation benchmark {'(quick) ' if args.quick else ''}— {started:%Y-%m-%d %H:%M} UTC")
    print(f"machine: {info['cpu_model']}, {info['logical_cores']} logical cores "
          f"({info['usable_cores']} usable); Python {info['python']} ({info['implementation']}); "
          f"durable_rules {info['durable_rules']}; SQLite {info['sqlite']}")
    load_before = os.getloadavg()
    print(f"load average at start: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f} "
          "(other work on the machine inflates the p99 figures)")
    ruleset = CompiledRuleset(load_ruleset(PROJECT_ROOT / "rules"))
    rs = ruleset.ruleset
    print(f"ruleset {rs.name} {rs.version} ({rs.hash[:12]}), {len(rs.rules)} rules\n")

    print("1. evaluate() in-process, one case of N events (median and p99 of "
          f"{'/'.join(str(reps[s]) for s in SIZES)} runs over {logs_per_size} logs per size)")
    evaluation = bench_evaluate(ruleset, reps, logs_per_size)

    print(f"\n2. POST /v1/cases/{{id}}/events on `stuckfunds serve`, the 20th event of each of "
          f"{http_cases} cases")
    http: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="stuckfunds-bench-") as tmp:
        workdir = Path(tmp)
        http["sqlite"] = bench_http("sqlite", f"sqlite:///{workdir / 'bench.db'}", ruleset,
                                    http_cases, workdir)
        pg = _pg_database()
        if pg is None:
            http["postgresql"] = {"skipped": f"not reachable at {PG_ADMIN_URL}"}
        else:
            pg_url, version = pg
            try:
                http["postgresql"] = {**bench_http("postgresql", pg_url, ruleset, http_cases, workdir),
                                      "server_version": version}
            finally:
                _drop_pg(pg_url)
        info["postgresql"] = pg[1] if pg else None
    info["load_average_start"] = list(load_before)
    info["load_average_end"] = list(os.getloadavg())

    result = {
        "benchmark": "evaluation", "quick": args.quick, "started_at": started.isoformat(),
        "machine": info,
        "ruleset": {"name": rs.name, "version": rs.version, "hash": rs.hash, "rules": len(rs.rules)},
        "evaluate_in_process": evaluation,
        "http_post_event": {**http, "server_env": SERVER_ENV},
        "notes": ("latencies in milliseconds; p99 is nearest-rank; the evaluation share is the "
                  "median in-process evaluate() of the same 20-event logs over the median "
                  "client-side request latency (the server is not instrumented)"),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"evaluation-{started:%Y-%m-%d}{'-quick' if args.quick else ''}.json"
    tmp_path = path.with_suffix(".json.tmp")
    tmp_path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    tmp_path.replace(path)
    print(f"\nresults written to {path.relative_to(PROJECT_ROOT)}")


if __name__ == "__main__":
    main()
