"""Benchmark: PostgreSQL's own CPU per event append, read from its backend's /proc entry.

    .venv/bin/python bench/pg_post_cpu.py held         # the append's writes as one statement, or three
    .venv/bin/python bench/pg_post_cpu.py compression  # pglz against lz4 for the case's and events' JSON

Makes a fresh migrated database on the local PostgreSQL (dropped at the end), opens cases and
appends events at the service level in one thread, so one pooled connection (one backend) does
all the work. Each round opens 20 fresh cases, appends 200 events as warm-up (logs of about 10
events), then times 200 more; the two variants alternate over 6 rounds. Prints, per variant, the
median CPU per append of the backend (utime + stime of /proc/<pid>/stat, 10 ms ticks) and of
this process. `bench/load.py` reads PostgreSQL's CPU over a whole load run; this isolates it.
"""

import logging
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
logging.disable(logging.CRITICAL)

from pydantic import TypeAdapter
from sqlalchemy import text

from app.auth.actor import Actor
from app.auth.service import create_client
from app.cases import repository, service
from app.cases.event_data import CaseEventCreate
from app.cases.intake import CaseCreate
from app.db import held
from app.db.migrate import upgrade_to_head
from app.main import create_app
from app.settings import Settings
from bench.harness import create_pg_database, drop_pg_database

ROUNDS, CASES, WARM, TIMED = 6, 20, 200, 200


def main(mode: str) -> None:
    url = create_pg_database("stuckfunds_pgcpu")
    try:
        upgrade_to_head(url)
        run(url, mode)
    finally:
        drop_pg_database(url)


def run(url: str, mode: str) -> None:
    folder = Path(tempfile.mkdtemp())
    app = create_app(Settings(database_url=url, embedded_worker=False, evidence_dir=folder / "e",
                              secret_key_file=folder / "k"))
    now = datetime.now(timezone.utc)
    ruleset, sessions = app.state.ruleset, app.state.write_sessions
    with sessions.begin() as s:
        client = create_client(session=s, name="bench", now=now).client_id
    actor = Actor(client_id=client, kind="api_key", prefix="sf_bench", request_id=None)
    intake = CaseCreate.model_validate({
        "platform": {"name": "Example Insurance", "kind": "insurer"}, "amount": "5000.00",
        "currency": "CNY", "withdrawal_requested_at": (now - timedelta(days=3)).isoformat()})
    event = TypeAdapter(CaseEventCreate).validate_python({
        "type": "note_added", "occurred_at": (now - timedelta(hours=1)).isoformat(),
        "data": {"text": "still under review"}})
    cases: list = []

    def open_cases() -> None:
        cases.clear()
        for _ in range(CASES):
            with sessions.begin() as s:
                cases.append(service.open_case(session=s, client_id=client, case_in=intake,
                                               ruleset=ruleset, now=now, actor=actor).id)

    def append(i: int) -> None:
        with sessions.begin() as s:
            service.append_event(session=s, target=repository.CaseToWrite(client, cases[i % CASES]),
                                 event_in=event, raw={}, ruleset=ruleset, now=now, actor=actor)

    with sessions() as s:
        pid = s.execute(text("select pg_backend_pid()")).scalar()

    def backend_seconds() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / 100

    hold = held.hold_for

    def hold_nothing(session, case_id) -> None:
        held.send_held(session)

    def compress(method: str) -> None:
        with sessions.begin() as s:
            s.execute(text(f'alter table "case" alter column evaluation set compression {method}'))
            for column in ("raw", "data"):
                s.execute(text(f"alter table case_event alter column {column} set compression {method}"))

    variants = {"held": {"one statement": lambda: setattr(held, "hold_for", hold),
                         "three statements": lambda: setattr(held, "hold_for", hold_nothing)},
                "compression": {"pglz": lambda: compress("pglz"), "lz4": lambda: compress("lz4")}}[mode]
    figures: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
    for round_ in range(ROUNDS):
        names = list(variants) if round_ % 2 == 0 else list(reversed(variants))
        for name in names:
            variants[name]()
            open_cases()
            for i in range(WARM):
                append(i)
            pg0, cpu0 = backend_seconds(), time.process_time()
            for i in range(TIMED):
                append(i)
            figures[name].append(((backend_seconds() - pg0) * 1000 / TIMED,
                                  (time.process_time() - cpu0) * 1000 / TIMED))
    for name, runs in figures.items():
        print(f"{name:>16}: PostgreSQL backend {statistics.median(r[0] for r in runs):.3f} ms per append, "
              f"this process {statistics.median(r[1] for r in runs):.3f} ms (medians of {ROUNDS})")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "held")
