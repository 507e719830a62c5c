"""Bounded work per request: authenticate before reading a body, then cap it as it streams in."""

import json
import random
import socket
import uuid
from collections.abc import Iterator

import pytest

from app.edge.idempotency import Fingerprint, request_fingerprint
from tests.support.evidence import open_case, png_bytes
from tests.support.payloads import ago, intake
from tests.support.server import create_api_key, running_server

PROBLEM = "application/problem+json"
MiB = 1024 * 1024


def test_an_unauthenticated_post_is_401_before_its_body_is_parsed(http):
    # Were the body parsed first, this malformed JSON would answer 422.
    response = http.post("/v1/cases", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 401 and response.headers["content-type"] == PROBLEM
    assert response.headers["www-authenticate"].startswith("Bearer")
    wrong_key = http.post("/v1/cases", content=b"{not json",
                          headers={"Authorization": "Bearer sf_nope", "Content-Type": "application/json"})
    assert wrong_key.status_code == 401 and wrong_key.json()["code"] == "unauthorized"


def test_a_json_body_over_the_cap_is_a_413_problem_naming_the_body(api, app):
    cap = app.state.settings.max_json_bytes
    body = json.dumps(intake(external_ref="x" * (cap + 10))).encode()
    response = api.post("/v1/cases", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["code"] == "payload-too-large" and problem["field"] == "body"
    assert problem["limit"] == cap
    # Just under the cap the same route still answers, here with the field's own 422.
    fits = json.dumps(intake(external_ref="x" * (cap // 2))).encode()
    assert api.post("/v1/cases", content=fits, headers={"Content-Type": "application/json"}).status_code == 422


def test_an_idempotent_upload_replays_from_the_streamed_fingerprint(api):
    case_id = open_case(api)
    form = {"kind": "notice_screenshot", "captured_at": ago(hours=1)}
    content = png_bytes("green", text="stream")

    def send(data):
        return api.post(f"/v1/cases/{case_id}/evidence", data=data, headers={"Idempotency-Key": "up-1"},
                        files={"file": ("n.png", content, "image/png")})

    first, again = send(form), send(form)
    assert first.status_code == 201 and again.status_code == 201, again.text
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    changed = send({**form, "kind": "other"})
    assert changed.status_code == 422 and changed.json()["reason"] == "idempotency-key-reused"


@pytest.mark.parametrize("boundary", ["", "----abcdef0123", "x"])
def test_the_fingerprint_is_the_same_however_the_body_is_cut(boundary):
    rng = random.Random(7)
    token = boundary.encode() if boundary else b"--"
    body = b"".join(rng.choice([token, b"-", b"a", b"\r\n", boundary[:3].encode() or b"z"])
                    for _ in range(3000))
    content_type = f"multipart/form-data; boundary={boundary}" if boundary else "application/json"
    whole = request_fingerprint("POST", "/v1/x", body, content_type)
    for _ in range(50):
        streamed, at = Fingerprint("POST", "/v1/x", content_type), 0
        while at < len(body):
            step = rng.randint(1, 40)
            streamed.update(body[at:at + step])
            at += step
        assert streamed.hexdigest() == whole


# --- Over a real socket: the answer comes before the body, and a stream is cut off --------------


@pytest.fixture(scope="module")
def served(pg_url, tmp_path_factory) -> Iterator[tuple[str, str]]:
    key = create_api_key(pg_url, "body-limits")
    env = {"STUCKFUNDS_EVIDENCE_DIR": str(tmp_path_factory.mktemp("evidence")),
           "STUCKFUNDS_EVIDENCE_MAX_BYTES": str(MiB)}
    with running_server(["--database-url", pg_url], env=env) as server:
        yield server.url.rsplit(":", 1)[1], key


def _exchange(port: str, head: str, parts: list[bytes] = (), timeout: float = 20) -> tuple[int, dict, bytes]:
    """Send a request head and some body bytes, then read one answer (the body may stay unsent)."""
    with socket.create_connection(("127.0.0.1", int(port)), timeout=timeout) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n")
        for part in parts:
            try:
                sock.sendall(part)
            except (BrokenPipeError, ConnectionResetError):
                break  # the server answered and closed before taking everything
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
        header_block, _, body = received.partition(b"\r\n\r\n")
        lines = header_block.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        while len(body) < int(headers.get("content-length", 0)):
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        return int(lines[0].split()[1]), headers, body


def test_an_anonymous_20_mib_upload_is_refused_before_the_body_is_sent(served):
    port, _key = served
    head = (f"POST /v1/cases/{uuid.uuid4()}/evidence HTTP/1.1\nHost: x\n"
            f"Content-Type: multipart/form-data; boundary=b\nContent-Length: {20 * MiB}\n")
    # Only 1 KiB of the announced 20 MiB is sent: a server that read the body first would wait.
    status, headers, body = _exchange(port, head, [b"x" * 1024])
    assert status == 401 and headers["content-type"] == PROBLEM
    assert json.loads(body)["code"] == "unauthorized"


def test_an_announced_body_over_the_upload_cap_is_413_before_it_is_sent(served):
    port, key = served
    head = (f"POST /v1/cases/{uuid.uuid4()}/evidence HTTP/1.1\nHost: x\nAuthorization: Bearer {key}\n"
            f"Content-Type: multipart/form-data; boundary=b\nContent-Length: {20 * MiB}\n")
    status, headers, body = _exchange(port, head, [b"x" * 1024])
    assert status == 413 and headers["content-type"] == PROBLEM
    assert json.loads(body)["limit"] == MiB + 256 * 1024


def test_a_chunked_json_stream_is_cut_off_at_the_cap(served):
    port, key = served
    head = (f"POST /v1/cases HTTP/1.1\nHost: x\nAuthorization: Bearer {key}\n"
            "Content-Type: application/json\nTransfer-Encoding: chunked\n")
    chunk = b"[" + b"1," * 32 * 1024  # 64 KiB of a JSON array that never ends
    parts = [f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"] * 40  # 2.5 MiB on offer
    status, headers, body = _exchange(port, head, parts)
    assert status == 413 and headers["content-type"] == PROBLEM
    problem = json.loads(body)
    assert problem["code"] == "payload-too-large" and problem["field"] == "body"


def test_a_what_if_with_too_many_events_is_refused_413_over_the_cap_and_422_under_it(api, app):
    # Past `maxItems`, the byte cap may refuse the body before any field is read: either answer
    # is a refusal (schemathesis is told 413 refuses a schema-violating what-if too).
    cap = app.state.settings.max_json_bytes
    event = {"type": "support_contacted", "occurred_at": ago(hours=1), "data": {"channel": "online_chat"}}
    small = json.dumps({"case": intake(), "events": [event] * 2001}).encode()
    assert len(small) < cap
    refused = api.post("/v1/evaluate", content=small, headers={"Content-Type": "application/json"})
    assert refused.status_code == 422 and refused.headers["content-type"] == PROBLEM
    assert refused.json()["errors"][0]["field"] == "events"
    event["note"] = "x" * 200
    large = json.dumps({"case": intake(), "events": [event] * 2001}).encode()
    assert len(large) > cap
    too_big = api.post("/v1/evaluate", content=large, headers={"Content-Type": "application/json"})
    assert too_big.status_code == 413 and too_big.headers["content-type"] == PROBLEM
    assert too_big.json()["field"] == "body"
