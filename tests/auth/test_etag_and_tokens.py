"""Several people on one case: ETag / If-Match; and end-user case tokens that reach one case only."""

import hashlib
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from app.db.models import CaseToken, IdempotencyRecord
from tests.auth.conftest import PROBLEM, Partner, bearer, note
from tests.support.payloads import intake


def test_case_reads_and_writes_carry_an_etag_that_moves_with_the_case(partner):
    created = partner.post("/v1/cases", json=intake())
    assert created.status_code == 201
    case_id, etag = created.json()["id"], created.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    read = partner.get(f"/v1/cases/{case_id}")
    assert read.headers["etag"] == etag
    appended = partner.post(f"/v1/cases/{case_id}/events", json=note())
    assert appended.status_code == 201
    assert appended.headers["etag"] != etag
    assert partner.get(f"/v1/cases/{case_id}").headers["etag"] == appended.headers["etag"]


def test_a_stale_if_match_on_an_event_is_a_412_naming_the_current_etag(partner):
    case_id = partner.open_case()["id"]
    seen = partner.get(f"/v1/cases/{case_id}").headers["etag"]
    # A colleague adds an event in between.
    assert partner.post(f"/v1/cases/{case_id}/events", json=note("同事先记的")).status_code == 201
    current = partner.get(f"/v1/cases/{case_id}").headers["etag"]

    stale = partner.post(f"/v1/cases/{case_id}/events", json=note("我记的"), headers={"If-Match": seen})
    assert stale.status_code == 412, stale.text
    assert stale.headers["content-type"].startswith(PROBLEM)
    assert stale.json()["etag"] == current
    assert len(partner.events(case_id)) == 1

    fresh = partner.post(f"/v1/cases/{case_id}/events", json=note("我记的"), headers={"If-Match": current})
    assert fresh.status_code == 201, fresh.text
    # If-Match stays optional on events.
    assert partner.post(f"/v1/cases/{case_id}/events", json=note()).status_code == 201
    assert [e["seq"] for e in partner.events(case_id)] == [1, 2, 3]


def test_patching_a_case_needs_if_match(partner):
    case_id = partner.open_case(province="浙江")["id"]
    url = f"/v1/cases/{case_id}"
    etag = partner.get(url).headers["etag"]

    missing = partner.request("PATCH", url, json={"province": "上海"})
    assert missing.status_code == 428, missing.text
    assert missing.headers["content-type"].startswith(PROBLEM)
    assert missing.json()["etag"] == etag

    assert partner.post(f"{url}/events", json=note()).status_code == 201
    current = partner.get(url).headers["etag"]
    stale = partner.request("PATCH", url, json={"province": "上海"}, headers={"If-Match": etag})
    assert stale.status_code == 412, stale.text
    assert stale.json()["etag"] == current
    assert partner.get(url).json()["province"] == "浙江"

    done = partner.request("PATCH", url, json={"province": "上海"}, headers={"If-Match": current})
    assert done.status_code == 200, done.text
    assert done.json()["province"] == "上海"
    assert done.headers["etag"] not in (etag, current)
    assert partner.get(url).headers["etag"] == done.headers["etag"]


def token_rows(app, case_id: str) -> list[dict]:
    with app.state.sessions() as session:
        return [dict(r) for r in session.execute(select(CaseToken.__table__).where(
            CaseToken.case_id == uuid.UUID(case_id))).mappings()]


def test_opening_a_case_can_issue_a_token_shown_once_and_stored_as_a_hash(app, partner):
    created = partner.post("/v1/cases", params={"issue_token": "true"}, json=intake())
    assert created.status_code == 201, created.text
    case_id, issued = created.json()["id"], created.json()["case_token"]
    token = issued["token"]
    assert token.startswith("sfct_") and token.startswith(issued["prefix"])
    assert len(token) > 40

    assert token not in partner.get(f"/v1/cases/{case_id}").text
    listed = partner.get(f"/v1/cases/{case_id}/tokens")
    assert listed.status_code == 200
    assert [t["prefix"] for t in listed.json()["items"]] == [issued["prefix"]]
    assert token not in listed.text and "token" not in listed.json()["items"][0]

    [row] = token_rows(app, case_id)
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    for column, value in row.items():
        assert token not in str(value), f"the token is stored in case_token.{column}"
    # Without issue_token no token is made.
    assert partner.post("/v1/cases", json=intake()).json().get("case_token") is None


def test_a_token_issued_under_an_idempotency_key_is_not_kept_in_clear(app, partner):
    """The replayable answer holds the token; it must not sit readable in the database."""
    headers, body = {"Idempotency-Key": str(uuid.uuid4())}, intake()
    created = partner.post("/v1/cases", params={"issue_token": "true"}, json=body, headers=headers)
    assert created.status_code == 201
    token = created.json()["case_token"]["token"]
    with app.state.sessions() as session:
        record = session.scalars(select(IdempotencyRecord).where(
            IdempotencyRecord.key == headers["Idempotency-Key"])).one()
    assert token.encode() not in (record.response_body or b"")
    retry = partner.post("/v1/cases", params={"issue_token": "true"}, json=body, headers=headers)
    assert retry.status_code == 201 and retry.content == created.content
    assert retry.headers["Idempotent-Replayed"] == "true"


