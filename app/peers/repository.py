"""Peer signals, SQL: read a window of counters, apply count changes by upsert, keep a case's mark."""

import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.db.models import PeerCount, PeerMark

# (platform key, day, signal, client) → change in cases
Deltas = dict[tuple[str, date, str, uuid.UUID], int]


def window_counts(session: Session, *, keys: list[str], since: date) -> list[tuple[str, str, uuid.UUID, int]]:
    """(key, signal, client, cases) summed over the days since `since`: at most window-days rows each."""
    rows = session.execute(
        select(PeerCount.platform_key, PeerCount.signal, PeerCount.client_id, func.sum(PeerCount.cases))
        .where(PeerCount.platform_key.in_(keys), PeerCount.day >= since)
        .group_by(PeerCount.platform_key, PeerCount.signal, PeerCount.client_id)
    )
    return [(key, signal, client, int(n)) for key, signal, client, n in rows if n > 0]


def get_mark(session: Session, case_id: uuid.UUID) -> PeerMark | None:
    return session.get(PeerMark, case_id)


def apply(session: Session, deltas: Deltas) -> None:
    """Add each change to its counter row in one upsert, rows in key order (one lock order for all)."""
    rows = [{"platform_key": key, "day": day, "signal": signal, "client_id": client, "cases": n}
            for (key, day, signal, client), n in sorted(deltas.items(), key=lambda item: (
                item[0][0], item[0][1], item[0][2], str(item[0][3]))) if n]
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(PeerCount).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=[PeerCount.platform_key, PeerCount.day, PeerCount.signal, PeerCount.client_id],
        set_={"cases": PeerCount.cases + statement.excluded.cases})
    session.execute(statement)


def clear(session: Session) -> None:
    """Every counter and mark (before a rebuild)."""
    session.execute(delete(PeerCount))
    session.execute(delete(PeerMark))


def all_counts(session: Session) -> Iterable[tuple[str, date, str, uuid.UUID, int]]:
    """Every non-zero counter row (to compare a rebuild with the live counters)."""
    return session.execute(
        select(PeerCount.platform_key, PeerCount.day, PeerCount.signal, PeerCount.client_id, PeerCount.cases)
        .where(PeerCount.cases != 0)
        .order_by(PeerCount.platform_key, PeerCount.day, PeerCount.signal, PeerCount.client_id)
    ).tuples()
