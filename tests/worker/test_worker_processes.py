"""Real `stuckfunds worker` and `stuckfunds serve` processes sweeping cases whose time has come.

Each test gets a database of its own, so the workers see only the cases the test made. Cases
are seeded "due": a written promise, recorded two hours ago, lapsed an hour ago, and nobody has
looked at the case since. Workers log one JSON line per swept case (`"msg": "case swept"`, with
`case_id` and `worker`), which is how the tests see who processed what.
"""

import json
import os
import secrets
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path

import httpx
import psycopg
import pytest
from pydantic import TypeAdapter
from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url

from app.auth.service import create_client
from app.cases import repository, service
from app.cases.event_data import CaseEventCreate
from app.cases.intake import CaseCreate
from app.db.engine import WRITE, make_engine, make_sessionmaker
from app.db.migrate import upgrade_to_head
from app.db.models import Case, CaseEvent, OutboxMessage
from app.evaluation import CompiledRuleset, load_ruleset
from app.settings import Settings
from tests.conftest import pg_admin_url
from tests.support.receiver import running_receiver
from tests.support.server import STUCKFUNDS, create_api_key, running_server

pytestmark = pytest.mark.slow

STATUS = "case.status_changed"
# Webhook secrets are encrypted with this key, so no process writes a key file into the checkout.
SECRET_KEY = secrets.token_urlsafe(32)


def worker_env(database_url: str, **extra: str) -> dict[str, str]:
    return {"STUCKFUNDS_DATABASE_URL": database_url, "STUCKFUNDS_WORKER_POLL_SECONDS": "0.1",
            "STUCKFUNDS_LOG_LEVEL": "INFO", "STUCKFUNDS_SECRET_KEY": SECRET_KEY, **extra}


# --- databases of their own --------------------------------------------------------------------

