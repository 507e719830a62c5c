"""Crash test: SIGKILL `stuckfunds serve` under load, restart it, and check that nothing was lost.

Usage (from the project root; needs the local PostgreSQL):

    .venv/bin/python bench/crash.py [--quick] [--workers 2] [--clients 8] [--events 60] [--kills 5]

What happens:

- A fresh PostgreSQL database (`stuckfunds_crash_<random>`, dropped afterwards) is migrated and
  `stuckfunds serve --workers N` starts on a loopback port.
- Client threads open cases and post events the way a phone with an offline queue does: every
  request carries an `Idempotency-Key` (half the clients) or only the event's own `event_id`
  (the other half), is sent byte for byte the same each time, and is retried until it is
  acknowledged (a 2xx), whatever happens: refused connections while the server is down, a reset
  mid-request, a 503, or a 409 while an orphaned idempotency claim waits out its lease. Two
  clients share each case, so appends to one case race each other as well.
- Meanwhile a killer sends SIGKILL to the whole server (supervisor and workers) at random
  moments, then starts it again on the same port.
- At the end the database is read directly: every acknowledged case exists once; in every
  case, `seq` is exactly 1..n and `last_seq`/`version` agree; every acknowledged event is
  stored exactly once, with the `seq` its acknowledgement gave; nothing unacknowledged was
  stored; each client's events are in the order it sent them; no idempotency claim is left
  in progress.

A claim orphaned by a kill (claimed, work not committed) answers 409 until its lease runs out
(60 s, `app/edge/idempotency.py`), so a run lasts at least a minute after the last kill.
"""

import argparse
import json
import random
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

import httpx  # noqa: E402
import psycopg  # noqa: E402

from bench.harness import (  # noqa: E402
    STUCKFUNDS, Server, create_pg_database, drop_pg_database, libpq, machine,
)

RESULTS = PROJECT_ROOT / "bench" / "results"
EVENT_MIX = [
    ("note_added", lambda rng, n: {"text": f"note {n}"}),
    ("support_contacted", lambda rng, n: {"channel": rng.choice(["phone", "online_chat", "email"]),
                                           "explanation_kind": "risk_review"}),
    ("evidence_saved", lambda rng, n: {"kind": rng.choice(["chat_log", "notice_screenshot"])}),
    ("urgency_stated", lambda rng, n: {"reason": rng.choice(["medical", "debt"])}),
    ("withdrawal_attempted", lambda rng, n: {"result": "failed", "amount": "500.00"}),
]


@dataclass
class Ack:
    seq: int
    status: int
    replayed: bool


@dataclass
class ClientLog:
    name: str
    uses_idempotency_key: bool
    case_id: str | None = None
    sent: list[str] = field(default_factory=list)  # event_ids, in the order they were sent
    acks: dict[str, Ack] = field(default_factory=dict)
    outcomes: Counter = field(default_factory=Counter)  # every answer or transport error
    slowest_ack_s: float = 0.0
    unexpected: list[str] = field(default_factory=list)


