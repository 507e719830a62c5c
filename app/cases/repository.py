"""Cases, SQL: every query the case use cases need, and nothing else."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import Row, and_, bindparam, insert, or_, select
from sqlalchemy.orm import Session, defer

from app.auth.credential_cache import CredentialCheck
from app.auth.service import confirm, epoch_column
from app.db.models import Case, CaseEvent
from app.errors import CaseNotFound


_CASE_WITH_EPOCH = select(Case, epoch_column()).where(Case.id == bindparam("case_id"),
                                                      Case.client_id == bindparam("client_id"))


def get_case(session: Session, *, client_id: uuid.UUID, case_id: uuid.UUID,
             lock: bool = False, check: CredentialCheck | None = None) -> Case | None:
    """A client's case; `lock` takes the row lock that serializes appends (PostgreSQL).

    With `check` (a credential served from the cache), the same statement reads the credential
    epoch, and the credential is confirmed before the case is returned.
    """
    if check is not None and not lock:
        row = session.execute(_CASE_WITH_EPOCH, {"case_id": case_id, "client_id": client_id}).first()
    else:
        query = select(Case).where(Case.id == case_id, Case.client_id == client_id)
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        if check is None:
            return session.scalars(query).first()
        row = session.execute(query.add_columns(epoch_column())).first()
    confirm(session=session, check=check, epoch=row[1] if row else None, now=datetime.now(timezone.utc))
    return row[0] if row else None


# A case read: the row as plain values (no ORM object, no identity map), with the epoch that
# confirms a cached credential. The row's attributes are the model's (case.id, case.evaluation...).
_CASE_ROW = select(*Case.__table__.c, epoch_column()).where(Case.id == bindparam("case_id"),
                                                            Case.client_id == bindparam("client_id"))


def read_case(session: Session, target: "CaseToWrite") -> Row:
    """A case to show (not to change), as one row; CaseNotFound if the client has no such case."""
    row = session.execute(_CASE_ROW, {"case_id": target.id, "client_id": target.client_id}).first()
    if target.check is not None:
        confirm(session=session, check=target.check, epoch=row[-1] if row else None,
                now=datetime.now(timezone.utc))
    if row is None:
        raise CaseNotFound()
    return row


@dataclass(frozen=True)
class CaseToWrite:
    """A case the caller may write (cases.dependencies checked); load_case loads it for the write."""

    client_id: uuid.UUID
    id: uuid.UUID
    check: CredentialCheck | None = field(default=None, repr=False, compare=False)


def load_case(session: Session, target: CaseToWrite, *, lock: bool = True) -> Case:
    """The case to write, under its row lock; CaseNotFound if the client has no such case."""
    case = get_case(session, client_id=target.client_id, case_id=target.id, lock=lock,
                    check=target.check)
    if case is None:
        raise CaseNotFound()
    return case


@dataclass(slots=True)
class StoredEvent:
    """One event of a case's log as plain values (no ORM object): what an append reads and writes.

    It has every attribute the chain (app.cases.chain) and EventRead read, like a CaseEvent row.
    """

    id: uuid.UUID
    case_id: uuid.UUID
    seq: int
    type: str
    occurred_at: datetime
    recorded_at: datetime
    data: dict
    note: str | None
    event_id: uuid.UUID | None
    content_hash: str | None
    prev_hash: str | None
    raw: dict | None = None  # written with a new event; a loaded log leaves it unread


# The log's columns, in StoredEvent's order (raw is not read: it is kept for audits only).
_LOG = tuple(getattr(CaseEvent, name) for name in
             ("id", "case_id", "seq", "type", "occurred_at", "recorded_at", "data", "note", "event_id",
              "content_hash", "prev_hash"))
# Built once: the options and the join cost more to build than to run. The case comes as the one
# ORM object of the write (its projection is flushed); the log as plain rows, without an
# identity map entry per event.
_CASE_WITH_LOG = (
    select(Case, epoch_column(), *_LOG).outerjoin(CaseEvent, CaseEvent.case_id == Case.id)
    .options(defer(Case.evaluation), defer(Case.intake))
    .where(Case.id == bindparam("case_id"), Case.client_id == bindparam("client_id"))
    .order_by(CaseEvent.seq)
    .with_for_update(of=Case).execution_options(populate_existing=True)
)
_INSERT_EVENT = insert(CaseEvent.__table__)


def load_case_with_log(session: Session, target: CaseToWrite) -> tuple[Case, list[StoredEvent]]:
    """The case under its row lock and its whole event log, in one statement.

    The stored evaluation and intake are not read (one copy would ride on every event's row);
    they load on first use, which an append needs only to replay a resent event.
    """
    rows = session.execute(_CASE_WITH_LOG, {"case_id": target.id, "client_id": target.client_id}).all()
    if target.check is not None:
        confirm(session=session, check=target.check, epoch=rows[0][1] if rows else None,
                now=datetime.now(timezone.utc))
    if not rows:
        raise CaseNotFound()
    log = [StoredEvent(*row[2:]) for row in rows if row[2] is not None]
    return rows[0][0], log


def insert_event(session: Session, event: StoredEvent) -> None:
    """Write one new event as it is (a Core INSERT, sent at once; the case row is already locked)."""
    session.execute(_INSERT_EVENT, {
        "id": event.id, "case_id": event.case_id, "seq": event.seq, "type": event.type,
        "occurred_at": event.occurred_at, "recorded_at": event.recorded_at, "data": event.data,
        "note": event.note, "raw": event.raw, "event_id": event.event_id,
        "content_hash": event.content_hash, "prev_hash": event.prev_hash})


def list_events(session: Session, *, case_id: uuid.UUID) -> Sequence[CaseEvent]:
    return session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)
                           .order_by(CaseEvent.seq)).all()


def page_events(session: Session, *, case_id: uuid.UUID, after_seq: int, limit: int) -> Sequence[CaseEvent]:
    return session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.seq > after_seq)
                           .order_by(CaseEvent.seq).limit(limit)).all()


def list_cases(session: Session, *, client_id: uuid.UUID, limit: int,
               after: tuple[datetime, uuid.UUID] | None, status: str | None,
               risk_level: str | None) -> Sequence[Case]:
    """Newest first, keyset-paginated on (created_at, id) so pages stay stable under inserts."""
    query = select(Case).where(Case.client_id == client_id)
    if status:
        query = query.where(Case.status == status)
    if risk_level:
        query = query.where(Case.risk_level == risk_level)
    if after:
        created_at, case_id = after
        query = query.where(or_(Case.created_at < created_at,
                                and_(Case.created_at == created_at, Case.id < case_id)))
    return session.scalars(query.order_by(Case.created_at.desc(), Case.id.desc()).limit(limit)).all()


def get_event(session: Session, *, case_id: uuid.UUID, seq: int) -> CaseEvent | None:
    return session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id,
                                                   CaseEvent.seq == seq)).first()


def get_event_by_client_id(session: Session, *, case_id: uuid.UUID, event_id: uuid.UUID) -> CaseEvent | None:
    return session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id,
                                                   CaseEvent.event_id == event_id)).first()
