"""Benchmark baseline on the product's own stack: FastAPI, sync SQLAlchemy Core, psycopg.

bench/load.py serves it beside the product and the leaner Starlette baseline (baseline_app.py),
on a copy of the same seeded PostgreSQL database, with the same number of uvicorn workers:

    SAMESTACK_DATABASE_URL=postgresql+psycopg://... uvicorn bench.samestack_app:app --workers N

It does the database work of an event post and nothing else, the way a plain FastAPI service
would: sync path operations (run in FastAPI's thread pool), a pooled SQLAlchemy engine, and
Core statements. `POST /cases/{id}/events`, in one transaction: bump the case row (the row lock
keeps seq contiguous), insert the event, read the case's last 20 events. `GET /cases/{id}`: the
case row and its last 20 events. No authentication, idempotency, hash chain, evaluation, audit
or outbox; the body is parsed as JSON by FastAPI and stored as sent.
"""

import os
import uuid
from datetime import datetime, timezone
from typing import Any

from fastapi import Body, FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import create_engine, text

from bench.baseline_app import BUMP, CASE, INSERT, LAST_20, _row

DATABASE_URL = os.environ.get("SAMESTACK_DATABASE_URL", "")
POOL_SIZE = int(os.environ.get("SAMESTACK_POOL_SIZE", "10"))

engine = create_engine(DATABASE_URL, pool_size=POOL_SIZE, max_overflow=0) if DATABASE_URL else None
_bump = text(BUMP.format(now=":now", p=":id"))
_pieces = INSERT.split("{p}")
_insert = text("".join(piece + (f":c{i}" if i < len(_pieces) - 1 else "")
                       for i, piece in enumerate(_pieces)))
_last_20 = text(LAST_20.format(p=":id"))
_case = text(CASE.format(p=":id"))

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.post("/cases/{case_id}/events", status_code=201)
def post_event(case_id: uuid.UUID, event: dict[str, Any] = Body()) -> Any:  # noqa: B008
    now = datetime.now(timezone.utc)
    body = JSONResponse(event).body  # the bytes as a client sent them, near enough
    with engine.begin() as conn:
        seq = conn.execute(_bump, {"now": now, "id": case_id}).scalar()
        if seq is None:
            return JSONResponse({}, status_code=404)
        row = _row(case_id, seq, body, now)
        conn.execute(_insert, {f"c{i}": value for i, value in enumerate(row)})
        recent = conn.execute(_last_20, {"id": case_id}).all()
    return {"seq": seq, "recent": len(recent)}


@app.get("/cases/{case_id}")
def get_case(case_id: uuid.UUID) -> Any:
    with engine.begin() as conn:
        case = conn.execute(_case, {"id": case_id}).first()
        if case is None:
            return JSONResponse({}, status_code=404)
        recent = conn.execute(_last_20, {"id": case_id}).all()
    return {"status": case.status, "version": case.version, "recent": len(recent)}


@app.get("/readyz")
def ready() -> dict:
    return {"status": "ready"}
