"""Folding events over HTTP: exact money, repeated event_ids and posting order, stored or what-if."""

import uuid

from tests.support.payloads import ago, event, intake

# An app whose licence nobody checked: two open-ended excuses there make soft flag S4.
UNCHECKED = {"name": "汇通宝", "kind": "payment", "licensed": None, "app_source": "official_store"}


def _excuse(**kw) -> dict:
    return event("support_contacted", {"channel": "in_app", "explanation_kind": "channel_maintenance"}, **kw)


def _what_if(api, events: list[dict], case: dict | None = None, as_of: str | None = None) -> dict:
    body = {"case": case or intake(), "events": events, "as_of": as_of or ago(seconds=0)}
    response = api.post("/v1/evaluate", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_an_event_repeated_with_its_event_id_counts_once_in_evaluate(api):
    case, now = intake(platform=UNCHECKED), ago(seconds=0)
    repeated = _excuse(occurred_at=ago(hours=5), event_id=str(uuid.uuid4()))
    once = _what_if(api, [repeated, dict(repeated)], case, now)
    assert "S4" not in once["flags"]
    assert once == _what_if(api, [repeated], case, now)
    # Two different excuses are two: the boundary the repeat must not reach.
    twice = _what_if(api, [repeated, _excuse(occurred_at=ago(hours=4), event_id=str(uuid.uuid4()))],
                     case, now)
    assert "S4" in twice["flags"]


def test_a_repeated_event_id_counts_once_as_on_a_stored_case(api):
    repeated = _excuse(occurred_at=ago(hours=5), event_id=str(uuid.uuid4()))
    case = intake(platform=UNCHECKED)
    case_id = api.post("/v1/cases", json=case).json()["id"]
    for body in (repeated, repeated):
        assert api.post(f"/v1/cases/{case_id}/events", json=body).status_code in (200, 201)
    stored = api.get(f"/v1/cases/{case_id}").json()["evaluation"]
    what_if = _what_if(api, [repeated, repeated], case)
    assert stored["flags"] == what_if["flags"] and stored["status"] == what_if["status"]


def test_an_event_id_reused_for_other_content_in_evaluate_is_a_409_naming_it(api):
    event_id = str(uuid.uuid4())
    body = {"case": intake(), "events": [
        _excuse(occurred_at=ago(hours=5), event_id=event_id),
        event("urgency_stated", {"reason": "medical"}),
        _excuse(occurred_at=ago(hours=3), event_id=event_id)]}
    response = api.post("/v1/evaluate", json=body)
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["field"] == "events[2].event_id" and problem["seq"] == 1


def test_an_amount_with_cents_is_compared_exactly(api):
    # A route that failed after the regulator forwarded the complaint: the legal advice depends on
    # the amount alone. 50,000.50 is over the 50,000 small-claims ceiling; 50,000.00 is not.
    events = [event("complaint_filed", {"authority": "hotline_12378"}, occurred_at=ago(days=2, hours=3)),
              event("complaint_forwarded", {"authority": "nfra_branch"}, occurred_at=ago(days=2)),
              event("decision_received", {"outcome": "rejected"}, occurred_at=ago(days=1))]
    over = _what_if(api, events, intake(amount="50000.50"))
    at = _what_if(api, events, intake(amount="50000.00"))
    assert "escalate.small_claims" not in [a["action"] for a in over["next_actions"]]
    assert "escalate.small_claims" in [a["action"] for a in at["next_actions"]]
    assert "lawyer" in [r["remedy"] for r in over["remedies"]]


def test_events_posted_out_of_order_are_folded_in_time_order(api):
    # Support's explanation came before the notice's, but was posted after it.
    notice = event("notice_posted", {"notice_kind": "risk_review"}, occurred_at=ago(hours=2))
    support = _excuse(occurred_at=ago(hours=6))
    case, now = intake(), ago(seconds=0)
    posted_late = _what_if(api, [notice, support], case, now)
    posted_in_order = _what_if(api, [support, notice], case, now)
    assert "inconsistent_explanations" in posted_late["flags"]
    assert posted_late["flags"] == posted_in_order["flags"]
    assert posted_late["status"] == posted_in_order["status"]
