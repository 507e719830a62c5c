"""A dossier's cost is bounded: events and notes capped (and the document says so), PDFs rendered
in a child process with a time and a memory limit, stopped when the client leaves, and cached by
version of the case."""

import socket
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.conftest import TEST_SECRET_KEY
from tests.dossier.conftest import pdf_text
from tests.support.evidence import open_case, post_event
from tests.support.server import create_api_key, running_server

PROBLEM = "application/problem+json"
NOTE = "客服说通道维护中预计下周恢复但是一直没有消息我多次联系都只是让我等待。"


@pytest.fixture
def make_client(database_url, evidence_dir) -> Iterator:
    """An app of the test's own (its own renderer and cache) on the shared database."""
    made = []

    def make(**overrides) -> TestClient:
        app = create_app(Settings(database_url=database_url, embedded_worker=False, secret_key=TEST_SECRET_KEY,
                                  evidence_dir=evidence_dir, **overrides))
        made.append(app)
        return TestClient(app)

    yield make
    for app in made:
        app.state.engine.dispose()


def _case_with_notes(api, count: int, length: int) -> str:
    case_id = open_case(api)
    for number in range(count):
        post_event(api, case_id, "support_contacted", {"channel": "online_chat"},
                   note=(f"{number}号" + NOTE * 60)[:length])
    return case_id


def test_the_dossier_caps_events_and_notes_and_says_so(api, make_client, tmp_path):
    case_id = _case_with_notes(api, 5, 100)
    client = make_client(dossier_max_events=3, dossier_max_note_chars=40, dossier_max_total_note_chars=60)
    d = client.get(f"/v1/cases/{case_id}/dossier?format=json", headers=api.headers).json()
    assert [f["seq"] for f in d["facts"]] == [3, 4, 5]
    notes = [f["note"] for f in d["facts"]]
    # The newest note gets the most room; the budget runs out before the oldest.
    assert notes[2].startswith("4号") and len(notes[2]) == 40 and notes[2].endswith("…")
    assert notes[1].startswith("3号") and len(notes[1]) == 20 and notes[1].endswith("…")
    assert notes[0] is None
    assert "共有 5 条记录" in d["limits_note"] and "最近的 3 条" in d["limits_note"]
    assert "40 字" in d["limits_note"] and "60 字" in d["limits_note"]
    english = client.get(f"/v1/cases/{case_id}/dossier?format=json&lang=en", headers=api.headers).json()
    assert "holds 5 records" in english["limits_note"] and "latest 3" in english["limits_note"]
    pdf = client.get(f"/v1/cases/{case_id}/dossier", headers=api.headers)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert "最近的 3 条" in pdf_text(pdf.content, tmp_path).replace("\n", "")
    markdown = client.get(f"/v1/cases/{case_id}/dossier?format=markdown", headers=api.headers).text
    assert "最近的 3 条" in markdown


def test_a_dossier_within_its_limits_says_nothing_about_them(api, complaint_case):
    assert api.get(f"/v1/cases/{complaint_case}/dossier?format=json").json()["limits_note"] is None


def test_a_pdf_past_its_time_limit_is_503_with_retry_after(api, make_client):
    case_id = _case_with_notes(api, 3, 300)
    client = make_client(dossier_render_timeout_seconds=0.05)
    response = client.get(f"/v1/cases/{case_id}/dossier", headers=api.headers)
    assert response.status_code == 503 and response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == "dossier-render-unavailable"
    assert int(response.headers["retry-after"]) > 0 and "0.05 s" in response.json()["detail"]
    # The other formats never go through the renderer.
    assert client.get(f"/v1/cases/{case_id}/dossier?format=markdown", headers=api.headers).status_code == 200


def test_a_pdf_past_its_memory_limit_is_503(api, make_client):
    case_id = _case_with_notes(api, 3, 300)
    # 64 MiB of address space is less than the child already holds (Python, WeasyPrint, Pango and
    # the fonts, inherited from the forkserver), so the render cannot finish within it, whatever
    # the machine; 256 MiB sufficed on some machines and not on others.
    client = make_client(dossier_render_memory_mb=64)
    response = client.get(f"/v1/cases/{case_id}/dossier", headers=api.headers)
    assert response.status_code == 503 and response.json()["code"] == "dossier-render-unavailable"
    assert response.headers["retry-after"]


def test_the_same_version_of_a_case_is_rendered_once(api, make_client):
    case_id = _case_with_notes(api, 2, 50)
    client = make_client()
    renderer = client.app.state.dossier_renderer
    first = client.get(f"/v1/cases/{case_id}/dossier", headers=api.headers)
    again = client.get(f"/v1/cases/{case_id}/dossier", headers=api.headers)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and renderer.rendered == 1
    # Another language is another document; a new event is a new version.
    assert client.get(f"/v1/cases/{case_id}/dossier?lang=en", headers=api.headers).status_code == 200
    assert renderer.rendered == 2
    post_event(api, case_id, "support_contacted", {"channel": "phone"})
    assert client.get(f"/v1/cases/{case_id}/dossier", headers=api.headers).status_code == 200
    assert renderer.rendered == 3


def test_the_renderer_stops_when_the_client_leaves(pg_url, tmp_path):
    key = create_api_key(pg_url, "dossier-leaves")
    env = {"STUCKFUNDS_EVIDENCE_DIR": str(tmp_path / "evidence"),
           "STUCKFUNDS_DOSSIER_RENDER_TIMEOUT_SECONDS": "300"}
    with running_server(["--database-url", pg_url], env=env) as server:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as http:
            case_id = http.post("/v1/cases", json={
                "platform": {"name": "安心保险APP", "kind": "insurer", "licensed": True}, "amount": "30000.00",
                "currency": "CNY", "withdrawal_requested_at": (datetime.now(timezone.utc) - timedelta(days=9)).isoformat(),
            }).json()["id"]
            for number in range(25):  # ~100 pages: seconds of rendering on any machine
                at = datetime.now(timezone.utc) - timedelta(days=8) + timedelta(hours=number)
                assert http.post(f"/v1/cases/{case_id}/events", json={
                    "type": "support_contacted", "occurred_at": at.isoformat(), "data": {"channel": "online_chat"},
                    "note": (f"{number}号" + NOTE * 60)[:1000]}).status_code == 201
        port = int(server.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(f"GET /v1/cases/{case_id}/dossier HTTP/1.1\r\nHost: x\r\n"
                         f"Authorization: Bearer {key}\r\n\r\n".encode())
            _wait_for(server, '"dossier render started"', timeout=30)
        # The client is gone: the server notices within its poll and kills the renderer.
        line = _wait_for(server, "dossier client left", timeout=30)
        assert "renderer stopped" in line
        assert '"dossier rendered"' not in server.output()


def _wait_for(server, text: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in server.output().splitlines():
            if text in line:
                return line
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not logged within {timeout} s:\n{server.output()[-3000:]}")