class Client(threading.Thread):
    """One phone: open (or join) a case, then post its events one at a time, each until acked."""

    def __init__(self, *, name: str, base_url: str, key: str, events: int, rng: random.Random,
                 uses_idempotency_key: bool, case_ready: threading.Event, shared: dict,
                 opener: bool, deadline: float) -> None:
        super().__init__(name=name, daemon=True)
        self.log = ClientLog(name, uses_idempotency_key)
        self.base_url, self.key, self.events, self.rng = base_url, key, events, rng
        self.case_ready, self.shared, self.opener, self.deadline = case_ready, shared, opener, deadline

    def run(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=10,
                          headers={"Authorization": f"Bearer {self.key}",
                                   "Content-Type": "application/json"}) as http:
            if self.opener:
                body = {"platform": {"name": "崩溃测试平台", "kind": "investment", "licensed": True},
                        "amount": "12000.00", "external_ref": f"crash-{self.name}",
                        "withdrawal_requested_at": (datetime.now(timezone.utc)
                                                    - timedelta(days=2)).isoformat()}
                answer = self._until_acked(http, "/v1/cases", body, str(uuid.uuid4()), key=True)
                if answer is not None:
                    self.shared["case_id"] = answer.json()["id"]
                self.case_ready.set()
            elif not self.case_ready.wait(timeout=max(0, self.deadline - time.monotonic())):
                return
            case_id = self.log.case_id = self.shared.get("case_id")
            if case_id is None:
                return
            start = datetime.now(timezone.utc) - timedelta(hours=1)
            for n in range(self.events):
                kind, data = self.rng.choice(EVENT_MIX)
                event_id = str(uuid.uuid4())
                body = {"type": kind, "occurred_at": (start + timedelta(seconds=n)).isoformat(),
                        "data": data(self.rng, n), "event_id": event_id,
                        "note": f"{self.name} #{n}"}
                self.log.sent.append(event_id)
                answer = self._until_acked(http, f"/v1/cases/{case_id}/events", body, event_id,
                                           key=self.log.uses_idempotency_key)
                if answer is None:
                    return
                payload = answer.json()
                self.log.acks[event_id] = Ack(payload["event"]["seq"], answer.status_code,
                                              answer.headers.get("idempotent-replayed") == "true")

    def _until_acked(self, http: httpx.Client, path: str, body: dict, request_key: str, *,
                     key: bool) -> httpx.Response | None:
        content = json.dumps(body, ensure_ascii=False).encode()  # the very same bytes every time
        headers = {"Idempotency-Key": request_key} if key else {}
        first = time.monotonic()
        delay = 0.05
        while time.monotonic() < self.deadline:
            try:
                answer = http.post(path, content=content, headers=headers)
            except httpx.TransportError as exc:
                self.log.outcomes[type(exc).__name__] += 1
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
                continue
            self.log.outcomes[str(answer.status_code)] += 1
            if answer.status_code == 500:
                # Retried like any failure, but a crash must never show as an internal error.
                self.log.unexpected.append(f"{path}: 500 {answer.text[:300]}")
            if answer.status_code in (200, 201):
                self.log.slowest_ack_s = max(self.log.slowest_ack_s, time.monotonic() - first)
                return answer
            if answer.status_code in (409, 503) or answer.status_code >= 500:
                if answer.status_code == 409 and "Idempotency-Key" not in answer.text:
                    self.log.unexpected.append(f"{path}: 409 {answer.text[:200]}")
                wait = float(answer.headers.get("retry-after", delay))
                time.sleep(min(wait, 1.0))
                continue
            self.log.unexpected.append(f"{path}: {answer.status_code} {answer.text[:300]}")
            return None
        self.log.unexpected.append(f"{path}: not acknowledged before the deadline")
        return None


@dataclass
class Kill:
    at_s: float
    ready_after_s: float


@dataclass
class CrashReport:
    workers: int
    clients: int
    events_per_client: int
    seconds: float
    kills: list[Kill]
    acknowledged_events: int
    stored_events: int
    cases: int
    outcomes: dict[str, int]
    slowest_ack_s: float
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        kills = ", ".join(f"{k.at_s:.1f}s (back in {k.ready_after_s:.1f}s)" for k in self.kills)
        return (f"{self.clients} clients x {self.events_per_client} events on {self.cases} cases, "
                f"{self.workers} worker(s), {self.seconds:.1f} s; {len(self.kills)} SIGKILLs at "
                f"{kills or '-'}\n"
                f"acknowledged {self.acknowledged_events} events, stored {self.stored_events}; "
                f"slowest acknowledgement {self.slowest_ack_s:.1f} s\n"
                f"answers and errors seen by clients: "
                f"{', '.join(f'{k} x{v}' for k, v in sorted(self.outcomes.items()))}\n"
                + ("every invariant holds" if self.ok else "PROBLEMS:\n  " + "\n  ".join(self.problems)))


def _api_key(database_url: str) -> str:
    from app.auth.service import create_client
    from app.db.engine import make_engine, make_sessionmaker
    from app.settings import Settings

    engine = make_engine(Settings(database_url=database_url))
    try:
        with make_sessionmaker(engine).begin() as session:
            return create_client(session=session, name="crash", now=datetime.now(timezone.utc)).key
    finally:
        engine.dispose()


