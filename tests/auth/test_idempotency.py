"""Retries from flaky mobile networks: Idempotency-Key replays, event_id de-duplicates.

A retry with the same key and body gets the first answer again, byte for byte, and creates
nothing; another body is a 422; a retry while the first is still running is a 409. The stored
answer is written in the request's own transaction, so a request that fails leaves no trace.
"""

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError
from sqlalchemy import event as sa_event
from sqlalchemy import select, update

from app.db.models import IdempotencyRecord
from app.edge.idempotency import REPLAYED, _claim, request_fingerprint
from app.settings import Settings
from tests.auth.conftest import PROBLEM, Partner, note, raw
from tests.support.payloads import ago, intake


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def records(app, scope: str, idem_key: str) -> list[IdempotencyRecord]:
    with app.state.sessions() as session:
        return list(session.scalars(select(IdempotencyRecord).where(
            IdempotencyRecord.scope == scope, IdempotencyRecord.key == idem_key)))


def assert_replay_of(first, retry) -> None:
    assert retry.status_code == first.status_code
    assert retry.content == first.content, "the replay must be the first answer, byte for byte"
    assert retry.headers[REPLAYED] == "true"
    assert REPLAYED not in first.headers
    for header in ("location", "etag", "content-type"):
        assert retry.headers.get(header) == first.headers.get(header), header


def test_a_retried_case_creation_replays_the_first_answer_and_creates_nothing(partner):
    body, headers = raw(intake(external_ref="retry-1")), key()
    first = partner.post_raw("/v1/cases", body, headers)
    assert first.status_code == 201, first.text
    retry = partner.post_raw("/v1/cases", body, headers)
    assert_replay_of(first, retry)
    assert partner.case_ids() == [first.json()["id"]]


def test_a_retried_event_replays_the_first_answer_and_adds_no_seq(partner):
    case_id = partner.open_case()["id"]
    body, headers = raw(note("客服：明天到账。")), key()
    first = partner.post_raw(f"/v1/cases/{case_id}/events", body, headers)
    assert first.status_code == 201, first.text
    for _ in range(2):
        assert_replay_of(first, partner.post_raw(f"/v1/cases/{case_id}/events", body, headers))
    assert [e["seq"] for e in partner.events(case_id)] == [1]
    assert partner.get(f"/v1/cases/{case_id}").json()["last_seq"] == 1


