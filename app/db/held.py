"""Persistence: inserts held back to ride with their case's UPDATE, one statement on PostgreSQL.

An append writes its event, its audit entry and the case's projection. On PostgreSQL the two
INSERTs travel with the UPDATE as data-modifying CTEs: one round trip instead of three, the same
rows written (every column is given, so no default is left to fill). SQLite has no INSERT inside
a WITH clause, so there each statement is sent at once.

A batch is opened for one case (`hold_for`, app.cases.repository.insert_event); inserts for that
case are then held until its UPDATE (`update`, write_case). Nothing between reads the held rows
back. Rows still held at commit are sent then, one by one, and a rollback drops them
(make_sessionmaker registers both).
"""

import uuid
from typing import Any

from sqlalchemy import Insert, Update, bindparam, insert
from sqlalchemy.orm import Session

HELD = "held_inserts"
_COMBINED: dict[tuple, Update] = {}


class _Batch:
    __slots__ = ("case_id", "rows")

    def __init__(self, case_id: uuid.UUID) -> None:
        self.case_id = case_id
        self.rows: list[tuple[Insert, dict[str, Any]]] = []


def hold_for(session: Session, case_id: uuid.UUID) -> None:
    """Hold this case's next inserts until its UPDATE (PostgreSQL; on SQLite, nothing is held)."""
    send_held(session)
    if session.connection().dialect.name == "postgresql":
        session.info[HELD] = _Batch(case_id)


def insert_row(session: Session, statement: Insert, params: dict[str, Any], *, case_id: uuid.UUID | None) -> None:
    """Insert one row: held if a batch is open for its case, else sent at once."""
    batch = session.info.get(HELD)
    if batch is not None and batch.case_id == case_id:
        batch.rows.append((statement, params))
    else:
        session.connection().execute(statement, params)


def update(session: Session, statement: Update, params: dict[str, Any], *, case_id: uuid.UUID) -> None:
    """Send the case's UPDATE, with the rows held for it as CTEs of the same statement."""
    batch = session.info.get(HELD)
    if batch is None or batch.case_id != case_id or not batch.rows:
        session.connection().execute(statement, params)
        return
    del session.info[HELD]
    key = (statement, tuple(params), *((row, tuple(values)) for row, values in batch.rows))
    combined = _COMBINED.get(key)
    if combined is None:
        combined = _COMBINED[key] = _combine(statement, params, batch.rows)
    merged = dict(params)
    for n, (_, values) in enumerate(batch.rows):
        merged.update({f"held{n}_{name}": value for name, value in values.items()})
    session.connection().execute(combined, merged)


def _combine(statement: Update, params: dict[str, Any], rows: list[tuple[Insert, dict[str, Any]]]) -> Update:
    table = statement.table
    ctes = []
    for n, (row, values) in enumerate(rows):
        columns = row.table.c
        ctes.append(insert(row.table).values({name: bindparam(f"held{n}_{name}", type_=columns[name].type)
                                              for name in values}).cte(f"held{n}"))
    # The SET clause named by the same keys the plain UPDATE is executed with.
    sets = {name: bindparam(name, type_=table.c[name].type) for name in params if name in table.c}
    return statement.values(sets).add_cte(*ctes)


def send_held(session: Session) -> None:
    """Send what is still held, one statement each (a commit, or a new batch, comes first)."""
    batch = session.info.pop(HELD, None)
    if batch is not None:
        for statement, params in batch.rows:
            session.connection().execute(statement, params)


def drop_held(session: Session, *_) -> None:
    """The transaction rolled back: what it held is never sent."""
    session.info.pop(HELD, None)
