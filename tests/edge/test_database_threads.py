"""The request path's database threads: no more at once than the pool keeps connections, never abandoned."""

import asyncio
import threading
import time
from types import SimpleNamespace

import anyio
import httpx
from sqlalchemy import event
from sqlalchemy.orm import sessionmaker

from app.edge.session import read, write
from app.main import create_app
from app.settings import Settings
from tests.conftest import TEST_SECRET_KEY, new_api_key
from tests.support.payloads import event as event_body, intake

POOL = 3
CONCURRENT = 16


async def _posts_and_reads_at_once(app, key: str) -> list[int]:
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test",
                                 headers=headers) as http:
        opened = await http.post("/v1/cases", json=intake())
        assert opened.status_code == 201, opened.text
        case = opened.json()["id"]
        answers = await asyncio.gather(*(
            http.post(f"/v1/cases/{case}/events", json=event_body("note_added", {"text": f"call {n}"}))
            if n % 2 else http.get(f"/v1/cases/{case}") for n in range(CONCURRENT)))
        return [answer.status_code for answer in answers]


def test_concurrent_posts_and_reads_use_at_most_the_pools_connections(database_url, tmp_path):
    app = create_app(Settings(database_url=database_url, embedded_worker=False, db_pool_size=POOL,
                              secret_key=TEST_SECRET_KEY, evidence_dir=tmp_path / "evidence",
                              rate_limit_auth_failures="100000000/hour", peer_signals=False))
    key = new_api_key(app, "pool-bound")
    engine = app.state.engine
    opened, held, peak = [], [0], [0]
    lock = threading.Lock()

    def on_checkout(*_):
        with lock:
            held[0] += 1
            peak[0] = max(peak[0], held[0])

    def on_checkin(*_):
        with lock:
            held[0] -= 1

    engine.dispose()  # the key's connection: every connection counted below is the requests'
    event.listen(engine, "connect", lambda *_: opened.append(1))
    event.listen(engine, "checkout", on_checkout)
    event.listen(engine, "checkin", on_checkin)
    try:
        statuses = asyncio.run(_posts_and_reads_at_once(app, key))
    finally:
        engine.dispose()
    assert statuses == [200 if n % 2 == 0 else 201 for n in range(CONCURRENT)]
    # The key's lookup (its first use) and the case's opening take one connection each, before
    # the burst; the burst itself never holds more than the pool at once, so opens none beyond it.
    assert peak[0] <= POOL, peak[0]
    assert len(opened) <= POOL, len(opened)


def _state(threads: int = 1) -> SimpleNamespace:
    sessions = sessionmaker()  # no database: these tests are about the threads
    return SimpleNamespace(settings=SimpleNamespace(db_pool_size=threads), sessions=sessions,
                           write_sessions=sessions)


def test_a_cancelled_request_waits_for_work_already_started():
    request = SimpleNamespace(app=SimpleNamespace(state=_state()))
    started, finished = threading.Event(), threading.Event()

    def work(_session):
        started.set()
        time.sleep(0.2)
        finished.set()

    async def cancel_mid_work() -> bool:
        with anyio.CancelScope() as scope:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(write, request, work)
                while not started.is_set():
                    await anyio.sleep(0.01)
                scope.cancel()
        return finished.is_set()

    assert anyio.run(cancel_mid_work), "the request ended before the work it started"


def test_a_request_cancelled_while_queued_never_runs_its_work():
    request = SimpleNamespace(app=SimpleNamespace(state=_state(threads=1)))
    release, ran = threading.Event(), []

    async def cancel_the_queued_one() -> None:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(read, request, lambda _session: release.wait(5))
            await anyio.sleep(0.05)
            with anyio.move_on_after(0.05):
                await read(request, lambda _session: ran.append(1))
            release.set()

    anyio.run(cancel_the_queued_one)
    assert ran == []
