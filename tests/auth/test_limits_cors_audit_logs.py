"""The edge around every request: rate limits, CORS, the audit trail, and JSON logs without secrets."""

import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError

from app.edge.deps import get_now
from app.logs import JsonFormatter
from app.main import create_app
from app.settings import Settings
from tests.auth.conftest import PROBLEM, Partner, bearer, note
from tests.conftest import TEST_SECRET_KEY
from tests.support.payloads import intake
from tests.support.server import create_api_key, running_server
from tests.support.windows import start_inside_a_window

ORIGIN = "https://app.example.org"
REDIS_URL = "redis://127.0.0.1:6379/15"
PHONE = "13812345678"
ID_NUMBER = "11010519491231002X"


@pytest.fixture
def make_app(database_url) -> Iterator:
    """Apps of the test's own on the shared database: each has its own limiter and settings."""
    made = []

    start_inside_a_window()  # the bursts below stay in one minute's window

    def make(**overrides):
        settings = dict(database_url=database_url, embedded_worker=False, secret_key=TEST_SECRET_KEY,
                        rate_limit_api_key="3/minute", rate_limit_case_token="3/minute",
                        cors_origins=[ORIGIN])
        app = create_app(Settings(**{**settings, **overrides}))
        made.append(app)
        return app

    yield make
    for app in made:
        app.state.engine.dispose()


def assert_rate_limited(response) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["code"] == "rate-limited"
    assert 1 <= int(response.headers["retry-after"]) <= 60


def test_each_key_and_each_case_token_has_its_own_limit(make_app, partner, other_partner):
    case_id = partner.open_case()["id"]
    token = partner.issue_token(case_id)["token"]
    with TestClient(make_app()) as client:
        for _ in range(3):
            assert client.get("/v1/cases", headers=bearer(partner.key)).status_code == 200
        assert_rate_limited(client.get("/v1/cases", headers=bearer(partner.key)))
        # Every route counts against the same key.
        assert_rate_limited(client.get(f"/v1/cases/{case_id}", headers=bearer(partner.key)))

        # The partner's key is spent; the phone's token of one of its cases is counted apart.
        for _ in range(3):
            assert client.get(f"/v1/cases/{case_id}", headers=bearer(token)).status_code == 200
        assert_rate_limited(client.get(f"/v1/cases/{case_id}", headers=bearer(token)))
        # And so is another client's key.
        assert client.get("/v1/cases", headers=bearer(other_partner.key)).status_code == 200


def test_limits_are_per_process_without_redis(make_app, partner):
    first, second = TestClient(make_app()), TestClient(make_app())
    for _ in range(3):
        assert first.get("/v1/rules", headers=bearer(partner.key)).status_code == 200
    assert_rate_limited(first.get("/v1/rules", headers=bearer(partner.key)))
    assert second.get("/v1/rules", headers=bearer(partner.key)).status_code == 200


