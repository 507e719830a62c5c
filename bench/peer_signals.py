"""What peer signals cost an event post: signals on vs off, side by side in one run, on PostgreSQL.

Usage (from the project root; needs the local PostgreSQL):

    .venv/bin/python bench/peer_signals.py [--cases 40] [--rounds 12] [--per-round 40] [--md PATH]

One fresh database, three apps in this process on it: signals off, signals on (the default
10-second memory of each platform's counts) and signals on with that memory off
(STUCKFUNDS_PEER_CACHE_SECONDS=0: one counter SELECT on every post). Each opens the same number of cases from three client apps on a handful of platforms, so
the "on" app's counters hold real rows. Then rounds, interleaved (on, off, off, on, ...), each
posting `--per-round` events to the app's own cases, one at a time; per post it records the
wall time and the SQL statements sent. It prints the medians, the ratio on/off and the extra
statements per post, and writes a Markdown summary (bench/results/peers-<date>.md by default).
"""

import argparse
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from bench.harness import (
    BENCH_SECRET_KEY,
    create_pg_database,
    drop_pg_database,
    machine,
)

PLATFORMS = ["鑫盛理财", "安心保险App", "瑞丰财险", "华夏钱包", "聚财宝"]
TEXTS = ["客服说还在审核。", "又打了一次电话，没有进展。", "公告没有更新。"]


MODES = {"off": {"peer_signals": False}, "on": {"peer_signals": True},
         "on, no cache": {"peer_signals": True, "peer_cache_seconds": 0}}


def build(url: str, overrides: dict):
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from app.main import create_app
    from app.settings import Settings

    app = create_app(Settings(database_url=url, embedded_worker=False, secret_key=BENCH_SECRET_KEY,
                              rate_limit_api_key="100000000/hour", log_level="WARNING",
                              **overrides))
    counter = {"statements": 0}
    event.listen(app.state.engine, "before_cursor_execute",
                 lambda *args, **kw: counter.__setitem__("statements", counter["statements"] + 1))
    return app, TestClient(app), counter


def keys(app, n: int) -> list[str]:
    from app.auth.service import create_client

    out = []
    for i in range(n):
        with app.state.write_sessions.begin() as session:
            out.append(create_client(session=session, name=f"bench-{i}", now=datetime.now(UTC)).key)
    return out


def open_cases(http, api_keys: list[str], n: int) -> list[tuple[dict, str]]:
    cases = []
    requested = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    for i in range(n):
        headers = {"Authorization": f"Bearer {api_keys[i % len(api_keys)]}"}
        body = {"platform": {"name": PLATFORMS[i % len(PLATFORMS)], "kind": "lending",
                             "app_source": "official_store"},
                "amount": "8600.00", "withdrawal_requested_at": requested}
        r = http.post("/v1/cases", json=body, headers=headers)
        assert r.status_code == 201, r.text
        case_id = r.json()["id"]
        if i % 4 == 0:  # some cases demand fees, so signals are shown and the S9 rules run
            ev = {"type": "fee_demanded", "occurred_at": datetime.now(UTC).isoformat(),
                  "data": {"fee_kind": "unfreeze"}}
            assert http.post(f"/v1/cases/{case_id}/events", json=ev, headers=headers).status_code == 201
        cases.append((headers, case_id))
    return cases


def post_round(http, counter, cases, start: int, per_round: int) -> tuple[list[float], list[int]]:
    times, statements = [], []
    for i in range(per_round):
        headers, case_id = cases[(start + i) % len(cases)]
        ev = {"type": "note_added", "occurred_at": datetime.now(UTC).isoformat(),
              "data": {"text": TEXTS[i % len(TEXTS)]}}
        before = counter["statements"]
        started = time.perf_counter()
        r = http.post(f"/v1/cases/{case_id}/events", json=ev, headers=headers)
        times.append(time.perf_counter() - started)
        statements.append(counter["statements"] - before)
        assert r.status_code == 201, r.text
    return times, statements


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=40, help="cases per app")
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--per-round", type=int, default=40)
    parser.add_argument("--md", type=Path, default=None)
    args = parser.parse_args()

    url = create_pg_database("stuckfunds_bench_peers")
    if url is None:
        sys.exit("PostgreSQL is not reachable")
    from app.db.migrate import upgrade_to_head

    upgrade_to_head(url)
    apps = {}
    try:
        for mode, overrides in MODES.items():
            app, http, counter = build(url, overrides)
            http.__enter__()
            apps[mode] = (app, http, counter, open_cases(http, keys(app, 3), args.cases))
        # Warm both (the rules memo, connection pools) before measuring.
        for mode in MODES:
            _, http, counter, cases = apps[mode]
            post_round(http, counter, cases, 0, 10)
        results = {mode: ([], []) for mode in MODES}
        for r in range(args.rounds):
            order = list(MODES)[r % 3:] + list(MODES)[:r % 3]  # each mode first in turn
            for mode in order:
                _, http, counter, cases = apps[mode]
                times, statements = post_round(http, counter, cases, r * args.per_round, args.per_round)
                results[mode][0].extend(times)
                results[mode][1].extend(statements)
    finally:
        for app, http, _, _ in apps.values():
            http.__exit__(None, None, None)
            app.state.engine.dispose()
        drop_pg_database(url)

    med = {m: statistics.median(results[m][0]) * 1000 for m in results}
    mean = {m: statistics.fmean(results[m][0]) * 1000 for m in results}
    stmts = {m: statistics.fmean(results[m][1]) for m in results}
    ratio = med["on"] / med["off"]
    ratio_nocache = med["on, no cache"] / med["off"]
    posts = len(results["on"][0])
    lines = [
        f"# Peer signals: event post, signals on vs off ({date.today().isoformat()})",
        "",
        f"Command: `.venv/bin/python bench/peer_signals.py --cases {args.cases} --rounds {args.rounds} "
        f"--per-round {args.per_round}`",
        "",
        f"PostgreSQL, one database, three in-process apps (signals off / on / on without the "
        f"memory of counts), {args.rounds} interleaved rounds of "
        f"{args.per_round} `note_added` posts each ({posts} posts per mode), {args.cases} cases per app "
        f"on {len(PLATFORMS)} platforms from 3 clients, a quarter with fee demands.",
        "",
        "| mode | median ms/post | mean ms/post | SQL statements/post |",
        "|---|---|---|---|",
        *(f"| {m} | {med[m]:.2f} | {mean[m]:.2f} | {stmts[m]:.2f} |" for m in MODES),
        "",
        f"**Ratio on/off (median): {ratio:.3f}** ({(ratio - 1) * 100:+.1f} %); "
        f"extra statements per post: {stmts['on'] - stmts['off']:+.2f}.",
        f"Without the memory of counts: ratio {ratio_nocache:.3f} ({(ratio_nocache - 1) * 100:+.1f} %), "
        f"extra statements per post: {stmts['on, no cache'] - stmts['off']:+.2f}.",
        "",
        f"Machine: {machine()}",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    target = args.md or PROJECT_ROOT / "bench" / "results" / f"peers-{date.today().isoformat()}.md"
    target.write_text(text, encoding="utf-8")
    print(f"written to {target}")


if __name__ == "__main__":
    main()
