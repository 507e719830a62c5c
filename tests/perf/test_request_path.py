"""The request path: SQL statements per request, cached keys refused at once when revoked, dropped connections.

Counted by app.db.statements on the app's engine: every statement sent, BEGIN and COMMIT (and a
ROLLBACK) included, on SQLite and PostgreSQL. Each count follows one request of the same kind, so
the API key is as a running server holds it (resolved once, then served from the credential cache).
"""

import uuid
from datetime import datetime, timezone

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from app.auth.service import create_client, issue_key, revoke_keys
from app.db.models import Case
from app.db.statements import counting
from app.main import create_app
from app.settings import Settings
from tests.conftest import TEST_SECRET_KEY, new_api_key
from tests.support.payloads import event, intake

PROBLEM = "application/problem+json"


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _urgency(**extra) -> dict:
    return event("urgency_stated", {"reason": "debt"}, **extra)


def _open(http: TestClient, key: str) -> str:
    answer = http.post("/v1/cases", json=intake(), headers=_bearer(key))
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def _counted(app, send):
    with counting(app.state.engine) as log:
        answer = send()
    return answer, log


def test_an_event_post_sends_four_statements_on_postgres_six_on_sqlite_and_a_read_one(app, http):
    key = new_api_key(app, "statements")
    case = _open(http, key)
    post = lambda **extra: http.post(f"/v1/cases/{case}/events", json=_urgency(**extra),  # noqa: E731
                                     headers=_bearer(key))
    assert post().status_code == 201

    answer, log = _counted(app, post)
    assert answer.status_code == 201, answer.text
    # BEGIN, the case locked with its log, the event, the audit entry and the case's projection
    # (on PostgreSQL one statement, the INSERTs riding with the UPDATE: app.db.held), COMMIT.
    writes = ["WITH"] if app.state.engine.dialect.name == "postgresql" else ["INSERT", "INSERT", "UPDATE"]
    assert log.kinds() == ["BEGIN", "SELECT", *writes, "COMMIT"], log.statements
    assert answer.json()["event"]["seq"] == 2

    answer, log = _counted(app, lambda: post(event_id=str(uuid.uuid4())))
    assert answer.status_code == 201, answer.text
    # The replay check reads the log the lock already loaded: no statement of its own.
    assert log.count <= 6, log.statements

    answer, log = _counted(app, lambda: http.get(f"/v1/cases/{case}", headers=_bearer(key)))
    assert answer.status_code == 200
    assert answer.json()["last_seq"] == 3
    assert log.kinds() == ["SELECT"], log.statements


def test_a_resent_event_id_is_answered_from_the_log_already_loaded(app, http):
    key = new_api_key(app, "replay")
    case = _open(http, key)
    body = _urgency(event_id=str(uuid.uuid4()))
    first = http.post(f"/v1/cases/{case}/events", json=body, headers=_bearer(key))
    answer, log = _counted(app, lambda: http.post(f"/v1/cases/{case}/events", json=body,
                                                   headers=_bearer(key)))
    assert (first.status_code, answer.status_code) == (201, 200)
    assert answer.json()["event"] == first.json()["event"]
    assert answer.json()["evaluation"] == first.json()["evaluation"]
    # The lock with the log, then the stored evaluation it did not carry; nothing is written.
    assert "INSERT" not in log.kinds() and "UPDATE" not in log.kinds(), log.statements


def test_a_revoked_key_is_refused_on_the_very_next_request_by_another_instance(app, http, database_url):
    """Two servers share the database; each has served the key from its cache when it is revoked."""
    other = create_app(Settings(database_url=database_url, embedded_worker=False, secret_key=TEST_SECRET_KEY,
                                rate_limit_auth_failures="100000000/hour"))
    try:
        with TestClient(other) as http2:
            key = new_api_key(app, "revoked-while-cached")
            bystander = new_api_key(app, "bystander")
            case = _open(http, key)
            mine = _open(http, bystander)
            for client in (http, http2):  # both caches hold both keys
                for secret, target in ((key, case), (bystander, mine)):
                    assert client.get(f"/v1/cases/{target}", headers=_bearer(secret)).status_code == 200
                    assert client.post(f"/v1/cases/{target}/events", json=_urgency(),
                                       headers=_bearer(secret)).status_code == 201
            answer, log = _counted(other, lambda: http2.get(f"/v1/cases/{case}", headers=_bearer(key)))
            assert log.count == 1  # served from the cache: the key itself was not looked up

            with app.state.write_sessions.begin() as session:
                prefix = key[:9]
                assert revoke_keys(session=session, prefix=prefix, now=datetime.now(timezone.utc)) == 1

            for client, method in ((http2, "post"), (http, "get"), (http2, "get"), (http, "post")):
                answer = (client.post(f"/v1/cases/{case}/events", json=_urgency(), headers=_bearer(key))
                          if method == "post" else client.get(f"/v1/cases/{case}", headers=_bearer(key)))
                assert answer.status_code == 401, (method, answer.text)
                assert answer.headers["content-type"].startswith(PROBLEM)
                assert answer.headers["WWW-Authenticate"].startswith("Bearer")
            # Nothing was stored by the refused posts: the case still has its two events.
            with app.state.sessions() as session:
                assert session.get(Case, uuid.UUID(case)).last_seq == 2
            # Another client's key, cached under the old epoch, is confirmed again and still works.
            answer, log = _counted(other, lambda: http2.get(f"/v1/cases/{mine}", headers=_bearer(bystander)))
            assert answer.status_code == 200
            answer, log = _counted(other, lambda: http2.get(f"/v1/cases/{mine}", headers=_bearer(bystander)))
            assert (answer.status_code, log.count) == (200, 1)
    finally:
        other.state.engine.dispose()