def test_the_same_key_with_another_body_is_a_422_naming_the_header(partner):
    headers = key()
    assert partner.post_raw("/v1/cases", raw(intake(amount="100")), headers).status_code == 201
    response = partner.post_raw("/v1/cases", raw(intake(amount="200")), headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["field"] == "header.Idempotency-Key"
    assert "Idempotency-Key" in problem["detail"]
    assert len(partner.case_ids()) == 1


def test_the_same_key_on_another_path_is_another_request(partner):
    one, two = partner.open_case()["id"], partner.open_case()["id"]
    body, headers = raw(note()), key()
    assert partner.post_raw(f"/v1/cases/{one}/events", body, headers).status_code == 201
    response = partner.post_raw(f"/v1/cases/{two}/events", body, headers)
    assert response.status_code == 422, response.text
    assert partner.events(two) == []


def test_the_query_string_is_part_of_the_request(partner):
    # Without it, `?issue_token=true` replayed a first answer that carried no case token.
    body, headers = raw(intake(external_ref="query-1")), key()
    plain = partner.post_raw("/v1/cases", body, headers)
    assert plain.status_code == 201 and plain.json().get("case_token") is None
    with_token = partner.post_raw("/v1/cases?issue_token=true", body, headers)
    assert with_token.status_code == 422, with_token.text
    assert with_token.json()["field"] == "header.Idempotency-Key"
    assert partner.case_ids() == [plain.json()["id"]]

    body, headers = raw(intake(external_ref="query-2")), key()
    first = partner.post_raw("/v1/cases?issue_token=true", body, headers)
    assert first.json()["case_token"]["token"]
    assert_replay_of(first, partner.post_raw("/v1/cases?issue_token=true", body, headers))


def test_keys_are_scoped_per_client(app, partner, other_partner):
    body, headers = raw(intake()), key()
    mine = partner.post_raw("/v1/cases", body, headers)
    theirs = other_partner.post_raw("/v1/cases", body, headers)
    assert mine.status_code == theirs.status_code == 201
    assert REPLAYED not in theirs.headers
    assert mine.json()["id"] != theirs.json()["id"]
    assert partner.case_ids() == [mine.json()["id"]]
    assert other_partner.case_ids() == [theirs.json()["id"]]
    assert len(records(app, partner.scope, headers["Idempotency-Key"])) == 1
    assert len(records(app, other_partner.scope, headers["Idempotency-Key"])) == 1


def test_a_retry_while_the_first_is_still_running_is_a_409_with_retry_after(app, partner):
    """The first request is held deterministically: the test claims its key as it would."""
    case_id = partner.open_case()["id"]
    path, body, headers = f"/v1/cases/{case_id}/events", raw(note()), key()
    now = datetime.now(timezone.utc)
    held = _claim(app.state.write_sessions, partner.scope, headers["Idempotency-Key"],
                  request_fingerprint("POST", path, body), now, timedelta(hours=48))
    assert held.record_id is not None

    busy = partner.post_raw(path, body, headers)
    assert busy.status_code == 409, busy.text
    assert busy.headers["content-type"].startswith(PROBLEM)
    assert int(busy.headers["retry-after"]) >= 1
    # Even while it runs, another body under the same key is refused as such.
    assert partner.post_raw(path, raw(note("别的内容")), headers).status_code == 422
    assert partner.events(case_id) == []

    # The holder died (its lease ran out): a retry takes the key over and does the work once.
    with app.state.write_sessions.begin() as session:
        session.execute(update(IdempotencyRecord).where(IdempotencyRecord.id == held.record_id)
                        .values(locked_until=now - timedelta(seconds=1)))
    taken = partner.post_raw(path, body, headers)
    assert taken.status_code == 201, taken.text
    assert_replay_of(taken, partner.post_raw(path, body, headers))
    assert [e["seq"] for e in partner.events(case_id)] == [1]


def test_a_request_that_fails_after_claiming_its_key_leaves_no_record(app, partner):
    headers = key()
    missing = partner.post_raw(f"/v1/cases/{uuid.uuid4()}/events", raw(note()), headers)
    assert missing.status_code == 404, missing.text
    assert records(app, partner.scope, headers["Idempotency-Key"]) == []
    # So the key is free: used again for another request it is not "reused with another body".
    case_id = partner.open_case()["id"]
    response = partner.post_raw(f"/v1/cases/{case_id}/events", raw(note()), headers)
    assert response.status_code == 201, response.text

    conflict_headers = key()
    partner.open_case(external_ref="dup-ref")
    duplicate = partner.post_raw("/v1/cases", raw(intake(external_ref="dup-ref")), conflict_headers)
    assert duplicate.status_code == 409, duplicate.text
    assert records(app, partner.scope, conflict_headers["Idempotency-Key"]) == []


def test_the_stored_answer_commits_with_the_case_or_not_at_all(app, partner):
    """A commit that fails after the answer was stored takes the answer down with the case."""
    headers = key()
    failing = {"armed": True}

    def fail_once(session):
        completed = [o for o in session.dirty if isinstance(o, IdempotencyRecord)
                     and o.key == headers["Idempotency-Key"] and o.state == "completed"]
        if completed and failing.pop("armed", False):
            raise RuntimeError("the database went away at commit")

    sa_event.listen(app.state.write_sessions, "before_commit", fail_once)
    try:
        body = raw(intake(external_ref="commit-fails"))
        crashed = partner.post_raw("/v1/cases", body, headers)
    finally:
        sa_event.remove(app.state.write_sessions, "before_commit", fail_once)
    assert crashed.status_code == 500, crashed.text
    assert not failing, "the commit hook did not run"
    assert partner.case_ids() == []
    assert records(app, partner.scope, headers["Idempotency-Key"]) == []

    retry = partner.post_raw("/v1/cases", body, headers)
    assert retry.status_code == 201 and REPLAYED not in retry.headers
    assert partner.case_ids() == [retry.json()["id"]]
    [record] = records(app, partner.scope, headers["Idempotency-Key"])
    assert record.state == "completed" and record.response_status == 201


def test_a_resent_event_id_answers_200_with_the_stored_event(partner):
    case_id = partner.open_case()["id"]
    event = note("离线时记下的", event_id=str(uuid.uuid4()), occurred_at=ago(hours=3))
    first = partner.post(f"/v1/cases/{case_id}/events", json=event)
    assert first.status_code == 201, first.text
    again = partner.post(f"/v1/cases/{case_id}/events", json=event)
    assert again.status_code == 200, again.text
    assert again.headers[REPLAYED] == "true"
    assert again.json()["event"] == first.json()["event"]
    assert [e["seq"] for e in partner.events(case_id)] == [1]
    assert partner.get(f"/v1/cases/{case_id}").json()["last_seq"] == 1


def test_an_event_id_with_other_content_is_a_409(partner):
    case_id = partner.open_case()["id"]
    event_id = str(uuid.uuid4())
    assert partner.post(f"/v1/cases/{case_id}/events",
                        json=note("第一次", event_id=event_id)).status_code == 201
    clash = partner.post(f"/v1/cases/{case_id}/events", json=note("不一样", event_id=event_id))
    assert clash.status_code == 409, clash.text
    assert clash.headers["content-type"].startswith(PROBLEM)
    assert clash.json()["field"] == "event_id" and clash.json()["seq"] == 1
    assert len(partner.events(case_id)) == 1


def test_an_event_id_is_unique_per_case_not_globally(partner):
    one, two = partner.open_case()["id"], partner.open_case()["id"]
    event = note(event_id=str(uuid.uuid4()))
    assert partner.post(f"/v1/cases/{one}/events", json=event).status_code == 201
    assert partner.post(f"/v1/cases/{two}/events", json=event).status_code == 201


def test_an_event_id_and_an_idempotency_key_together_store_one_event(partner):
    case_id = partner.open_case()["id"]
    event = note(event_id=str(uuid.uuid4()))
    first = partner.post(f"/v1/cases/{case_id}/events", json=event, headers=key())
    # The offline queue lost the key but kept the event_id: still one event.
    second = partner.post(f"/v1/cases/{case_id}/events", json=event, headers=key())
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["event"]["id"] == first.json()["event"]["id"]
    assert len(partner.events(case_id)) == 1


def test_keys_are_kept_48_hours_by_default_and_never_less_than_24(app, partner, monkeypatch):
    headers = key()
    assert partner.post("/v1/cases", json=intake(), headers=headers).status_code == 201
    [record] = records(app, partner.scope, headers["Idempotency-Key"])
    kept = record.expires_at - record.created_at
    assert kept >= timedelta(hours=24)
    assert kept == timedelta(hours=Settings().idempotency_ttl_hours) == timedelta(hours=48)

    with pytest.raises(ValidationError, match="idempotency_ttl_hours"):
        Settings(idempotency_ttl_hours=23.9)
    monkeypatch.setenv("STUCKFUNDS_IDEMPOTENCY_TTL_HOURS", "12")
    with pytest.raises(ValidationError, match="idempotency_ttl_hours"):
        Settings()
    monkeypatch.setenv("STUCKFUNDS_IDEMPOTENCY_TTL_HOURS", "24")
    assert Settings().idempotency_ttl_hours == 24


def test_a_case_token_has_its_own_key_space(app, partner: Partner):
    case_id = partner.open_case()["id"]
    token = partner.issue_token(case_id)
    body, headers = raw(note("用户自己手机上记的")), key()
    phone = {"Authorization": f"Bearer {token['token']}", **headers}
    first = partner.http.post(f"/v1/cases/{case_id}/events", content=body,
                              headers={"Content-Type": "application/json", **phone})
    assert first.status_code == 201, first.text
    retry = partner.http.post(f"/v1/cases/{case_id}/events", content=body,
                              headers={"Content-Type": "application/json", **phone})
    assert_replay_of(first, retry)
    assert len(records(app, f"case_token:{token['id']}", headers["Idempotency-Key"])) == 1
    assert len(partner.events(case_id)) == 1


def test_stored_answers_are_not_readable_in_the_database(app, partner):
    """Some answers carry a secret shown once (here a webhook signing secret): stored encrypted."""
    body, headers = raw({"url": "http://127.0.0.1:9/hooks"}), key()
    first = partner.post_raw("/v1/webhooks", body, headers)
    assert first.status_code == 201, first.text
    secret = first.json()["secret"]
    [record] = records(app, partner.scope, headers["Idempotency-Key"])
    assert secret.encode() not in record.response_body
    assert first.content not in record.response_body
    assert_replay_of(first, partner.post_raw("/v1/webhooks", body, headers))


def test_the_claim_lease_is_a_setting_of_60_seconds_by_default(app, partner):
    """The lease a claim holds while its request runs is read from the settings, not hard-coded."""
    assert Settings().idempotency_claim_lease_seconds == 60
    with pytest.raises(ValidationError, match="idempotency_claim_lease_seconds"):
        Settings(idempotency_claim_lease_seconds=0)
    # Set and put back by hand: Starlette's State keeps attributes in a dict of its own, which
    # monkeypatch's undo does not restore (the shared app lost its settings for later tests).
    shared_settings = app.state.settings
    app.state.settings = shared_settings.model_copy(update={"idempotency_claim_lease_seconds": 7})
    headers, seen = key(), []

    def claim_as_committed(session):
        # The work is about to commit: the claim was committed before it, by its own transaction.
        if any(isinstance(o, IdempotencyRecord) and o.key == headers["Idempotency-Key"]
               for o in session.dirty):
            seen.extend(records(app, partner.scope, headers["Idempotency-Key"]))

    sa_event.listen(app.state.write_sessions, "before_commit", claim_as_committed)
    try:
        created = partner.post_raw("/v1/cases", raw(intake(external_ref="lease-7")), headers)
    finally:
        sa_event.remove(app.state.write_sessions, "before_commit", claim_as_committed)
        app.state.settings = shared_settings
    assert created.status_code == 201, created.text
    [claim] = seen
    assert claim.state == "in_progress"
    assert claim.locked_until - claim.created_at == timedelta(seconds=7)
    [record] = records(app, partner.scope, headers["Idempotency-Key"])
    assert record.state == "completed" and record.locked_until is None
