"""How much one write request passes through: app modules run, and database transactions begun.

    .venv/bin/python bench/request_path.py          # prints the counts, then the modules

One POST /v1/cases/{id}/events on a case opened just before (temporary SQLite, no worker), traced
with sys.settrace / threading.settrace in every thread that serves it. A module counts when any of
its functions runs during that request (importing it does not count: everything is imported
before). Issue 13 quotes the figure before and after its restructuring.
"""

import sys
import tempfile
import threading
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import event  # noqa: E402

from app.auth.service import create_client  # noqa: E402
from app.main import create_app  # noqa: E402
from app.settings import Settings  # noqa: E402

APP = str(ROOT / "app") + "/"
seen: Counter = Counter()
tracing = threading.Event()


def _trace(frame, what, arg):
    if tracing.is_set() and frame.f_code.co_filename.startswith(APP):
        seen[frame.f_code.co_filename[len(str(ROOT)) + 1:]] += 1
    return None  # calls only, no line events


def main() -> None:
    now = datetime.now(timezone.utc)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(database_url=f"sqlite:///{tmp}/path.db", embedded_worker=False,
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
        # A new client: its event loop and worker threads start after settrace, so they are traced.
        threading.settrace(_trace)
        sys.settrace(_trace)
        with TestClient(app) as http:
            body = {"type": "urgency_stated", "occurred_at": (now - timedelta(hours=1)).isoformat(),
                    "data": {"reason": "debt"}}
            tracing.set()
            response = http.post(f"/v1/cases/{case}/events", json=body, headers=headers)
            tracing.clear()
        sys.settrace(None)
        threading.settrace(None)
        app.state.engine.dispose()
    assert response.status_code == 201, response.text
    print(f"modules: {len(seen)}")
    print(f"transactions: {begun['begin']}")
    for name in sorted(seen):
        print(f"  {name}")


if __name__ == "__main__":
    main()
