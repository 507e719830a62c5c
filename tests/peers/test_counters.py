"""Peer counters: a rebuild from the event logs equals the live counters; switched off, nothing is read or written.

Also what the evaluator promises: the snapshot an evaluation used is recorded on it, evaluating
again with it gives the same answer, and peer facts alone never raise a hard flag.
"""

from datetime import UTC, datetime
from decimal import Decimal

from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.db.models import PeerCount, PeerMark
from app.evaluation import CaseInput, evaluate, load_ruleset
from app.evaluation.durable_adapter import CompiledRuleset
from app.evaluation.model import PeerSnapshot
from app.evaluation.peers import PEER_FACTS
from app.main import create_app
from app.peers.rebuild import rebuild
from app.settings import Settings
from tests.conftest import Api, new_api_key
from tests.peers.conftest import peer_settings
from tests.peers.test_signals_http import open_case, post, signals
from tests.support.payloads import event

RULESET = CompiledRuleset(load_ruleset(Settings().rules_dir))


def _state(app, keys: set[str]) -> tuple[list, list]:
    with app.state.sessions() as session:
        counts = [tuple(row) for row in session.execute(
            select(PeerCount.platform_key, PeerCount.day, PeerCount.signal, PeerCount.client_id, PeerCount.cases)
            .where(PeerCount.platform_key.in_(keys), PeerCount.cases != 0)
            .order_by(PeerCount.platform_key, PeerCount.day, PeerCount.signal, PeerCount.client_id))]
        marks = sorted((str(m.case_id), tuple(m.keys), tuple(sorted(m.signals.items())))
                       for m in session.scalars(select(PeerMark)) if set(m.keys) & keys and m.signals)
    return counts, marks


def test_a_rebuild_from_the_event_logs_equals_the_live_counters(new_partner, platform, peer_app):
    a, b = new_partner(), new_partner()
    other = platform.replace("测试", "对照")
    notice = event("notice_posted", {"notice_kind": "risk_review", "scope": "all_users"})
    journey = []
    for api, name in ((a, platform), (a, platform), (b, platform), (b, other), (a, other)):
        journey.append((api, open_case(api, name, app_id="com.peer.rebuild")))
    post(a, journey[0][1], notice)
    post(a, journey[0][1], event("fee_demanded", {"fee_kind": "unfreeze"}))
    post(a, journey[1][1], event("funds_received", {"amount": "30000.00"}))      # resolved: paid out
    post(b, journey[2][1], notice)
    post(b, journey[2][1], event("case_closed", {"reason": "withdrawn"}))        # closed: no longer stuck
    post(b, journey[3][1], event("notice_posted", {"notice_kind": "channel_maintenance"}))
    post(b, journey[3][1], event("notice_posted", {"notice_kind": "system_upgrade"}))  # the excuse changes
    post(a, journey[4][1], event("note_added", {"text": "还在等"}))

    keys = {f"name:{platform}", f"name:{other}", "app:com.peer.rebuild"}
    live = _state(peer_app, keys)
    signals_seen = {row[2] for row in live[0]}
    assert {"stuck", "excuse:risk_review", "excuse:system_upgrade", "fee_demand", "hard_flag",
            "paid_out"} <= signals_seen
    assert "excuse:channel_maintenance" not in signals_seen  # taken back when the notice changed

    with peer_app.state.write_sessions.begin() as session:
        rebuild(session=session, ruleset=peer_app.state.ruleset)
    assert _state(peer_app, keys) == live


def test_switched_off_no_signal_is_read_shown_or_written(peer_db, platform):
    app = create_app(peer_settings(peer_db, peer_signals=False))
    try:
        with TestClient(app) as http:
            first, second = (Api(http, new_api_key(app, name)) for name in ("off-a", "off-b"))
            ids = [open_case(api, platform, fee=True) for api in (first, first, first, second, second, second)]
            seen = signals(second, name=platform)
            assert seen == {"enabled": False, "window_days": None, "shown": False, "cases_stuck": None,
                            "same_excuse": {}, "fee_demands": None, "hard_flags": None, "paid_out": None,
                            "clients": None}
            evaluation = post(first, ids[0], event("note_added", {"text": "还在等"}))
            assert evaluation["peers"] is None and "S9" not in evaluation["flags"]
        assert _state(app, {f"name:{platform}"}) == ([], [])
    finally:
        app.state.engine.dispose()


def test_thresholds_are_settings(peer_db, platform):
    app = create_app(peer_settings(peer_db, peer_min_cases=2, peer_min_clients=2))
    try:
        with TestClient(app) as http:
            first, second, third = (Api(http, new_api_key(app, n)) for n in ("k-a", "k-b", "k-c"))
            open_case(first, platform, fee=True)
            assert signals(third, name=platform)["shown"] is False
            open_case(second, platform, fee=True)
            assert signals(third, name=platform)["fee_demands"] == "2–9"
    finally:
        app.state.engine.dispose()


CASE = CaseInput(platform_name="鑫盛理财", platform_kind="lending", platform_licensed=True,
                 app_source="official_store", amount=Decimal(8600), currency="CNY",
                 withdrawal_requested_at=datetime(2026, 3, 2, 2, tzinfo=UTC))
AS_OF = datetime(2026, 3, 5, 2, tzinfo=UTC)
FLOORS = st.sampled_from([0, 2, 5, 10, 50])
SNAPSHOTS = st.builds(PeerSnapshot, cases_stuck=FLOORS, fee_demands=FLOORS, hard_flags=FLOORS,
                      paid_out=FLOORS, clients=FLOORS,
                      same_excuse=st.dictionaries(st.sampled_from(["channel_maintenance", "risk_review"]), FLOORS))


@settings(max_examples=60, deadline=None)
@given(SNAPSHOTS)
def test_peer_facts_alone_never_raise_a_hard_flag(snapshot):
    evaluation = evaluate(CASE, [], AS_OF, RULESET, peers=snapshot)
    assert evaluation.track == "dispute"
    assert not set(evaluation.flags) & set(RULESET.ruleset.hard_flags)
    assert evaluation.peers == snapshot


def test_no_rule_that_sets_a_hard_flag_or_the_fraud_track_reads_a_peer_fact():
    rs = RULESET.ruleset
    for rule in rs.rules:
        hard = rule.then.get("flag") in rs.hard_flags or rule.then.get("track") == "fraud"
        if hard:
            assert not set(rule.facts_used()) & set(PEER_FACTS), rule.id


def test_an_evaluation_records_its_snapshot_and_evaluating_with_it_again_gives_the_same():
    snapshot = PeerSnapshot(cases_stuck=10, fee_demands=5, clients=2)
    first = evaluate(CASE, [], AS_OF, RULESET, peers=snapshot)
    again = evaluate(CASE, [], AS_OF, RULESET, peers=PeerSnapshot.model_validate(
        first.model_dump(mode="json")["peers"]))
    assert again == first
    assert "S9" in first.flags
    assert "S9" not in evaluate(CASE, [], AS_OF, RULESET).flags
