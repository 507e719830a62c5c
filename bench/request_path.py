"""How much one request passes through: app modules run, transactions begun, SQL statements sent.

    .venv/bin/python bench/request_path.py                     # SQLite (a temporary file)
    .venv/bin/python bench/request_path.py --database-url postgresql+psycopg://root@127.0.0.1/test

One POST /v1/cases/{id}/events on a case opened just before (no worker), traced with
sys.settrace / threading.settrace in every thread that serves it. A module counts when any of
its functions runs during that request (importing it does not count: everything is imported
before). Issue 13 quotes the figure before and after its restructuring.

Then the SQL statements and thread-pool trips (anyio.to_thread.run_sync) of three requests, counted by app.db.statements (BEGIN and COMMIT
included): an event post, an event post with `event_id`, and a case read (each after one
warm-up request of the same kind, so the credential is as a running server holds it).
"""

import argparse
import sys
import tempfile
import threading
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import anyio.to_thread  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import event  # noqa: E402

from app.auth.service import create_client  # noqa: E402
from app.db.statements import counting  # noqa: E402
from app.main import create_app  # noqa: E402
from app.settings import Settings  # noqa: E402

APP = str(ROOT / "app") + "/"
seen: Counter = Counter()
tracing = threading.Event()


def _trace(frame, what, arg):
    if tracing.is_set() and frame.f_code.co_filename.startswith(APP):
        seen[frame.f_code.co_filename[len(str(ROOT)) + 1:]] += 1
    return None  # calls only, no line events


hops = Counter()
_run_sync = anyio.to_thread.run_sync


async def _counted_run_sync(func, *args, **kwargs):
    hops["hop"] += 1
    return await _run_sync(func, *args, **kwargs)


def _event(now: datetime, **extra) -> dict:
    return {"type": "urgency_stated", "occurred_at": (now - timedelta(hours=1)).isoformat(),
            "data": {"reason": "debt"}, **extra}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", help="a migrated database (default: a temporary SQLite file)")
    args = parser.parse_args()
    now = datetime.now(timezone.utc)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/path.db"
        if args.database_url is None:
            from app.db.migrate import upgrade_to_head
            upgrade_to_head(url)
        app = create_app(Settings(database_url=url, embedded_worker=False,
                                  evidence_dir=Path(tmp) / "evidence",
                                  secret_key_file=Path(tmp) / "key"))
        begun = Counter()
        event.listen(app.state.engine, "begin", lambda conn: tracing.is_set() and begun.update(["begin"]))
        with app.state.write_sessions.begin() as session:
            key = create_client(session=session, name="path", now=now).key
        headers = {"Authorization": f"Bearer {key}"}
        intake = {"platform": {"name": "Example Insurance", "kind": "insurer"}, "amount": "5000.00",
                  "currency": "CNY", "withdrawal_requested_at": (now - timedelta(days=3)).isoformat()}
        with TestClient(app) as http:
            case = http.post("/v1/cases", json=intake, headers=headers).json()["id"]
            http.post(f"/v1/cases/{case}/events", json=_event(now), headers=headers)
        # A new client: its event loop and worker threads start after settrace, so they are traced.
        threading.settrace(_trace)
        sys.settrace(_trace)
        with TestClient(app) as http:
            tracing.set()
            response = http.post(f"/v1/cases/{case}/events", json=_event(now), headers=headers)
            tracing.clear()
        sys.settrace(None)
        threading.settrace(None)
        assert response.status_code == 201, response.text
        counts = {}
        with TestClient(app) as http:
            for name, send in (
                ("POST event", lambda: http.post(f"/v1/cases/{case}/events", json=_event(now), headers=headers)),
                ("POST event with event_id",
                 lambda: http.post(f"/v1/cases/{case}/events", json=_event(now, event_id=str(uuid.uuid4())),
                                   headers=headers)),
                ("GET case", lambda: http.get(f"/v1/cases/{case}", headers=headers)),
            ):
                send()  # warm-up
                hops.clear()
                anyio.to_thread.run_sync = _counted_run_sync
                with counting(app.state.engine) as log:
                    answer = send()
                anyio.to_thread.run_sync = _run_sync
                assert answer.status_code in (200, 201), answer.text
                counts[name] = (log, hops["hop"])
        app.state.engine.dispose()
    print(f"database: {app.state.engine.dialect.name}")
    print(f"modules: {len(seen)}")
    print(f"transactions: {begun['begin']}")
    for name, (log, hopped) in counts.items():
        print(f"{name}: {log.count} statements ({' '.join(log.kinds())}), {hopped} thread-pool trips")
    for name in sorted(seen):
        print(f"  {name}")


if __name__ == "__main__":
    main()