def run_crash(*, database_url: str, workdir: Path, workers: int = 2, clients: int = 8,
              events_per_client: int = 60, kills: int = 5, first_kill_s: float = 1.0,
              kill_gap_s: tuple[float, float] = (0.5, 3.0), seed: int = 1,
              deadline_s: float = 300) -> CrashReport:
    """Run the crash scenario against a migrated, empty PostgreSQL database and check it."""
    rng = random.Random(seed)
    key = _api_key(database_url)
    # Each start gets its own metrics folder: a killed server cannot clean one up itself.
    server = Server([STUCKFUNDS, "serve", "--database-url", database_url, "--workers", str(workers)],
                    log_path=workdir / "crash-server.log")
    server.start({"PROMETHEUS_MULTIPROC_DIR": _metrics_dir(workdir, 0)})
    server.wait_ready()
    began = time.monotonic()
    deadline = began + deadline_s
    threads: list[Client] = []
    for pair in range(max(1, clients // 2)):
        ready, shared = threading.Event(), {}
        for member in range(2 if clients > 1 else 1):
            threads.append(Client(
                name=f"c{pair}{'ab'[member]}", base_url=server.url, key=key,
                events=events_per_client, rng=random.Random(rng.random()),
                uses_idempotency_key=(pair + member) % 2 == 0, case_ready=ready, shared=shared,
                opener=member == 0, deadline=deadline))
    for thread in threads:
        thread.start()

    done: list[Kill] = []
    next_kill = began + first_kill_s
    try:
        while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
            if len(done) < kills and time.monotonic() >= next_kill:
                at = time.monotonic() - began
                server.kill()
                server.start({"PROMETHEUS_MULTIPROC_DIR": _metrics_dir(workdir, len(done) + 1)})
                ready_after = server.wait_ready()
                done.append(Kill(round(at, 2), round(ready_after, 2)))
                next_kill = time.monotonic() + rng.uniform(*kill_gap_s)
            time.sleep(0.01)
        for thread in threads:
            thread.join(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        server.stop()
    seconds = time.monotonic() - began
    logs = [t.log for t in threads]
    problems = [f"{log.name}: {u}" for log in logs for u in log.unexpected]
    problems += [f"{t.name} still running at the deadline" for t in threads if t.is_alive()]
    problems += _check_database(database_url, logs)
    outcomes = Counter()
    for log in logs:
        outcomes.update(log.outcomes)
    stored = _count(database_url, "SELECT count(*) FROM case_event")
    return CrashReport(
        workers=workers, clients=len(threads), events_per_client=events_per_client,
        seconds=round(seconds, 1), kills=done,
        acknowledged_events=sum(len(log.acks) for log in logs), stored_events=stored,
        cases=_count(database_url, 'SELECT count(*) FROM "case"'), outcomes=dict(outcomes),
        slowest_ack_s=round(max((log.slowest_ack_s for log in logs), default=0.0), 2),
        problems=problems)


def _metrics_dir(workdir: Path, n: int) -> str:
    folder = workdir / f"metrics-{n}"
    folder.mkdir(exist_ok=True)
    return str(folder)


def _count(database_url: str, sql: str) -> int:
    with psycopg.connect(libpq(database_url)) as conn:
        return conn.execute(sql).fetchone()[0]


def _check_database(database_url: str, logs: list[ClientLog]) -> list[str]:
    """The invariants, read straight from the tables."""
    problems = []
    with psycopg.connect(libpq(database_url)) as conn:
        cases = {str(row[0]): row[1:] for row in conn.execute(
            'SELECT id, external_ref, last_seq, version FROM "case"')}
        events = conn.execute("SELECT case_id, seq, event_id, note FROM case_event "
                              "ORDER BY case_id, seq").fetchall()
        in_progress = conn.execute("SELECT count(*) FROM idempotency_record "
                                   "WHERE state <> 'completed'").fetchone()[0]
    openers = {log.case_id for log in logs if log.case_id}
    refs = Counter(ref for ref, _, _ in cases.values())
    for ref, n in refs.items():
        if n != 1:
            problems.append(f"external_ref {ref} stored {n} times")
    if set(cases) != openers:
        problems.append(f"cases stored {sorted(cases)} != cases acknowledged {sorted(openers)}")
    by_case: dict[str, list[tuple[int, str | None, str]]] = {}
    for case_id, seq, event_id, note in events:
        by_case.setdefault(str(case_id), []).append((seq, str(event_id) if event_id else None, note))
    for case_id, (_ref, last_seq, version) in cases.items():
        rows = by_case.get(case_id, [])
        seqs = [seq for seq, _, _ in rows]
        if seqs != list(range(1, len(seqs) + 1)):
            problems.append(f"case {case_id}: seq is not 1..n: {seqs}")
        if last_seq != len(seqs) or version != len(seqs) + 1:
            problems.append(f"case {case_id}: last_seq {last_seq}, version {version}, "
                            f"{len(seqs)} events")
    stored = Counter(event_id for rows in by_case.values() for _, event_id, _ in rows)
    stored_seq = {event_id: (case_id, seq) for case_id, rows in by_case.items()
                  for seq, event_id, _ in rows}
    acked = {event_id: (log.case_id, ack) for log in logs for event_id, ack in log.acks.items()}
    for event_id, (case_id, ack) in acked.items():
        if stored[event_id] != 1:
            problems.append(f"acknowledged event {event_id} stored {stored[event_id]} times")
        elif stored_seq[event_id] != (case_id, ack.seq):
            problems.append(f"event {event_id} acknowledged as seq {ack.seq}, stored as "
                            f"{stored_seq[event_id]}")
    phantoms = set(stored) - set(acked)
    if phantoms and all(len(log.acks) == len(log.sent) for log in logs):
        problems.append(f"{len(phantoms)} events stored that no client had acknowledged")
    for log in logs:
        order = [stored_seq[e][1] for e in log.sent if e in stored_seq]
        if order != sorted(order):
            problems.append(f"{log.name}: its events are not stored in the order it sent them")
    if in_progress:
        problems.append(f"{in_progress} idempotency claims left in progress")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 kills, 6 clients x 40 events")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int)
    parser.add_argument("--events", type=int, help="events per client")
    parser.add_argument("--kills", type=int)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args()
    clients = args.clients or (6 if args.quick else 8)
    events = args.events or (40 if args.quick else 100)
    kills = args.kills if args.kills is not None else (3 if args.quick else 8)

    info = machine()
    started = datetime.now(timezone.utc)
    print(f"StuckFunds crash test {'(quick) ' if args.quick else ''}— {started:%Y-%m-%d %H:%M} UTC, "
          f"seed {args.seed}")
    database_url = create_pg_database("stuckfunds_crash")
    if database_url is None:
        sys.exit("crash.py: PostgreSQL is not reachable (see STUCKFUNDS_BENCH_PG_URL)")
    from app.db.migrate import upgrade_to_head

    try:
        upgrade_to_head(database_url)
        with tempfile.TemporaryDirectory(prefix="stuckfunds-crash-") as tmp:
            report = run_crash(database_url=database_url, workdir=Path(tmp), workers=args.workers,
                               clients=clients, events_per_client=events, kills=kills,
                               kill_gap_s=(0.5, 4.0), seed=args.seed, deadline_s=600)
    finally:
        drop_pg_database(database_url)
    print(report.summary())
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"crash-{started:%Y-%m-%d}{'-quick' if args.quick else ''}.json"
    path.write_text(json.dumps({"benchmark": "crash", "started_at": started.isoformat(),
                                "seed": args.seed, "machine": info, "ok": report.ok,
                                **asdict(report)}, indent=2, ensure_ascii=False) + "\n")
    print(f"results written to {path.relative_to(PROJECT_ROOT)}")
    sys.exit(0 if report.ok else 1)


if __name__ == "__main__":
    main()