@pytest.fixture
def pg_database() -> Iterator[str]:
    """A migrated PostgreSQL database for this test only."""
    admin = make_url(pg_admin_url())
    libpq = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        connection = psycopg.connect(libpq, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable: {exc}")
        pytest.skip(f"PostgreSQL is not reachable: {exc}")
    name = f"stuckfunds_worker_{uuid.uuid4().hex[:12]}"
    with connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = admin.set(database=name).render_as_string(hide_password=False)
    upgrade_to_head(url)
    yield url
    with psycopg.connect(libpq, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'stuckfunds.db'}"
    upgrade_to_head(url)
    return url


class Db:
    """Direct access to a test's database, to seed cases and to check what the workers did."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(Settings(database_url=url))
        self.sessions = make_sessionmaker(self.engine.execution_options(**WRITE))
        # Outbox rows written while seeding (the template case's own notifications).
        self.seeded: set[uuid.UUID] = set()

    def due(self) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(Case)
                                  .where(Case.next_wakeup_at <= datetime.now(timezone.utc)))

    def statuses(self, ids: list[uuid.UUID]) -> Counter:
        with self.sessions() as session:
            return Counter(session.scalars(select(Case.status).where(Case.id.in_(ids))))

    def status_changes(self) -> Counter:
        """(case_id, new status) of every status_changed row the workers wrote."""
        with self.sessions() as session:
            rows = session.execute(select(OutboxMessage.id, OutboxMessage.case_id, OutboxMessage.payload)
                                   .where(OutboxMessage.kind == STATUS)).all()
        return Counter((case_id, payload["status"]) for id_, case_id, payload in rows
                       if id_ not in self.seeded)

    def close(self) -> None:
        self.engine.dispose()


@contextmanager
def database(url: str) -> Iterator[Db]:
    db = Db(url)
    try:
        yield db
    finally:
        db.close()


@cache
def ruleset() -> CompiledRuleset:
    return CompiledRuleset(load_ruleset(Settings().rules_dir))


def seed_due_cases(db: Db, n: int) -> list[uuid.UUID]:
    """`n` cases awaiting a promise that lapsed an hour ago, committed together.

    One case is made through the service layer (intake, then the promise, evaluated two hours
    ago); the others are SQL copies of its row and events, which is what makes thousands cheap.
    """
    wall = datetime.now(timezone.utc)
    then = wall - timedelta(hours=2)
    case_in = CaseCreate.model_validate({
        "platform": {"name": "安心保险APP", "kind": "insurer", "licensed": True},
        "amount": "30000.00", "withdrawal_requested_at": (wall - timedelta(days=1)).isoformat()})
    raw = {"type": "support_contacted", "occurred_at": (then - timedelta(minutes=5)).isoformat(),
           "data": {"channel": "email", "explanation_kind": "channel_maintenance", "in_writing": True,
                    "promised_resolution_at": (wall - timedelta(hours=1)).isoformat()}}
    with db.sessions.begin() as session:
        client_id = create_client(session=session, name="sweep-test", now=then).client_id
        template = service.open_case(session=session, client_id=client_id, case_in=case_in,
                                     ruleset=ruleset(), now=then)
        service.append_event(session=session, target=repository.CaseToWrite(client_id, template.id),
                             event_in=TypeAdapter(CaseEventCreate).validate_python(raw), raw=raw,
                             ruleset=ruleset(), now=then)
        assert template.status == "awaiting_platform" and template.next_wakeup_at < wall
        row = {c.key: getattr(template, c.key) for c in Case.__table__.columns}
        events = [{c.key: getattr(e, c.key) for c in CaseEvent.__table__.columns}
                  for e in repository.list_events(session, case_id=template.id)]
        ids = [uuid.uuid4() for _ in range(n - 1)]
        if ids:
            session.execute(insert(Case), [{**row, "id": i, "external_ref": None} for i in ids])
            session.execute(insert(CaseEvent), [{**e, "id": uuid.uuid4(), "case_id": i}
                                                for i in ids for e in events])
        db.seeded |= set(session.scalars(select(OutboxMessage.id)
                                         .where(OutboxMessage.case_id == template.id)))
        return [template.id, *ids]


# --- worker processes ------------------------------------------------------------------------

class WorkerProcess:
    """A running `stuckfunds worker`; its stderr JSON lines are collected as they come."""

    def __init__(self, env: dict[str, str],
                 kill_when: Callable[[dict], bool] | None = None) -> None:
        self.process = subprocess.Popen([STUCKFUNDS, "worker"], env={**os.environ, **env},
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                        start_new_session=True)
        self.records: list[dict] = []
        self.text: list[str] = []
        self._kill_when = kill_when
        self.killed = False
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.text.append(line)
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if self._kill_when and not self.killed and self._kill_when(record):
                # Straight from the reader thread, so the worker gets no time to go further.
                os.kill(self.process.pid, signal.SIGKILL)
                self.killed = True
            with self._changed:
                self.records.append(record)
                self._changed.notify_all()

    def logged(self, msg: str) -> list[dict]:
        with self._changed:
            return [r for r in self.records if r.get("msg") == msg]

    def swept(self) -> list[str]:
        return [r["case_id"] for r in self.logged("case swept")]

    @property
    def worker_id(self) -> str:
        return self.logged("worker started")[0]["worker"]

    def wait_for(self, msg: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not any(r.get("msg") == msg for r in self.records):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.process.poll() is not None:
                    raise AssertionError(f"worker never logged {msg!r}:\n{self.output()}")
                self._changed.wait(min(remaining, 0.1))

    def output(self) -> str:
        return "".join(self.text[-50:])

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM (the worker finishes its round), then SIGKILL if it lingers."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._reader.join(timeout=5)


@contextmanager
def workers(count: int, env: dict[str, str], **kw) -> Iterator[list[WorkerProcess]]:
    with ExitStack() as stack:
        started = []
        for _ in range(count):
            w = WorkerProcess(env, **kw)
            stack.callback(w.stop)
            started.append(w)
        for w in started:
            w.wait_for("worker started")
        yield started


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)


# --- the tests ---------------------------------------------------------------------------------

@pytest.mark.postgres
def test_three_workers_on_postgres_sweep_each_due_case_exactly_once(pg_database):
    env = worker_env(pg_database, STUCKFUNDS_WORKER_BATCH_SIZE="20")
    with database(pg_database) as db, workers(3, env) as ws:
        ids = seed_due_cases(db, 500)  # committed at once, while all three are polling
        assert db.due() == 500
        wait_until(lambda: db.due() == 0, timeout=60, what="every due case to be swept")
        for w in ws:
            w.stop()

        swept = Counter(case_id for w in ws for case_id in w.swept())
        assert set(swept) == {str(i) for i in ids}
        assert [case_id for case_id, n in swept.items() if n != 1] == []
        assert sum(1 for w in ws if w.swept()) >= 2, [len(w.swept()) for w in ws]  # they shared the work
        assert db.statuses(ids) == Counter({"overdue": 500})
        changes = db.status_changes()
        assert changes == Counter({(i, "overdue"): 1 for i in ids})


@pytest.mark.postgres
def test_a_worker_killed_mid_batch_loses_nothing(pg_database):
    # A batch commits as a whole: kill the worker at its first "case swept" line, well before
    # the commit of its first batch (a sweep costs milliseconds per case, so 200 take seconds).
    cases, batch = 600, 200
    env = worker_env(pg_database, STUCKFUNDS_WORKER_BATCH_SIZE=str(batch))
    with database(pg_database) as db:
        with workers(1, env, kill_when=lambda r: r.get("msg") == "case swept") as [doomed]:
            ids = seed_due_cases(db, cases)
            assert doomed.process.wait(timeout=30) == -signal.SIGKILL
        # It had re-evaluated part of its first batch, and committed none of it.
        assert 1 <= len(doomed.swept()) < batch
        assert db.statuses(ids) == Counter({"awaiting_platform": cases})
        assert db.status_changes() == Counter()
        assert db.due() == cases

        with workers(1, env) as [successor]:
            wait_until(lambda: db.due() == 0, timeout=60, what="the successor to sweep every case")
            successor.stop()

        assert set(doomed.swept()) <= set(successor.swept())  # the lost batch was redone
        assert Counter(successor.swept()) == Counter({str(i): 1 for i in ids})
        assert db.statuses(ids) == Counter({"overdue": cases})
        assert db.status_changes() == Counter({(i, "overdue"): 1 for i in ids})


def test_on_sqlite_only_one_worker_sweeps(sqlite_database):
    env = worker_env(sqlite_database, STUCKFUNDS_WORKER_BATCH_SIZE="10")
    with database(sqlite_database) as db, workers(2, env) as ws:
        ids = seed_due_cases(db, 40)
        wait_until(lambda: db.due() == 0, timeout=30, what="the first wave to be swept")
        ids += seed_due_cases(db, 40)  # a second wave: still the same worker
        wait_until(lambda: db.due() == 0, timeout=30, what="the second wave to be swept")
        for w in ws:
            w.stop()

        sweepers = {r["worker"] for w in ws for r in w.logged("case swept")}
        assert len(sweepers) == 1, sweepers
        assert sweepers <= {w.worker_id for w in ws}
        idle = [w for w in ws if w.worker_id not in sweepers]
        assert len(idle) == 1 and idle[0].swept() == []
        swept = Counter(case_id for w in ws for case_id in w.swept())
        assert swept == Counter({str(i): 1 for i in ids})
        assert db.statuses(ids) == Counter({"overdue": 80})
        assert db.status_changes() == Counter({(i, "overdue"): 1 for i in ids})


def test_serve_on_sqlite_moves_a_lapsed_promise_to_overdue_and_sends_the_webhook(sqlite_database):
    key = create_api_key(sqlite_database)
    env = worker_env(sqlite_database, STUCKFUNDS_ALLOW_PRIVATE_WEBHOOK_URLS="true",
                     STUCKFUNDS_WORKER_POLL_SECONDS="0.2")
    with running_receiver() as receiver, \
            running_server(["--database-url", sqlite_database], env=env) as server:
        api = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=10)
        with api:
            hook = api.post("/v1/webhooks", json={"url": receiver.url})
            assert hook.status_code == 201, hook.text
            receiver.secret = hook.json()["secret"]
            case = api.post("/v1/cases", json={
                "platform": {"name": "安心保险APP", "kind": "insurer", "licensed": True},
                "amount": "30000.00",
                "withdrawal_requested_at": (datetime.now(timezone.utc) - timedelta(days=1)).isoformat()})
            assert case.status_code == 201, case.text
            case_id = case.json()["id"]
            now = datetime.now(timezone.utc)
            due = now + timedelta(seconds=2)
            posted = api.post(f"/v1/cases/{case_id}/events", json={
                "type": "support_contacted", "occurred_at": (now - timedelta(minutes=1)).isoformat(),
                "data": {"channel": "email", "promised_resolution_at": due.isoformat(),
                         "in_writing": True}})
            assert posted.status_code == 201, posted.text
            assert posted.json()["evaluation"]["status"] == "awaiting_platform"

            # No more API calls: the embedded worker alone must notice the promise lapsing.
            def overdue_heard(r) -> bool:
                return any(m["data"]["case_id"] == case_id and m["data"]["status"] == "overdue"
                           for m in r.of_type(STATUS))
            assert receiver.wait_for(overdue_heard, timeout=20), server.output()
            assert datetime.now(timezone.utc) >= due

            [changed] = [m for m in receiver.of_type(STATUS) if m["data"]["status"] == "overdue"]
            assert changed["data"]["previous_status"] == "awaiting_platform"
            assert all(r.verified for r in receiver.requests)
            statuses = [m["data"]["status"] for m in receiver.of_type(STATUS)]
            assert statuses == ["awaiting_platform", "overdue"]
            # The promise was within the warning lead from the start: announced once.
            assert len(receiver.of_type("case.deadline_approaching")) == 1
            # The stored projection moved (the list filters on it, it never re-evaluates).
            listed = api.get("/v1/cases", params={"status": "overdue"}).json()["items"]
            assert [c["id"] for c in listed] == [case_id]
        assert '"msg": "case swept"' in server.output()
