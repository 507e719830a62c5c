"""Tamper evidence: the verify report is clean for an untouched case and names what was changed."""

import os
import uuid

from sqlalchemy import text

from tests.support.evidence import CHAT_LOG, open_case, png_bytes, post_event, upload


def _case_with_history(api) -> tuple[str, dict]:
    case_id = open_case(api)
    post_event(api, case_id, "notice_posted", {"notice_kind": "channel_maintenance", "scope": "all_users"})
    evidence = upload(api, case_id, png_bytes(text="notice"), description="公告截图").json()
    post_event(api, case_id, "support_contacted", {"channel": "phone", "agent_id": "KF-0831"},
               note="客服说三天内到账")
    upload(api, case_id, CHAT_LOG, name="chat.txt", kind="chat_log")
    return case_id, evidence


def _sql(app, statement: str, *, case_id: str, **params) -> None:
    """Run SQL behind the service's back, the way someone with database access would."""
    # SQLAlchemy's Uuid is CHAR(32) hex on SQLite and a native uuid on PostgreSQL.
    key = uuid.UUID(case_id).hex if app.state.settings.is_sqlite else case_id
    with app.state.write_sessions.begin() as session:
        session.execute(text(statement), {"case": key, **params})


def test_an_untouched_case_verifies(api):
    case_id, _ = _case_with_history(api)
    report = api.get(f"/v1/cases/{case_id}/verify")
    assert report.status_code == 200
    body = report.json()
    assert body["ok"] is True and body["issues"] == []
    assert body["events_checked"] == 4 and body["evidence_checked"] == 2
    assert len(body["head_hash"]) == 64


def test_an_edited_event_row_and_an_edited_file_are_both_named(api, app, evidence_dir):
    case_id, evidence = _case_with_history(api)
    before = api.get(f"/v1/cases/{case_id}/verify").json()["head_hash"]
    _sql(app, "UPDATE case_event SET note = :note WHERE case_id = :case AND seq = 3",
         case_id=case_id, note="客服说当天到账")
    digest = evidence["sha256"]
    stored = evidence_dir / "sha256" / digest[:2] / digest[2:4] / digest
    os.chmod(stored, 0o644)
    stored.write_bytes(stored.read_bytes() + b"edited")

    body = api.get(f"/v1/cases/{case_id}/verify").json()
    assert body["ok"] is False
    problems = {(i["subject"], i["problem"], i["seq"], i["sha256"]) for i in body["issues"]}
    assert problems == {("event", "content_changed", 3, None), ("evidence", "file_changed", 2, digest)}
    changed_file = next(i for i in body["issues"] if i["subject"] == "evidence")
    assert changed_file["expected"] == digest and changed_file["actual"] != digest
    assert changed_file["evidence_id"] == evidence["id"]
    # The stored head is unchanged: only recomputation shows the edit.
    assert body["head_hash"] == before
    # Altered bytes are never served under the recorded hash.
    download = api.get(evidence["content_url"])
    assert download.status_code == 500 and download.json()["code"] == "evidence-damaged"


def test_a_deleted_event_and_a_missing_file_are_named(api, app, evidence_dir):
    case_id, evidence = _case_with_history(api)
    _sql(app, "DELETE FROM case_event WHERE case_id = :case AND seq = 1", case_id=case_id)
    digest = evidence["sha256"]
    (evidence_dir / "sha256" / digest[:2] / digest[2:4] / digest).unlink()
    body = api.get(f"/v1/cases/{case_id}/verify").json()
    problems = {(i["subject"], i["problem"], i["seq"]) for i in body["issues"]}
    assert ("event", "missing", 1) in problems
    assert ("event", "link_broken", 2) in problems  # seq 2 still points at the deleted event
    assert ("evidence", "file_missing", 2) in problems
