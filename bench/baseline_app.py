"""Benchmark baseline: only the raw database work of an event post, nothing else.

bench/load.py serves it with uvicorn beside the product, on a database built by the same
migrations and seeded the same way, with the same number of workers:

    BASELINE_DATABASE_URL=postgresql://... uvicorn bench.baseline_app:app --workers N

`POST /cases/{id}/events` does what an append must do in the database and nothing more: in one
transaction, bump the case row (which also locks it, so seq stays contiguous under concurrency),
insert the event row with that seq, and read the case's last 20 events; it answers with the new
event's seq. No authentication, no validation beyond JSON parsing, no hash chain, no rules,
no evaluation, no idempotency, no logging. `GET /cases/{id}` is the same idea for a read: the
case row and its last 20 events.

PostgreSQL is reached with psycopg's async driver through a small pool (as many connections as
the product's pool); SQLite with the standard sqlite3 module, one connection per thread, with the
product's own pragmas and `BEGIN IMMEDIATE`.
"""

import asyncio
import hashlib
import json
import os
import sqlite3
import threading
import uuid
from datetime import datetime, timezone

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

DATABASE_URL = os.environ.get("BASELINE_DATABASE_URL", "")
POOL_SIZE = int(os.environ.get("BASELINE_POOL_SIZE", "10"))

BUMP = ('UPDATE "case" SET last_seq = last_seq + 1, version = version + 1, updated_at = {now} '
        'WHERE id = {p} RETURNING last_seq')
INSERT = ("INSERT INTO case_event (id, case_id, seq, type, occurred_at, recorded_at, data, note, raw, "
          "content_hash, prev_hash, event_id) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, "
          "NULL, NULL)")
LAST_20 = "SELECT seq, type, occurred_at, data FROM case_event WHERE case_id = {p} ORDER BY seq DESC LIMIT 20"
CASE = 'SELECT id, status, risk_level, version, last_seq, evaluation FROM "case" WHERE id = {p}'


def _row(case_id, seq: int, body: bytes, now: datetime):
    event = json.loads(body)
    data = json.dumps(event.get("data", {}))
    return (uuid.uuid4(), case_id, seq, event.get("type", "note_added"), event.get("occurred_at", now),
            now, data, event.get("note"), body.decode(), hashlib.sha256(body).hexdigest())


# --- PostgreSQL ----------------------------------------------------------------------------------


class AsyncPool:
    """A fixed set of connections handed out through a queue (psycopg_pool is not a dependency)."""

    def __init__(self, url: str, size: int) -> None:
        self.url, self.size = url, size
        self.free: asyncio.Queue | None = None

    async def open(self) -> None:
        import psycopg

        self.free = asyncio.Queue()
        for _ in range(self.size):
            self.free.put_nowait(await psycopg.AsyncConnection.connect(self.url))

    async def close(self) -> None:
        while self.free and not self.free.empty():
            await self.free.get_nowait().close()


PG = {"pool": None}


async def pg_post(case_id: uuid.UUID, body: bytes) -> dict:
    now = datetime.now(timezone.utc)
    conn = await PG["pool"].free.get()
    try:
        async with conn.transaction():
            cur = await conn.execute(BUMP.format(now="%s", p="%s"), (now, case_id))
            found = await cur.fetchone()
            if found is None:
                return {}
            seq = found[0]
            await conn.execute(INSERT.format(p="%s"), _row(case_id, seq, body, now))
            cur = await conn.execute(LAST_20.format(p="%s"), (case_id,))
            recent = await cur.fetchall()
        return {"seq": seq, "recent": len(recent)}
    finally:
        PG["pool"].free.put_nowait(conn)


async def pg_get(case_id: uuid.UUID) -> dict:
    conn = await PG["pool"].free.get()
    try:
        async with conn.transaction():
            cur = await conn.execute(CASE.format(p="%s"), (case_id,))
            case = await cur.fetchone()
            if case is None:
                return {}
            cur = await conn.execute(LAST_20.format(p="%s"), (case_id,))
            recent = await cur.fetchall()
        return {"status": case[1], "version": case[3], "recent": len(recent)}
    finally:
        PG["pool"].free.put_nowait(conn)


# --- SQLite --------------------------------------------------------------------------------------

_local = threading.local()


def _sqlite() -> sqlite3.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None:
        path = DATABASE_URL.split("///", 1)[1]
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=30000", "synchronous=NORMAL"):
            conn.execute(f"PRAGMA {pragma}")
        _local.conn = conn
    return conn


def sqlite_post(case_id: uuid.UUID, body: bytes) -> dict:
    # SQLAlchemy stores UUIDs on SQLite as 32 hex characters, and datetimes as ISO text.
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    key = case_id.hex
    conn = _sqlite()
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = conn.execute(BUMP.format(now="?", p="?"), (now.isoformat(" "), key)).fetchone()
        if found is None:
            conn.execute("ROLLBACK")
            return {}
        seq = found[0]
        row = list(_row(key, seq, body, now))
        row[0] = row[0].hex
        row[4] = str(row[4])
        row[5] = now.isoformat(" ")
        conn.execute(INSERT.format(p="?"), row)
        recent = conn.execute(LAST_20.format(p="?"), (key,)).fetchall()
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return {"seq": seq, "recent": len(recent)}


def sqlite_get(case_id: uuid.UUID) -> dict:
    key = case_id.hex
    conn = _sqlite()
    conn.execute("BEGIN")
    try:
        case = conn.execute(CASE.format(p="?"), (key,)).fetchone()
        recent = conn.execute(LAST_20.format(p="?"), (key,)).fetchall() if case else []
    finally:
        conn.execute("COMMIT")
    return {"status": case[1], "version": case[3], "recent": len(recent)} if case else {}


# --- HTTP ----------------------------------------------------------------------------------------


IS_SQLITE = DATABASE_URL.startswith("sqlite")


async def post_event(request: Request) -> Response:
    case_id = uuid.UUID(request.path_params["case_id"])
    body = await request.body()
    result = (await run_in_threadpool(sqlite_post, case_id, body) if IS_SQLITE
              else await pg_post(case_id, body))
    return JSONResponse(result, status_code=201 if result else 404)


async def get_case(request: Request) -> Response:
    case_id = uuid.UUID(request.path_params["case_id"])
    result = await run_in_threadpool(sqlite_get, case_id) if IS_SQLITE else await pg_get(case_id)
    return JSONResponse(result, status_code=200 if result else 404)


async def ready(request: Request) -> Response:
    return JSONResponse({"status": "ready"})


async def lifespan(app):
    if not IS_SQLITE:
        PG["pool"] = AsyncPool(DATABASE_URL.replace("postgresql+psycopg://", "postgresql://"), POOL_SIZE)
        await PG["pool"].open()
    yield
    if PG["pool"]:
        await PG["pool"].close()


app = Starlette(routes=[
    Route("/cases/{case_id}/events", post_event, methods=["POST"]),
    Route("/cases/{case_id}", get_case, methods=["GET"]),
    Route("/readyz", ready, methods=["GET"]),
], lifespan=lifespan)
