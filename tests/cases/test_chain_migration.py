"""Migration 0003: events stored before the chain existed are sealed in seq order, per case."""

import os
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import psycopg
import pytest
from alembic import command
import sqlalchemy as sa
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.cases import chain
from app.db.base import UTCDateTime
from app.db.migrate import alembic_config
from tests.conftest import _libpq, pg_admin_url


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_url(request, tmp_path) -> Iterator[str]:
    """An empty database of the given backend, dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'chain.db'}"
        return
    admin = make_url(pg_admin_url())
    try:
        conn = psycopg.connect(_libpq(admin), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable: {exc}")
        pytest.skip(f"PostgreSQL is not reachable: {exc}")
    name = f"stuckfunds_chain_{uuid.uuid4().hex[:12]}"
    with conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield admin.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(_libpq(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_existing_events_get_their_chain_in_seq_order(fresh_url):
    command.upgrade(alembic_config(fresh_url), "0002")
    engine = create_engine(fresh_url)
    sqlite = fresh_url.startswith("sqlite")
    key = (lambda u: u.hex) if sqlite else (lambda u: u)
    now = datetime(2026, 11, 1, tzinfo=timezone.utc)
    client, cases = uuid.uuid4(), [uuid.uuid4(), uuid.uuid4()]
    with engine.begin() as db:
        db.execute(text("INSERT INTO api_client (id, name, created_at) VALUES (:id, 'old', :now)"),
                   {"id": key(client), "now": now})
        for case in cases:
            db.execute(text(
                'INSERT INTO "case" (id, client_id, platform_name, platform_kind, amount, currency, '
                "withdrawal_requested_at, intake, created_at, updated_at, version, last_seq, status, "
                "risk_level, track, ruleset_version, evaluated_at, evaluation, notify_seq) VALUES "
                "(:id, :client, 'p', 'insurer', 100, 'CNY', :now, '{}', :now, :now, 1, 3, 'new', 'low', "
                "'dispute', 'v', :now, '{}', 0)"), {"id": key(case), "client": key(client), "now": now})
            # Inserted out of order: the migration must walk them by seq, not by insertion.
            for seq in (2, 1, 3):
                db.execute(text(
                    "INSERT INTO case_event (id, case_id, seq, type, occurred_at, recorded_at, data, note, raw) "
                    "VALUES (:id, :case, :seq, 'note_added', :at, :at, :data, :note, '{}')"),
                    {"id": key(uuid.uuid4()), "case": key(case), "seq": seq,
                     "at": now + timedelta(hours=seq), "data": f'{{"text": "第{seq}条"}}',
                     "note": None if seq == 2 else "备注"})
    command.upgrade(alembic_config(fresh_url), "0003")
    events = sa.table("case_event", sa.column("case_id", sa.Uuid()), sa.column("seq", sa.Integer()),
                      sa.column("type", sa.String()), sa.column("occurred_at", UTCDateTime()),
                      sa.column("data", sa.JSON()), sa.column("note", sa.Text()),
                      sa.column("content_hash", sa.String()), sa.column("prev_hash", sa.String()))
    with engine.connect() as db:
        for case in cases:
            rows = db.execute(sa.select(events).where(events.c.case_id == case)
                              .order_by(events.c.seq)).all()
            assert rows[0].prev_hash is None
            assert [r.prev_hash for r in rows[1:]] == [r.content_hash for r in rows[:-1]]
            assert chain.verify_chain(rows, last_seq=3)[0] == []
    engine.dispose()
