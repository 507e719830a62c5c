"""Cases, SQL: every query the case use cases need, and nothing else."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import Row, and_, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from app.auth.credential_cache import CredentialCheck
from app.auth.service import confirm, epoch_column
from app.db import held
from app.db.models import Case, CaseEvent
from app.errors import CaseNotFound


def get_case(session: Session, *, client_id: uuid.UUID, case_id: uuid.UUID,
             lock: bool = False, check: CredentialCheck | None = None) -> Case | None:
    """A client's case; `lock` takes the row lock that serializes appends (PostgreSQL).

    With `check` (a credential served from the cache), the same statement reads the credential
    epoch, and the credential is confirmed before the case is returned.
    """
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
_CASES, _EVENTS = Case.__table__, CaseEvent.__table__
_CASE_ROW = select(*_CASES.c, epoch_column()).where(_CASES.c.id == bindparam("case_id"),
                                                    _CASES.c.client_id == bindparam("client_id"))


def read_case(session: Session, target: "CaseToWrite") -> Row:
    """A case to show (not to change), as one row; CaseNotFound if the client has no such case."""
    # Core statements run on the session's connection: no ORM execution around a plain row.
    row = session.connection().execute(_CASE_ROW, {"case_id": target.id, "client_id": target.client_id}).first()
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


_UNREAD = object()
# The documents an append reads only now and then (a resent event): not carried on every row of
# the log, read together on first use.
_DOCUMENTS = ("evaluation", "intake")
_STATE = tuple(c for c in _CASES.c if c.key not in _DOCUMENTS)
# What peer signals need of those documents, small enough to ride on every row: the platform's
# app id and domain (its keys), and what the stored evaluation said the case adds to its
# platform's signals (null when it was made with the signals off).
_PEER_BITS = (
    _CASES.c.intake["platform"]["app_id"].as_string().label("platform_app_id"),
    _CASES.c.intake["platform"]["domain"].as_string().label("platform_domain"),
    _CASES.c.evaluation["peer_contribution"].as_json().label("stored_peer_contribution"),
    _CASES.c.evaluation["peers"].as_json().label("stored_peers"),
)
_PEER_KEYS = tuple(c.name for c in _PEER_BITS)


class CaseState:
    """The case an append changes, as plain values with the model's attribute names (no ORM object).

    `evaluation` and `intake` are read on first use, both in one statement; `write_case` stores
    what the append changed.
    """

    __slots__ = (*(c.key for c in _STATE), *_PEER_KEYS, "_evaluation", "_intake", "_session")

    def __init__(self, session: Session, values, peer_bits) -> None:
        for column, value in zip(_STATE, values):
            setattr(self, column.key, value)
        for name, value in zip(_PEER_KEYS, peer_bits):
            setattr(self, name, value)
        self._evaluation = self._intake = _UNREAD
        self._session = session

    def _read_documents(self) -> None:
        evaluation, intake = self._session.connection().execute(_DOCUMENTS_OF, {"case_id": self.id}).one()
        if self._evaluation is _UNREAD:
            self._evaluation = evaluation
        if self._intake is _UNREAD:
            self._intake = intake

    @property
    def evaluation(self) -> dict:
        if self._evaluation is _UNREAD:
            self._read_documents()
        return self._evaluation

    @evaluation.setter
    def evaluation(self, value: dict) -> None:
        self._evaluation = value

    @property
    def intake(self) -> dict:
        if self._intake is _UNREAD:
            self._read_documents()
        return self._intake


_DOCUMENTS_OF = select(_CASES.c.evaluation, _CASES.c.intake).where(_CASES.c.id == bindparam("case_id"))
# The log's columns, in StoredEvent's order (raw is not read: it is kept for audits only).
_LOG = tuple(_EVENTS.c[name] for name in
             ("id", "case_id", "seq", "type", "occurred_at", "recorded_at", "data", "note", "event_id",
              "content_hash", "prev_hash"))
# Built once. The case and its log as plain rows (Core): no identity map, no ORM object per row.
_CASE_WITH_LOG = (
    select(*_STATE, epoch_column(), *_PEER_BITS, *_LOG).outerjoin(_EVENTS, _EVENTS.c.case_id == _CASES.c.id)
    .where(_CASES.c.id == bindparam("case_id"), _CASES.c.client_id == bindparam("client_id"))
    .order_by(_EVENTS.c.seq)
    .with_for_update(of=_CASES)
)
_INSERT_EVENT = insert(_EVENTS)
# What an append changes in the case row: its projection, its counters and its clocks.
_CHANGED = ("status", "risk_level", "track", "escalation_level", "ruleset_version", "evaluated_at",
            "next_transition_at", "next_wakeup_at", "notify_seq", "last_seq", "version", "updated_at")
_UPDATE_CASE = update(_CASES).where(_CASES.c.id == bindparam("case_id_"))


def load_case_with_log(session: Session, target: CaseToWrite) -> tuple[CaseState, list[StoredEvent]]:
    """The case under its row lock and its whole event log, in one statement.

    The stored evaluation and intake are not read (one copy would ride on every event's row);
    they are read on first use, which an append needs only to replay a resent event. What peer
    signals need of them comes with the row.
    """
    # What the session holds unsent goes first, as an ORM query's autoflush would send it (a
    # caller may have opened or changed the case in the same transaction).
    session.flush()
    rows = session.connection().execute(_CASE_WITH_LOG, {"case_id": target.id, "client_id": target.client_id}).all()
    if target.check is not None:
        confirm(session=session, check=target.check, epoch=rows[0][len(_STATE)] if rows else None,
                now=datetime.now(timezone.utc))
    if not rows:
        raise CaseNotFound()
    bits = len(_STATE) + 1
    first = bits + len(_PEER_BITS)
    log = [StoredEvent(*row[first:]) for row in rows if row[first] is not None]
    return CaseState(session, rows[0][:bits - 1], rows[0][bits:first]), log


def write_case(session: Session, case: CaseState) -> None:
    """Store what an append changed in the case row (one UPDATE; the row is locked)."""
    values = {name: getattr(case, name) for name in _CHANGED}
    values["evaluation"] = case.evaluation
    # On PostgreSQL the event and the audit entry held for this case go in the same statement.
    held.update(session, _UPDATE_CASE, {"case_id_": case.id, **values}, case_id=case.id)
    # A Case object of the same row in this session (its caller opened or read it) is now behind
    # the database: it reloads on its next use.
    loaded = session.identity_map.get(identity_key(Case, case.id))
    if loaded is not None:
        session.expire(loaded)


def insert_event(session: Session, event: StoredEvent) -> None:
    """Write one new event as it is (a Core INSERT; the case row is already locked).

    On PostgreSQL it is held, with the case's other inserts (its audit entry), until write_case
    sends them with the case's UPDATE in one statement (app.db.held); on SQLite it is sent at once.
    """
    held.hold_for(session, event.case_id)
    held.insert_row(session, _INSERT_EVENT, case_id=event.case_id, params={
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