def test_a_case_token_reads_its_case_and_posts_its_events_and_reaches_nothing_else(partner):
    mine = partner.post("/v1/cases", params={"issue_token": "true"}, json=intake()).json()
    other_case = partner.open_case()["id"]
    phone = Partner(partner.http, partner.client_id, mine["case_token"]["token"], "")
    case_id = mine["id"]

    assert phone.get(f"/v1/cases/{case_id}").status_code == 200
    posted = phone.post(f"/v1/cases/{case_id}/events", json=note("我自己记的"))
    assert posted.status_code == 201, posted.text
    assert phone.get(f"/v1/cases/{case_id}/events").status_code == 200
    assert phone.get(f"/v1/cases/{case_id}/events/1").status_code == 200

    for method, url in [("GET", f"/v1/cases/{other_case}"),
                        ("POST", f"/v1/cases/{other_case}/events"),
                        ("GET", f"/v1/cases/{other_case}/events")]:
        response = phone.request(method, url, json=note() if method == "POST" else None)
        assert response.status_code == 404, (method, url, response.text)

    for method, url in [("GET", "/v1/cases"), ("POST", "/v1/cases"), ("GET", "/v1/webhooks"),
                        ("POST", "/v1/webhooks"), ("GET", "/v1/rules"), ("GET", "/v1/actions"),
                        ("POST", "/v1/evaluate"), ("GET", f"/v1/cases/{case_id}/tokens"),
                        ("POST", f"/v1/cases/{case_id}/tokens"), ("GET", f"/v1/cases/{case_id}/audit")]:
        response = phone.request(method, url, json={} if method == "POST" else None)
        assert response.status_code == 403, (method, url, response.text)
        assert response.headers["content-type"].startswith(PROBLEM)
    assert len(partner.events(other_case)) == 0


def test_an_expired_case_token_is_401(app, partner):
    case_id = partner.open_case()["id"]
    issued = partner.issue_token(case_id, ttl_days=0.001)
    expires_at = datetime.fromisoformat(issued["expires_at"])
    assert timedelta(0) < expires_at - datetime.now(timezone.utc) <= timedelta(days=0.001)
    phone = bearer(issued["token"])
    assert partner.http.get(f"/v1/cases/{case_id}", headers=phone).status_code == 200

    with app.state.write_sessions.begin() as session:
        session.execute(update(CaseToken).where(CaseToken.id == uuid.UUID(issued["id"]))
                        .values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    expired = partner.http.get(f"/v1/cases/{case_id}", headers=phone)
    assert expired.status_code == 401, expired.text
    assert expired.headers["content-type"].startswith(PROBLEM)


def test_token_lifetimes_are_bounded(partner):
    case_id = partner.open_case()["id"]
    for ttl in (0, -1, 367):
        response = partner.post(f"/v1/cases/{case_id}/tokens", json={"ttl_days": ttl})
        assert response.status_code == 422, (ttl, response.text)
    default = partner.issue_token(case_id)
    lifetime = datetime.fromisoformat(default["expires_at"]) - datetime.fromisoformat(default["created_at"])
    assert lifetime == timedelta(days=90)


def test_a_token_lifetime_is_a_json_number_not_true_or_a_numeric_string(partner):
    # `true` was read as 1 day and "30" as 30 (schemathesis ST201): the contract says a number.
    case_id = partner.open_case()["id"]
    for ttl in (True, "30"):
        response = partner.post(f"/v1/cases/{case_id}/tokens", json={"ttl_days": ttl})
        assert response.status_code == 422 and response.headers["content-type"] == PROBLEM, response.text
        assert response.json()["errors"][0]["field"] == "ttl_days"
    for ttl, days in ((30, 30), (1.5, 1.5)):
        issued = partner.post(f"/v1/cases/{case_id}/tokens", json={"ttl_days": ttl})
        assert issued.status_code == 201, issued.text
        body = issued.json()
        lifetime = datetime.fromisoformat(body["expires_at"]) - datetime.fromisoformat(body["created_at"])
        assert lifetime == timedelta(days=days)


def test_a_revoked_case_token_is_401_at_once(partner, other_partner):
    case_id = partner.open_case()["id"]
    issued = partner.issue_token(case_id)
    kept = partner.issue_token(case_id)
    url = f"/v1/cases/{case_id}/tokens/{issued['id']}"
    assert partner.http.get(f"/v1/cases/{case_id}", headers=bearer(issued["token"])).status_code == 200

    # Only the case's own client can revoke it; a token cannot revoke itself or its siblings.
    assert other_partner.request("DELETE", url).status_code == 404
    assert partner.http.delete(url, headers=bearer(kept["token"])).status_code == 403
    assert partner.request("DELETE", f"/v1/cases/{case_id}/tokens/{uuid.uuid4()}").status_code == 404

    assert partner.request("DELETE", url).status_code == 204
    assert partner.http.get(f"/v1/cases/{case_id}", headers=bearer(issued["token"])).status_code == 401
    assert partner.http.get(f"/v1/cases/{case_id}", headers=bearer(kept["token"])).status_code == 200
    listed = {t["id"]: t for t in partner.get(f"/v1/cases/{case_id}/tokens").json()["items"]}
    assert listed[issued["id"]]["revoked_at"] is not None and listed[kept["id"]]["revoked_at"] is None
    assert partner.request("DELETE", url).status_code == 204  # revoking twice changes nothing


def test_a_token_cannot_be_issued_for_another_clients_case(partner, other_partner):
    case_id = partner.open_case()["id"]
    assert other_partner.post(f"/v1/cases/{case_id}/tokens", json={}).status_code == 404
    assert other_partner.get(f"/v1/cases/{case_id}/tokens").status_code == 404
