"""The case lifecycle as a state machine: random sequences of HTTP calls keep the invariants.

Hypothesis opens cases, posts random valid events of every type (built by bench/evaluation.py's
generator, which fills each event model's fields), resends some of them, pays cases out in full
and closes them, on SQLite and PostgreSQL. After every step, for the case it touched:

- the status is exactly one rung of the ladder, with the ladder's escalation level, and the
  fraud statuses are on the fraud track;
- `seq` is contiguous 1..n in the timeline, `last_seq` is n, and `version` went up by exactly one
  per stored event (a resent event stores nothing and changes nothing);
- the stored projection (GET) says what the append answered;
- once `case_closed` is stored the case stays `closed`, whatever comes after; once paid in full
  (`resolved`) it stays resolved until it is closed — except that a hard red flag occurring after
  the ending reopens the case on the fraud track (rules 0.3.0: second-wave scams), so an ended
  case may also read `fraud_suspected` or `reported_to_police`, never a dispute status.
"""

import random
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule

from app.cases.event_data import EVENT_TYPES
from app.evaluation.model import RISK_LEVELS, STATUSES
from bench.evaluation import event_payload
from tests.conftest import Api, new_api_key

# DESIGN.md §2: the escalation level of each non-terminal status.
LEVEL = {"new": 0, "verifying": 1, "negotiating": 2, "awaiting_platform": 2, "overdue": 3,
         "escalated_regulator": 4, "mediation": 4, "escalated_legal": 5, "fraud_suspected": 5,
         "reported_to_police": 5}
FRAUD_STATUSES = {"fraud_suspected", "reported_to_police"}
# Closing and paying out have rules of their own, so the terminal states are reached on purpose.
ORDINARY_TYPES = sorted(set(EVENT_TYPES) - {"case_closed"})
PLATFORM_KINDS = ["insurer", "bank", "insurance_intermediary", "consumer_finance", "broker",
                  "payment", "investment", "lending", "gaming", "other", "unknown"]
# Where an ended case may stand: ended, or reopened by a later red flag on the fraud track.
CLOSED_OR_REOPENED = {"closed"} | FRAUD_STATUSES
RESOLVED_OR_REOPENED = {"resolved"} | FRAUD_STATUSES


