"""Appends to one case are serialized: 50 simultaneous posts to a real server lose nothing.

The server runs as its own process (`stuckfunds serve`), with two workers on PostgreSQL, so
the posts really race each other across processes, and with one worker on SQLite.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.support.payloads import ago, intake
from tests.support.server import Server, create_api_key, run_cli, running_server

pytestmark = pytest.mark.slow

POSTS = 50


def race_posts(server: Server, key: str) -> None:
    """Open a case, post POSTS events to it all at once, and check the log and the case after."""
    base_url = server.url
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
        created = client.post("/v1/cases", json=intake())
        assert created.status_code == 201, f"{created.text}\n{server.output()[-4000:]}"
        case_id = created.json()["id"]

    barrier = threading.Barrier(POSTS)

    def post(n: int) -> tuple[int, int | None, str]:
        body = {"type": "note_added", "occurred_at": ago(minutes=1),
                "data": {"text": f"call {n}"}}
        # One client, hence one connection, per thread: the requests are in flight together.
        with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
            client.get("/healthz")  # connect before the barrier, so only the POSTs race
            barrier.wait(timeout=30)
            response = client.post(f"/v1/cases/{case_id}/events", json=body)
        seq = response.json()["event"]["seq"] if response.status_code == 201 else None
        return response.status_code, seq, response.text

    with ThreadPoolExecutor(max_workers=POSTS) as pool:
        results = list(pool.map(post, range(POSTS)))

    failures = [text for status, _, text in results if status != 201]
    assert not failures, (f"{len(failures)} of {POSTS} posts failed, e.g. {failures[0]}\n"
                          f"server output (end):\n{server.output()[-4000:]}")
    assert sorted(seq for _, seq, _ in results) == list(range(1, POSTS + 1))

    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
        events = client.get(f"/v1/cases/{case_id}/events").json()["items"]
        case = client.get(f"/v1/cases/{case_id}").json()
    assert [e["seq"] for e in events] == list(range(1, POSTS + 1))
    assert sorted(e["data"]["text"] for e in events) == sorted(f"call {n}" for n in range(POSTS))
    assert case["last_seq"] == POSTS
    assert case["version"] == POSTS + 1


@pytest.mark.postgres
def test_concurrent_posts_to_one_case_on_postgres_with_two_workers(pg_url):
    key = create_api_key(pg_url, "concurrency-pg")
    with running_server(["--database-url", pg_url, "--workers", "2"]) as server:
        race_posts(server, key)


def test_concurrent_posts_to_one_case_on_sqlite_with_one_worker(tmp_path):
    url = f"sqlite:///{tmp_path / 'concurrency.db'}"
    key = create_api_key(url, "concurrency-sqlite")
    with running_server(["--database-url", url]) as server:
        race_posts(server, key)


def test_serve_refuses_several_workers_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'refused.db'}"
    result = run_cli("serve", "--database-url", url, "--workers", "2", "--port", "1", timeout=30)
    assert result.returncode != 0
    message = result.stderr.lower()
    assert "sqlite" in message and "one" in message and "--workers 1" in message, result.stderr
    assert not (tmp_path / "refused.db").exists(), "nothing should be set up for a refused start"
