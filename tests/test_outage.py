"""Database outages: a real server answers 503 problems while PostgreSQL is gone, then recovers.

The server is `stuckfunds serve --workers 2` in a process of its own, on a database made for
this test. Two kinds of outage: every connection killed at once (`pg_terminate_backend`), which
the pool's pre-ping must hide completely; and the database refusing connections
(`ALLOW_CONNECTIONS false` plus the kill) for a while, during which every request must get a
503 problem and /readyz must say so, and after which the same process serves again.
"""

import time
import uuid
from collections.abc import Iterator

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import fresh_pg_database, TEST_SECRET_KEY, _libpq, pg_admin_url
from tests.support.payloads import ago, intake
from tests.support.server import create_api_key, running_server

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

PROBLEM = "application/problem+json"


@pytest.fixture
def outage_db(pg_url) -> Iterator[str]:
    """A database of its own: cutting it off must not touch the rest of the suite."""
    with fresh_pg_database("stuckfunds_outage") as url:
        yield url


def admin(sql: str, *params) -> list[tuple]:
    with psycopg.connect(_libpq(make_url(pg_admin_url())), autocommit=True) as conn:
        cursor = conn.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def kill_connections(database: str) -> int:
    rows = admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                 "WHERE datname = %s AND pid <> pg_backend_pid()", database)
    return sum(1 for (killed,) in rows if killed)


def note(text: str, **envelope) -> dict:
    return {"type": "note_added", "occurred_at": ago(minutes=1), "data": {"text": text}, **envelope}


def wait_until(predicate, timeout: float, what: str) -> float:
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.1)
    return time.monotonic() - started


def test_killed_connections_are_replaced_without_a_single_error(outage_db):
    database = make_url(outage_db).database
    key = create_api_key(outage_db, "outage-kill")
    headers = {"Authorization": f"Bearer {key}"}
    with running_server(["--database-url", outage_db, "--workers", "2"],
                        env={"STUCKFUNDS_SECRET_KEY": TEST_SECRET_KEY}) as server, \
            httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
        case_id = client.post("/v1/cases", json=intake()).json()["id"]
        for round_ in range(3):
            for n in range(10):  # warm both workers' pools, then cut every connection at once
                assert client.post(f"/v1/cases/{case_id}/events",
                                   json=note(f"{round_}.{n}")).status_code == 201
            assert kill_connections(database) >= 1
            answers = [client.post(f"/v1/cases/{case_id}/events", json=note(f"after {round_}.{n}"))
                       for n in range(10)]
            assert [a.status_code for a in answers] == [201] * 10, [a.text for a in answers]
        events = client.get(f"/v1/cases/{case_id}/events").json()["items"]
        assert [e["seq"] for e in events] == list(range(1, 61))


def test_while_the_database_refuses_connections_requests_get_503_and_it_recovers(outage_db):
    database = make_url(outage_db).database
    key = create_api_key(outage_db, "outage-down")
    headers = {"Authorization": f"Bearer {key}"}
    with running_server(["--database-url", outage_db, "--workers", "2"],
                        env={"STUCKFUNDS_SECRET_KEY": TEST_SECRET_KEY}) as server, \
            httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
        case_id = client.post("/v1/cases", json=intake()).json()["id"]
        assert client.post(f"/v1/cases/{case_id}/events", json=note("before")).status_code == 201
        assert client.get("/readyz").status_code == 200

        admin(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
        kill_connections(database)
        try:
            retried = note("sent during the outage", event_id=str(uuid.uuid4()))
            idempotency = {"Idempotency-Key": str(uuid.uuid4())}
            # Several of each, on fresh connections too, so both workers are asked.
            for _ in range(4):
                for answer in (
                    client.post(f"/v1/cases/{case_id}/events", json=retried, headers=idempotency),
                    client.get(f"/v1/cases/{case_id}"),
                    client.post("/v1/cases", json=intake()),
                    httpx.get(f"{server.url}/v1/cases", headers=headers, timeout=30),
                ):
                    assert answer.status_code == 503, answer.text
                    assert answer.headers["content-type"].startswith(PROBLEM)
                    problem = answer.json()
                    assert problem["status"] == 503 and problem["code"] == "database-unavailable"
                    assert answer.headers["retry-after"] == "1"
                ready = httpx.get(f"{server.url}/readyz", timeout=30)
                assert ready.status_code == 503 and ready.json()["database"] == "down", ready.text
                assert httpx.get(f"{server.url}/healthz", timeout=30).status_code == 200
                scrape = httpx.get(f"{server.url}/metrics", timeout=30)
                assert scrape.status_code == 200 and "stuckfunds_database_up 0.0" in scrape.text
        finally:
            admin(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')

        # The same processes serve again, with no restart: readiness first, then real work.
        recovery = wait_until(lambda: httpx.get(f"{server.url}/readyz", timeout=5).status_code == 200,
                              timeout=15, what="/readyz back to 200")
        assert server.process.poll() is None, "the server exited"
        answer = client.post(f"/v1/cases/{case_id}/events", json=retried, headers=idempotency)
        assert answer.status_code == 201, answer.text
        assert answer.json()["event"]["seq"] == 2
        # The retry of the very same request is a replay, not a second event.
        again = client.post(f"/v1/cases/{case_id}/events", json=retried, headers=idempotency)
        assert again.status_code == 201 and again.headers.get("idempotent-replayed") == "true"
        for _ in range(6):  # both workers are back, not just the one that answered first
            assert httpx.get(f"{server.url}/v1/cases/{case_id}", headers=headers,
                             timeout=30).status_code == 200
        events = client.get(f"/v1/cases/{case_id}/events").json()["items"]
        assert [e["seq"] for e in events] == [1, 2]
        assert "database unavailable" in server.output()
    assert recovery < 15