def test_a_rotation_keeps_the_old_key_until_it_is_revoked_even_when_cached(app, http):
    with app.state.write_sessions.begin() as session:
        issued = create_client(session=session, name="rotating", now=datetime.now(timezone.utc))
    case = _open(http, issued.key)
    assert http.get(f"/v1/cases/{case}", headers=_bearer(issued.key)).status_code == 200
    with app.state.write_sessions.begin() as session:
        new = issue_key(session=session, client_id=issued.client_id, now=datetime.now(timezone.utc))
    assert http.get(f"/v1/cases/{case}", headers=_bearer(issued.key)).status_code == 200
    assert http.get(f"/v1/cases/{case}", headers=_bearer(new.key)).status_code == 200
    with app.state.write_sessions.begin() as session:
        revoke_keys(session=session, prefix=issued.prefix, now=datetime.now(timezone.utc))
    assert http.get(f"/v1/cases/{case}", headers=_bearer(issued.key)).status_code == 401
    assert http.post(f"/v1/cases/{case}/events", json=_urgency(),
                     headers=_bearer(issued.key)).status_code == 401
    assert http.get(f"/v1/cases/{case}", headers=_bearer(new.key)).status_code == 200


def _terminate_backends(url: str) -> int:
    """Drop every server connection of the app's database (as a restart or a failover would)."""
    admin = make_url(url).set(drivername="postgresql")
    database = admin.database
    with psycopg.connect(admin.set(database="postgres").render_as_string(hide_password=False),
                         autocommit=True) as conn:
        rows = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = %s AND pid <> pg_backend_pid()", (database,)).fetchall()
    return len(rows)


def test_connections_dropped_by_the_server_fail_cleanly_then_recover(pg_url):
    """No pre-ping: a dropped connection fails its request (503), and the pool is renewed."""
    app = create_app(Settings(database_url=pg_url, embedded_worker=False, secret_key=TEST_SECRET_KEY,
                              rate_limit_auth_failures="100000000/hour", db_pool_size=4))
    try:
        with TestClient(app) as client:
            key = new_api_key(app, "dropped")
            case = _open(client, key)
            for _ in range(3):  # pooled connections, and the key in the cache
                assert client.get(f"/v1/cases/{case}", headers=_bearer(key)).status_code == 200
                assert client.post(f"/v1/cases/{case}/events", json=_urgency(),
                                   headers=_bearer(key)).status_code == 201
            assert _terminate_backends(pg_url) >= 1
            answers = []
            for _ in range(4):
                answers.append(client.get(f"/v1/cases/{case}", headers=_bearer(key)))
                answers.append(client.post(f"/v1/cases/{case}/events", json=_urgency(), headers=_bearer(key)))
            for answer in answers:
                assert answer.status_code in (200, 201, 503), answer.text
                if answer.status_code == 503:
                    assert answer.headers["content-type"].startswith(PROBLEM)
                    assert "Retry-After" in answer.headers
            # The dropped connections fail at most once each (the first failure renews the pool).
            assert sum(a.status_code == 503 for a in answers) <= 2
            assert [a.status_code for a in answers[-4:]] == [200, 201, 200, 201]
            stored = client.get(f"/v1/cases/{case}", headers=_bearer(key)).json()["last_seq"]
            assert stored == 3 + sum(a.status_code == 201 for a in answers)
    finally:
        app.state.engine.dispose()