@pytest.fixture
def redis_db() -> Iterator[dict]:
    """Settings for a Redis that others may share: keys under a prefix of this test's own,
    deleted afterwards (never the whole database)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    prefix = f"stuckfunds-test-{uuid.uuid4().hex}"
    try:
        yield {"redis_url": REDIS_URL, "redis_key_prefix": prefix}
        assert list(client.scan_iter(match=f"{prefix}:*")), "nothing was counted under the prefix"
    finally:
        for key in client.scan_iter(match=f"{prefix}:*"):
            client.delete(key)
        client.close()


def test_two_workers_share_the_limit_through_redis(make_app, partner, redis_db):
    one = TestClient(make_app(**redis_db))
    two = TestClient(make_app(**redis_db))
    assert one.app.state.rate_limiter.shared
    headers = bearer(partner.key)
    assert one.get("/v1/rules", headers=headers).status_code == 200
    assert two.get("/v1/rules", headers=headers).status_code == 200
    assert one.get("/v1/rules", headers=headers).status_code == 200
    assert_rate_limited(two.get("/v1/rules", headers=headers))
    assert_rate_limited(one.get("/v1/rules", headers=headers))


def test_a_foreign_prefix_in_the_same_redis_is_neither_counted_nor_touched(make_app, partner, redis_db):
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    bystander = f"{redis_db['redis_key_prefix']}-other:LIMITS:keep-me"
    client.set(bystander, "1", ex=60)
    try:
        with TestClient(make_app(**redis_db)) as one:
            for _ in range(3):
                assert one.get("/v1/rules", headers=bearer(partner.key)).status_code == 200
        # Another deployment's prefix (or another test run's) starts from zero.
        other = {**redis_db, "redis_key_prefix": f"{redis_db['redis_key_prefix']}-other"}
        with TestClient(make_app(**other)) as two:
            assert two.get("/v1/rules", headers=bearer(partner.key)).status_code == 200
        assert client.get(bystander) == b"1"
    finally:
        for key in client.scan_iter(match=f"{redis_db['redis_key_prefix']}-other:*"):
            client.delete(key)
        client.close()


def test_failed_authentication_is_limited_per_address(make_app, partner):
    app = make_app(rate_limit_auth_failures="3/minute")
    guesses = [bearer("sf_" + uuid.uuid4().hex), bearer("sfct_" + uuid.uuid4().hex)]
    with TestClient(app, client=("203.0.113.7", 50000)) as attacker, \
            TestClient(app, client=("198.51.100.20", 50000)) as neighbour:
        for i in range(3):
            assert attacker.get("/v1/cases", headers=guesses[i % 2]).status_code == 401
        assert_rate_limited(attacker.get("/v1/cases", headers=guesses[0]))
        # Turned away before any lookup, whatever it presents next, on every route.
        assert_rate_limited(attacker.get("/v1/cases", headers=bearer(partner.key)))
        assert_rate_limited(attacker.post("/v1/cases", json=intake(), headers=guesses[1]))
        # Another address is not affected: its first guess is a plain 401, its valid key works.
        assert neighbour.get("/v1/cases", headers=guesses[0]).status_code == 401
        assert neighbour.get("/v1/cases", headers=bearer(partner.key)).status_code == 200
    # Valid keys are no failures: the partner's own address is never turned away.
    with TestClient(make_app(rate_limit_auth_failures="1/minute")) as own:
        assert [own.get("/v1/rules", headers=bearer(partner.key)).status_code for _ in range(3)] == [200] * 3


def test_cors_headers_go_on_every_answer_to_an_allowed_origin(make_app, partner):
    with TestClient(make_app()) as client:
        key, origin = bearer(partner.key), {"Origin": ORIGIN}
        answers = {
            200: client.get("/v1/cases", headers={**key, **origin}),
            401: client.get("/v1/cases", headers=origin),
            404: client.get(f"/v1/cases/{uuid.uuid4()}", headers={**key, **origin}),
            422: client.post("/v1/cases", json={}, headers={**key, **origin}),
            429: client.get("/v1/cases", headers={**key, **origin}),
        }
        for status, response in answers.items():
            assert response.status_code == status, response.text
            assert response.headers.get("access-control-allow-origin") == ORIGIN, status
            exposed = response.headers.get("access-control-expose-headers", "").lower()
            assert "retry-after" in exposed and "x-request-id" in exposed and "etag" in exposed

        for response in (client.get("/v1/cases", headers={**key, "Origin": "https://evil.example"}),
                         client.get("/v1/cases", headers={"Origin": "https://evil.example"})):
            assert "access-control-allow-origin" not in response.headers

        preflight = {"Access-Control-Request-Method": "POST",
                     "Access-Control-Request-Headers": "authorization, content-type, idempotency-key, if-match"}
        allowed = client.options("/v1/cases", headers={**origin, **preflight})
        assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == ORIGIN
        refused = client.options("/v1/cases", headers={"Origin": "https://evil.example", **preflight})
        assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers


def test_with_no_origin_configured_no_browser_origin_is_let_in(make_app, partner):
    # Without origins the CORS layer is left out: no answer names an origin, and a preflight fails.
    with TestClient(make_app(cors_origins=[])) as client:
        answer = client.get("/v1/cases", headers={**bearer(partner.key), "Origin": ORIGIN})
        assert answer.status_code == 200 and "access-control-allow-origin" not in answer.headers
        preflight = client.options("/v1/cases", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
        assert preflight.status_code >= 400 and not any(h.startswith("access-control-") for h in preflight.headers)


def test_an_unexpected_500_still_carries_cors_headers(make_app, partner):
    app = make_app()

    def broken_clock():
        raise RuntimeError("clock failure")

    app.dependency_overrides[get_now] = broken_clock
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/v1/cases", json=intake(), headers={**bearer(partner.key), "Origin": ORIGIN})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.json()["request_id"] == response.headers["x-request-id"]


def test_no_origin_is_allowed_unless_configured_and_the_list_is_read_as_json(monkeypatch):
    assert Settings().cors_origins == []
    monkeypatch.setenv("STUCKFUNDS_CORS_ORIGINS", '["https://a.example", "https://b.example"]')
    assert Settings().cors_origins == ["https://a.example", "https://b.example"]


def test_the_audit_trail_says_who_did_what_to_the_case(partner, other_partner):
    opened = partner.post("/v1/cases", params={"issue_token": "true"}, json=intake())
    assert opened.status_code == 201
    case_id, token = opened.json()["id"], opened.json()["case_token"]
    phone = Partner(partner.http, partner.client_id, token["token"], token["prefix"])
    appended = phone.post(f"/v1/cases/{case_id}/events", json=note("用户自己记的"))
    assert appended.status_code == 201
    etag = partner.get(f"/v1/cases/{case_id}").headers["etag"]
    patched = partner.request("PATCH", f"/v1/cases/{case_id}", json={"locale": "en"},
                              headers={"If-Match": etag})
    assert patched.status_code == 200
    issued = partner.post(f"/v1/cases/{case_id}/tokens", json={})
    assert issued.status_code == 201
    spare = issued.json()
    revoked = partner.request("DELETE", f"/v1/cases/{case_id}/tokens/{token['id']}")
    assert revoked.status_code == 204

    trail = partner.get(f"/v1/cases/{case_id}/audit")
    assert trail.status_code == 200, trail.text
    items = trail.json()["items"]
    seen = [(i["action"], i["actor_kind"], i["actor"], i["request_id"]) for i in items]
    key_actor = ("api_key", partner.prefix)
    expected = [
        ("case.opened", *key_actor, opened.headers["x-request-id"]),
        ("case_token.issued", *key_actor, opened.headers["x-request-id"]),
        ("event.appended", "case_token", token["prefix"], appended.headers["x-request-id"]),
        ("case.updated", *key_actor, patched.headers["x-request-id"]),
        ("case_token.issued", *key_actor, issued.headers["x-request-id"]),
        ("case_token.revoked", *key_actor, revoked.headers["x-request-id"]),
    ]
    # Oldest first. The two entries of the opening request share one timestamp, and their order
    # is not defined (ties are broken by a random id), so those two are compared as a set.
    assert {*seen[:2]} == {*expected[:2]} and seen[2:] == expected[2:]
    assert [i["created_at"] for i in items] == sorted(i["created_at"] for i in items)
    by_action = {i["action"]: i for i in items}
    assert by_action["event.appended"]["detail"] == {"seq": 1, "type": "note_added"}
    assert by_action["case.updated"]["detail"] == {"fields": ["locale"]}
    for secret in (partner.key, token["token"], spare["token"]):
        assert secret not in trail.text

    assert other_partner.get(f"/v1/cases/{case_id}/audit").status_code == 404
    assert partner.http.get(f"/v1/cases/{case_id}/audit",
                            headers=bearer(spare["token"])).status_code == 403


def test_logged_sql_errors_lose_their_secrets_and_personal_numbers():
    """What an unexpected database error logs: the statement and its parameters, scrubbed."""
    key, token = "sf_" + "K" * 43, "sfct_" + "T" * 43
    error = IntegrityError("INSERT INTO case (external_ref, province, note) VALUES (?, ?, ?)",
                           {"external_ref": PHONE, "province": ID_NUMBER, "note": f"+86 {PHONE} {token}"},
                           Exception("duplicate key"))
    try:
        raise error
    except IntegrityError:
        record = logging.LogRecord("stuckfunds.errors", logging.ERROR, __file__, 1,
                                   "failed with Authorization: Bearer %s", (key,), sys.exc_info())
    line = JsonFormatter().format(record)
    parsed = json.loads(line)
    assert "[parameters:" in parsed["exc"]
    for secret in (key, token, PHONE, ID_NUMBER):
        assert secret not in line


@pytest.mark.slow
@pytest.mark.postgres
def test_a_real_server_logs_json_lines_with_request_ids_and_no_secrets(pg_url):
    key = create_api_key(pg_url, "log-test")
    env = {"STUCKFUNDS_LOG_LEVEL": "INFO", "STUCKFUNDS_SECRET_KEY": TEST_SECRET_KEY}
    unknown = "sf_" + uuid.uuid4().hex + uuid.uuid4().hex
    with running_server(["--database-url", pg_url], env=env) as server:
        with httpx.Client(base_url=server.url, headers=bearer(key), timeout=30) as client:
            ref = f"ref-{uuid.uuid4().hex[:8]}"
            opened = client.post("/v1/cases", params={"issue_token": "true"},
                                 json=intake(external_ref=ref, province=ID_NUMBER))
            assert opened.status_code == 201, opened.text
            case_id, token = opened.json()["id"], opened.json()["case_token"]["token"]
            answers = [opened]
            answers.append(client.post(f"/v1/cases/{case_id}/events", headers=bearer(token), json=note(
                f"客服让我打 {PHONE}，还要身份证号 {ID_NUMBER}", note=f"手机 {PHONE}")))
            answers.append(client.get(f"/v1/cases/{case_id}", headers=bearer(token)))
            answers.append(client.post("/v1/cases", json=intake(external_ref=ref)))  # duplicate: 409
            # PostgreSQL refuses NUL in text: today the insert fails and the error is logged with
            # the statement's parameters, phone and ID number among them.
            sql_error = client.post("/v1/cases", json=intake(external_ref=f"{PHONE}\u0000",
                                                            province=ID_NUMBER))
            answers.append(sql_error)
            answers.append(client.get("/v1/cases", headers=bearer(unknown)))
            traced = client.get("/v1/cases", headers={"X-Request-ID": "trace-0123456789"})
            answers.append(traced)
        assert [a.status_code for a in answers][:4] == [201, 201, 200, 409]
        assert answers[-2].status_code == 401 and traced.status_code == 200
        assert traced.headers["x-request-id"] == "trace-0123456789"
        request_ids = {a.headers["x-request-id"] for a in answers}
        assert len(request_ids) == len(answers)

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # the access line is written just after the answer
            logged = server.output()
            if all(rid in logged for rid in request_ids):
                break
            time.sleep(0.05)
        output = server.output()

    lines = [line for line in output.splitlines() if line.strip()]
    assert lines
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"a log line that is not JSON: {line!r}")
    requests = [r for r in records if r.get("logger") == "stuckfunds.access" and r.get("msg") == "request"]
    assert requests and all(r.get("request_id") for r in requests)
    assert request_ids <= {r["request_id"] for r in requests}
    if sql_error.status_code == 500:
        assert any("[parameters:" in r.get("exc", "") for r in records), "the SQL error was not logged"
    for secret in (key, token, unknown, PHONE, ID_NUMBER):
        leaked = [line for line in lines if secret in line]
        assert not leaked, f"{secret[:6]}... is in the log: {leaked[0][:300]}"
