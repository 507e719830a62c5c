"""Crash safety: SIGKILL the server at random moments under load; nothing acknowledged is lost.

A short run of bench/crash.py (which says what it does and checks): 6 clients, two per case,
40 events each, with idempotency keys or client event ids, 3 kills of the whole 2-worker server
at seeded random moments, restarts, retries until acknowledged. It lasts a little over a minute,
because a request killed between its idempotency claim and its commit leaves a claim that
answers 409 until its 60 s lease runs out.
"""


import pytest

from bench.crash import run_crash
from tests.conftest import fresh_pg_database

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture
def crash_db(pg_url):
    with fresh_pg_database("stuckfunds_crash") as url:
        yield url


def test_acknowledged_events_survive_sigkills_exactly_once_with_contiguous_seq(crash_db, tmp_path):
    report = run_crash(database_url=crash_db, workdir=tmp_path, workers=2, clients=6,
                       events_per_client=40, kills=3, first_kill_s=0.5, kill_gap_s=(0.3, 1.5),
                       seed=20251125, deadline_s=150)
    print(report.summary())
    assert report.ok, report.summary()
    assert len(report.kills) == 3, "the clients finished before every kill happened"
    assert report.acknowledged_events == report.stored_events == 6 * 40
    assert report.cases == 3
    # The kills really hit traffic: clients saw the server go away, and came back.
    transport_errors = sum(v for k, v in report.outcomes.items() if not k.isdigit())
    assert transport_errors > 0, report.outcomes
