"""Inserts held for a case's UPDATE: the same rows as statements sent one by one, never lost."""

import uuid
from datetime import datetime, timezone

from sqlalchemy import select

from app import audit
from app.auth.actor import Actor
from app.cases import repository
from app.db import held
from app.db.models import AuditEntry, Case, CaseEvent
from app.db.statements import counting
from tests.conftest import new_api_key
from tests.support.payloads import event, intake


def _open(http, key: str) -> uuid.UUID:
    headers = {"Authorization": f"Bearer {key}"}
    answer = http.post("/v1/cases", json=intake(), headers=headers)
    assert answer.status_code == 201, answer.text
    return uuid.UUID(answer.json()["id"])


def _event(case_id: uuid.UUID, seq: int) -> repository.StoredEvent:
    now = datetime.now(timezone.utc)
    return repository.StoredEvent(id=uuid.uuid4(), case_id=case_id, seq=seq, type="note_added",
                                  occurred_at=now, recorded_at=now, data={"text": "held"}, note=None,
                                  event_id=None, content_hash="0" * 64, prev_hash=None, raw={"held": True})


def test_a_post_writes_the_event_the_audit_entry_and_the_case_as_sent_one_by_one(app, http):
    key = new_api_key(app, "held-rows")
    case_id = _open(http, key)
    body = event("note_added", {"text": "together"}, note="one statement")
    answer = http.post(f"/v1/cases/{case_id}/events", json=body, headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 201, answer.text
    with app.state.sessions() as session:
        stored = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)).one()
        entries = session.scalars(select(AuditEntry).where(AuditEntry.case_id == case_id)
                                  .order_by(AuditEntry.created_at)).all()
        case = session.get(Case, case_id)
        assert (stored.seq, stored.type, stored.data, stored.note) == (1, "note_added", {"text": "together"},
                                                                         "one statement")
        assert stored.raw == body and stored.recorded_at.tzinfo is not None
        assert [(e.action, e.detail) for e in entries] == [
            ("case.opened", {}), ("event.appended", {"seq": 1, "type": "note_added"})]
        assert entries[1].created_at >= entries[0].created_at
        assert (case.last_seq, case.version) == (1, 2)
        assert case.updated_at == stored.recorded_at


def test_rows_held_without_their_update_are_sent_by_the_commit(app, http):
    case_id = _open(http, new_api_key(app, "held-commit"))
    with app.state.write_sessions() as session:
        with counting(app.state.engine) as log:
            repository.insert_event(session, _event(case_id, 1))
            session.commit()
        assert log.kinds() == ["BEGIN", "INSERT", "COMMIT"], log.statements
    with app.state.sessions() as session:
        assert session.scalars(select(CaseEvent.seq).where(CaseEvent.case_id == case_id)).all() == [1]


def test_rows_held_by_a_transaction_that_rolls_back_are_never_sent(app, http):
    case_id = _open(http, new_api_key(app, "held-rollback"))
    with app.state.sessions() as session:
        client_id = session.get(Case, case_id).client_id
    actor = Actor(client_id=client_id, kind="api_key", prefix="sf_test", request_id=None)
    with app.state.write_sessions() as session:
        repository.insert_event(session, _event(case_id, 1))
        session.rollback()
        assert held.HELD not in session.info
        with counting(app.state.engine) as log:
            session.commit()
        assert "INSERT" not in log.kinds(), log.statements
    with app.state.write_sessions() as session:
        # An entry for another case than the one held for is sent at once.
        repository.insert_event(session, _event(case_id, 1))
        with counting(app.state.engine) as log:
            audit.record(session, actor=actor, case_id=None, action="client.created",
                         now=datetime.now(timezone.utc))
        assert log.kinds() == ["INSERT"], log.statements
        session.rollback()
    with app.state.sessions() as session:
        assert session.scalars(select(CaseEvent.seq).where(CaseEvent.case_id == case_id)).all() == []
