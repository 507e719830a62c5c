"""Audit trail: one row per change to a case, in the transaction that made it.

Below every feature that changes a case (cases, evidence, access); the access routes list it.
"""

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, insert, or_, select
from sqlalchemy.orm import Session

from app.auth.actor import Actor
from app.db import held
from app.db.models import AuditEntry

_INSERT = insert(AuditEntry.__table__)


def record(session: Session, *, actor: Actor, case_id: uuid.UUID | None, action: str,
           now: datetime, **detail: Any) -> None:
    # One request's entries share its clock reading; a microsecond each keeps them in order.
    order = session.info["audit_entries"] = session.info.get("audit_entries", -1) + 1
    # A Core INSERT: no ORM object for a row nothing reads back in the request. Sent at once, or
    # on PostgreSQL with the UPDATE of an append's case (app.db.held). Every caller records after
    # the case it names is written (or flushed).
    held.insert_row(session, _INSERT, case_id=case_id, params={
        "id": uuid.uuid4(), "client_id": actor.client_id, "case_id": case_id, "actor_kind": actor.kind,
        "actor": actor.prefix, "action": action, "request_id": actor.request_id, "detail": detail,
        "created_at": now + timedelta(microseconds=order)})


def list_for_case(session: Session, *, case_id: uuid.UUID, limit: int,
                  after: tuple[datetime, uuid.UUID] | None = None) -> list[AuditEntry]:
    """Oldest first, keyset-paginated on (created_at, id)."""
    query = select(AuditEntry).where(AuditEntry.case_id == case_id)
    if after:
        created_at, entry_id = after
        query = query.where(or_(AuditEntry.created_at > created_at,
                                and_(AuditEntry.created_at == created_at, AuditEntry.id > entry_id)))
    return list(session.scalars(query.order_by(AuditEntry.created_at, AuditEntry.id).limit(limit)))
