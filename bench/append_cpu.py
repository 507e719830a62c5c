"""Benchmark: the CPU of one event append at the service level, in one thread (no HTTP, no pool contention).

    .venv/bin/python bench/append_cpu.py postgresql+psycopg://root@127.0.0.1:5432/<a migrated database>

Opens 20 cases, appends 200 events as warm-up, then times 600 appends (time.process_time, each in
its own transaction: load under the lock, evaluate, project, audit, commit) and prints the median
and mean. A quick way to compare two versions of the append path on a noisy machine.
"""

import sys, time, logging, uuid, statistics
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
logging.disable(logging.CRITICAL)
from datetime import datetime, timedelta, timezone
import tempfile
from app.main import create_app
from app.settings import Settings
from app.auth.service import create_client
from app.auth.actor import Actor
from app.cases import service, repository
from app.cases.intake import CaseCreate
from app.cases.event_data import CaseEventCreate
from pydantic import TypeAdapter
url = sys.argv[1]
t = tempfile.mkdtemp()
app = create_app(Settings(database_url=url, embedded_worker=False, evidence_dir=Path(t)/"e", secret_key_file=Path(t)/"k"))
now = datetime.now(timezone.utc)
rs = app.state.ruleset
ws = app.state.write_sessions
with ws.begin() as s:
    client = create_client(session=s, name="svc", now=now).client_id
intake = CaseCreate.model_validate({"platform": {"name": "Example Insurance", "kind": "insurer"}, "amount": "5000.00", "currency": "CNY", "withdrawal_requested_at": (now - timedelta(days=3)).isoformat()})
ev = TypeAdapter(CaseEventCreate).validate_python({"type": "note_added", "occurred_at": (now - timedelta(hours=1)).isoformat(), "data": {"text": "still under review"}})
actor = Actor(client_id=client, kind="api_key", prefix="sf_x", request_id=None)
cases = []
for _ in range(20):
    with ws.begin() as s:
        cases.append(service.open_case(session=s, client_id=client, case_in=intake, ruleset=rs, now=now, actor=actor).id)
def post(i):
    with ws.begin() as s:
        target = repository.CaseToWrite(client, cases[i % 20])
        service.append_event(session=s, target=target, event_in=ev, raw={}, ruleset=rs, now=now, actor=actor)
for i in range(200): post(i)
times = []
for i in range(600):
    t0 = time.process_time(); post(i); times.append(time.process_time() - t0)
print(f"append_event in one transaction, CPU ms: median {statistics.median(times)*1000:.3f} mean {statistics.mean(times)*1000:.3f}")