class CaseLifecycle(RuleBasedStateMachine):
    """One API client and its cases; `model` is what the client knows about each case."""

    app = http = None  # set by the test, per backend
    cases = Bundle("cases")

    def __init__(self) -> None:
        super().__init__()
        # A client of its own per run: fresh cases, and a rate limit (600/minute) never reached.
        self.api = Api(self.http, new_api_key(self.app, "state-machine"))
        self.model: dict[str, dict] = {}
        self.now = datetime.now(timezone.utc)

    @rule(target=cases, kind=st.sampled_from(PLATFORM_KINDS),
          licensed=st.sampled_from([True, False, None]),
          days_ago=st.integers(min_value=1, max_value=400),
          amount=st.integers(min_value=100, max_value=500_000))
    def open_case(self, kind, licensed, days_ago, amount):
        response = self.api.post("/v1/cases", json={
            "platform": {"name": "状态机平台", "kind": kind, "licensed": licensed},
            "amount": f"{amount}.00",
            "withdrawal_requested_at": (self.now - timedelta(days=days_ago)).isoformat()})
        assert response.status_code == 201, response.text
        case = response.json()
        assert (case["version"], case["last_seq"]) == (1, 0)
        self._check_status(case["status"], case["escalation_level"], case["track"], case["risk_level"])
        self.model[case["id"]] = {"n": 0, "version": 1, "status": case["status"], "amount": amount,
                                  "terminal": None, "sent": {}}
        return case["id"]

    # Several at a time, so that ordinary events outnumber the closing ones.
    @rule(case_id=cases, events=st.lists(st.tuples(
        st.sampled_from(ORDINARY_TYPES), st.integers(0, 2**32), st.integers(0, 24 * 30)),
        min_size=1, max_size=5))
    def post_events(self, case_id, events):
        for event_type, seed, hours_ago in events:
            rng = random.Random(seed)
            body = event_payload(rng, event_type, self.now - timedelta(hours=hours_ago, minutes=1),
                                 fraud=rng.random() < 0.5, amount=self.model[case_id]["amount"])
            self._append(case_id, body)

    @rule(case_id=cases, hours_ago=st.integers(min_value=0, max_value=48))
    def pay_out_in_full(self, case_id, hours_ago):
        amount = self.model[case_id]["amount"]
        self._append(case_id, {"type": "funds_received",
                               "occurred_at": (self.now - timedelta(hours=hours_ago, minutes=1)).isoformat(),
                               "data": {"amount": f"{amount}.00", "full": True}})

    @rule(case_id=cases, reason=st.sampled_from(["withdrawn", "abandoned", "duplicate", "other"]),
          hours_ago=st.integers(min_value=0, max_value=24 * 30))
    def close(self, case_id, reason, hours_ago):
        self._append(case_id, {"type": "case_closed",
                               "occurred_at": (self.now - timedelta(hours=hours_ago, minutes=1)).isoformat(),
                               "data": {"reason": reason}})

    @rule(case_id=cases, pick=st.integers(min_value=0))
    def resend_an_event(self, case_id, pick):
        """An offline queue sends an event again: the stored one answers, nothing changes."""
        sent = self.model[case_id]["sent"]
        if not sent:
            return
        event_id = sorted(sent)[pick % len(sent)]
        body, seq = sent[event_id]
        response = self.api.post(f"/v1/cases/{case_id}/events", json=body)
        assert response.status_code == 200, response.text
        assert response.json()["event"]["seq"] == seq
        assert response.headers["idempotent-replayed"] == "true"
        self._check_stored(case_id)

    @rule(case_id=consumes(cases))
    def forget(self, case_id):
        """Stop touching a case (keeps the bundle small); its stored state must still hold."""
        self._check_stored(case_id)

    @invariant()
    def terminal_states_are_absorbing(self):
        for state in self.model.values():
            if state["terminal"] == "closed":
                assert state["status"] in CLOSED_OR_REOPENED
            elif state["terminal"] == "resolved":
                assert state["status"] in RESOLVED_OR_REOPENED

    # --- helpers --------------------------------------------------------------------------------

    def _append(self, case_id: str, body: dict) -> None:
        state = self.model[case_id]
        body = {**body, "event_id": str(uuid.uuid4())}
        response = self.api.post(f"/v1/cases/{case_id}/events", json=body)
        assert response.status_code == 201, response.text
        answer = response.json()
        event, evaluation = answer["event"], answer["evaluation"]
        assert event["seq"] == state["n"] + 1, (event["seq"], state["n"])
        state["n"] += 1
        state["version"] += 1
        state["sent"][body["event_id"]] = (body, event["seq"])
        assert response.headers["etag"] == f'"{uuid.UUID(case_id).hex}.{state["version"]}"'
        self._check_status(evaluation["status"], evaluation["escalation_level"], evaluation["track"],
                           evaluation["risk_level"])
        if state["terminal"] == "closed" or body["type"] == "case_closed":
            assert evaluation["status"] in CLOSED_OR_REOPENED, (body["type"], evaluation["status"])
            state["terminal"] = "closed"
        elif state["terminal"] == "resolved" or evaluation["status"] == "resolved":
            assert evaluation["status"] in RESOLVED_OR_REOPENED, (body["type"], evaluation["status"])
            state["terminal"] = "resolved"
        if body["type"] == "funds_received" and body["data"].get("full"):
            assert evaluation["status"] in {"resolved", "closed"} | FRAUD_STATUSES, evaluation["status"]
        state["status"] = evaluation["status"]
        self._check_stored(case_id)

    def _check_status(self, status, level, track, risk):
        assert status in STATUSES and risk in RISK_LEVELS and track in ("dispute", "fraud")
        if status in LEVEL:
            assert level == LEVEL[status], (status, level)
        if status in FRAUD_STATUSES:
            assert track == "fraud", (status, track)

    def _check_stored(self, case_id: str) -> None:
        state = self.model[case_id]
        case = self.api.get(f"/v1/cases/{case_id}").json()
        timeline = self.api.get(f"/v1/cases/{case_id}/events").json()["items"]
        assert [e["seq"] for e in timeline] == list(range(1, state["n"] + 1))
        assert (case["last_seq"], case["version"]) == (state["n"], state["n"] + 1)
        assert case["status"] == state["status"] or _moved_by_time(case), (case["status"], state)
        self._check_status(case["status"], case["escalation_level"], case["track"], case["risk_level"])


def _moved_by_time(case: dict) -> bool:
    # A read re-evaluates once next_transition_at has passed; only then may it differ.
    at = case.get("next_transition_at")
    return at is not None and datetime.fromisoformat(at.replace("Z", "+00:00")) <= datetime.now(timezone.utc)


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_case_lifecycle_keeps_its_invariants(app, http):
    CaseLifecycle.app, CaseLifecycle.http = app, http
    CaseLifecycle.TestCase.settings = settings(
        max_examples=20, stateful_step_count=25, deadline=None, derandomize=True, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    CaseLifecycle.TestCase().runTest()
