"""Idempotency against a real server on PostgreSQL: racing retries, and a server killed mid-answer.

The server is `stuckfunds serve` in a process of its own (tests/support/server.py), so requests
really race across worker processes, and SIGKILL really loses the answer that was on its way.
"""

import os
import signal
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import create_engine, select

from app.db.models import CaseEvent, IdempotencyRecord
from app.edge.idempotency import REPLAYED
from tests.auth.conftest import note, raw
from tests.conftest import TEST_SECRET_KEY
from tests.support.payloads import intake
from tests.support.server import create_api_key, running_server

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

RACERS = 20
# Both servers of a test must read the answers the other stored (they are encrypted at rest).
SERVER_ENV = {"STUCKFUNDS_SECRET_KEY": TEST_SECRET_KEY}


def open_case(base_url: str, key: str) -> str:
    response = httpx.post(f"{base_url}/v1/cases", json=intake(),
                          headers={"Authorization": f"Bearer {key}"}, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def stored_events(pg_url: str, case_id: str) -> list[CaseEvent]:
    engine = create_engine(pg_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(select(CaseEvent.__table__).where(
                CaseEvent.case_id == uuid.UUID(case_id))))
    finally:
        engine.dispose()


def test_twenty_identical_retries_at_once_store_one_event(pg_url):
    key = create_api_key(pg_url, "idempotency-race")
    with running_server(["--database-url", pg_url, "--workers", "2"], env=SERVER_ENV) as server:
        case_id = open_case(server.url, key)
        url = f"{server.url}/v1/cases/{case_id}/events"
        body = raw(note("同一条，手机重发了二十次"))
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                   "Idempotency-Key": str(uuid.uuid4())}
        barrier = threading.Barrier(RACERS)

        def post(_: int) -> httpx.Response:
            with httpx.Client(timeout=60) as client:
                client.get(f"{server.url}/healthz")  # connect first: only the POSTs race
                barrier.wait(timeout=30)
                return client.post(url, content=body, headers=headers)

        with ThreadPoolExecutor(max_workers=RACERS) as pool:
            answers = list(pool.map(post, range(RACERS)))

        firsts = [a for a in answers if a.status_code == 201 and REPLAYED not in a.headers]
        replays = [a for a in answers if a.status_code == 201 and a.headers.get(REPLAYED) == "true"]
        busy = [a for a in answers if a.status_code == 409]
        assert len(firsts) + len(replays) + len(busy) == RACERS, (
            [(a.status_code, a.text[:200]) for a in answers], server.output()[-3000:])
        assert len(firsts) == 1, [(a.status_code, dict(a.headers)) for a in answers]
        for answer in busy:
            assert int(answer.headers["retry-after"]) >= 1
            assert answer.headers["content-type"].startswith("application/problem+json")
        for answer in replays:
            assert answer.content == firsts[0].content

        later = httpx.post(url, content=body, headers=headers, timeout=30)
        assert later.status_code == 201 and later.headers[REPLAYED] == "true"
        assert later.content == firsts[0].content
        assert later.headers["location"] == firsts[0].headers["location"]
    assert [e.seq for e in stored_events(pg_url, case_id)] == [1]


def wait_for_event(pg_url: str, case_id: str, idempotency_key: str,
                   timeout: float = 20.0) -> IdempotencyRecord:
    """Poll until the event is committed; return the key's record as committed with it."""
    engine = create_engine(pg_url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with engine.connect() as connection, connection.begin():
                events = connection.execute(select(CaseEvent.id).where(
                    CaseEvent.case_id == uuid.UUID(case_id))).all()
                if events:
                    return connection.execute(select(IdempotencyRecord.__table__).where(
                        IdempotencyRecord.key == idempotency_key)).one()
            time.sleep(0.002)
    finally:
        engine.dispose()
    raise TimeoutError("the event was never committed")


def test_a_retry_after_the_server_was_killed_between_commit_and_answer_replays(pg_url):
    key = create_api_key(pg_url, "idempotency-crash")
    idempotency_key = str(uuid.uuid4())
    body = raw(note("发出去了，但手机没收到回复"))
    with running_server(["--database-url", pg_url], env=SERVER_ENV) as server:
        case_id = open_case(server.url, key)
        path = f"/v1/cases/{case_id}/events"
        address = urlsplit(server.url)
        request = (f"POST {path} HTTP/1.1\r\nHost: {address.netloc}\r\n"
                   f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
                   f"Idempotency-Key: {idempotency_key}\r\nContent-Length: {len(body)}\r\n"
                   f"Connection: close\r\n\r\n").encode() + body
        with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
            sock.sendall(request)
            record = wait_for_event(pg_url, case_id, idempotency_key)
            # Committed, answer not read: kill everything before the phone hears back.
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=10)
        assert record.state == "completed"
        assert record.response_status == 201

    with running_server(["--database-url", pg_url], env=SERVER_ENV) as restarted:
        retry = httpx.post(f"{restarted.url}{path}", content=body, timeout=30, headers={
            "Authorization": f"Bearer {key}", "Content-Type": "application/json",
            "Idempotency-Key": idempotency_key})
        assert retry.status_code == 201, retry.text
        assert retry.headers[REPLAYED] == "true"
        events = httpx.get(f"{restarted.url}{path}", timeout=30,
                           headers={"Authorization": f"Bearer {key}"}).json()["items"]
    [stored] = stored_events(pg_url, case_id)
    assert retry.json()["event"]["id"] == str(stored.id) and retry.json()["event"]["seq"] == 1
    assert [e["seq"] for e in events] == [1]
