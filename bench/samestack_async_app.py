"""Benchmark baseline, async twin of samestack_app.py: FastAPI, async SQLAlchemy Core, psycopg.

bench/driver_choice.py serves it in turn with bench/samestack_app.py on one seeded PostgreSQL
database, to measure what the async driver would cost against the sync one (issue 14):

    SAMESTACK_DATABASE_URL=postgresql+psycopg://... uvicorn bench.samestack_async_app:app

The same routes, the same SQL and the same answers as samestack_app.py; only the way to the
database differs: `create_async_engine` (psycopg's AsyncConnection under SQLAlchemy's async
pool), `async def` path operations on the event loop and `AsyncConnection`, so no request ever
goes to the thread pool.
"""

import os
import uuid
from datetime import datetime, timezone
from typing import Any

from fastapi import Body, FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import create_async_engine

from bench.baseline_app import _row
from bench.samestack_app import _bump, _case, _insert, _last_20

DATABASE_URL = os.environ.get("SAMESTACK_DATABASE_URL", "")
POOL_SIZE = int(os.environ.get("SAMESTACK_POOL_SIZE", "10"))

engine = (create_async_engine(DATABASE_URL, pool_size=POOL_SIZE, max_overflow=0)
          if DATABASE_URL else None)

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.post("/cases/{case_id}/events", status_code=201)
async def post_event(case_id: uuid.UUID, event: dict[str, Any] = Body()) -> Any:  # noqa: B008
    now = datetime.now(timezone.utc)
    body = JSONResponse(event).body  # the bytes as a client sent them, near enough
    async with engine.begin() as conn:
        seq = (await conn.execute(_bump, {"now": now, "id": case_id})).scalar()
        if seq is None:
            return JSONResponse({}, status_code=404)
        row = _row(case_id, seq, body, now)
        await conn.execute(_insert, {f"c{i}": value for i, value in enumerate(row)})
        recent = (await conn.execute(_last_20, {"id": case_id})).all()
    return {"seq": seq, "recent": len(recent)}


@app.get("/cases/{case_id}")
async def get_case(case_id: uuid.UUID) -> Any:
    async with engine.begin() as conn:
        case = (await conn.execute(_case, {"id": case_id})).first()
        if case is None:
            return JSONResponse({}, status_code=404)
        recent = (await conn.execute(_last_20, {"id": case_id})).all()
    return {"status": case.status, "version": case.version, "recent": len(recent)}


@app.get("/readyz")
async def ready() -> dict:
    return {"status": "ready"}
