"""The three starter rules over HTTP, on a stored case and through the stateless what-if.

(a) a new case asks to read and capture the notice; (b) a fee demanded to release the money
moves the case to the fraud track; (c) a dated promise makes the case wait for the platform,
and once the date passes without payout the case is overdue.
"""

from datetime import datetime
from typing import Any

import pytest

from tests.support.payloads import ago, ahead, event, intake


def actions(evaluation: dict[str, Any]) -> list[str]:
    return [a["action"] for a in evaluation["next_actions"]]


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


class StoredCase:
    """The stored route: open a case, post its events one by one, read the last evaluation."""

    name = "stored"

    def __init__(self, api) -> None:
        self.api = api

    def evaluate(self, events: list[dict[str, Any]], as_of: str | None = None) -> dict[str, Any]:
        created = self.api.post("/v1/cases", json=intake())
        assert created.status_code == 201, created.text
        self.case_id = created.json()["id"]
        evaluation = created.json()["evaluation"]
        for body in events:
            response = self.api.post(f"/v1/cases/{self.case_id}/events", json=body)
            assert response.status_code == 201, response.text
            evaluation = response.json()["evaluation"]
        if as_of:
            response = self.api.get(f"/v1/cases/{self.case_id}", params={"as_of": as_of})
            assert response.status_code == 200, response.text
            evaluation = response.json()["evaluation"]
        return evaluation


class WhatIf:
    """The stateless route: the same intake and events to POST /v1/evaluate, nothing stored."""

    name = "what-if"

    def __init__(self, api) -> None:
        self.api = api

    def evaluate(self, events: list[dict[str, Any]], as_of: str | None = None) -> dict[str, Any]:
        before = self.api.get("/v1/cases").json()
        body = {"case": intake(), "events": events, "as_of": as_of or ago()}  # ago() is now
        response = self.api.post("/v1/evaluate", json=body)
        assert response.status_code == 200, response.text
        assert self.api.get("/v1/cases").json() == before, "a what-if must store nothing"
        return response.json()


@pytest.fixture(params=[StoredCase, WhatIf], ids=lambda route: route.name)
def route(request, api):
    return request.param(api)


# --- (a) a new case ----------------------------------------------------------------------------

def test_new_case_is_new_and_asks_to_read_and_capture_the_notice(route):
    evaluation = route.evaluate([])
    assert evaluation["status"] == "new"
    assert evaluation["escalation_level"] == 0
    assert evaluation["track"] == "dispute"
    assert {"verify.read_notice", "evidence.capture_notice"} <= set(actions(evaluation))
    for action in evaluation["next_actions"]:
        assert action["because"]["rule"]


# --- (b) a fee demanded ------------------------------------------------------------------------

def test_fee_demanded_is_fraud_suspected_and_critical_with_police_first(route):
    evaluation = route.evaluate([
        event("notice_posted", {"notice_kind": "risk_review"}, occurred_at=ago(hours=5)),
        event("fee_demanded", {"fee_kind": "unfreeze", "amount": "3000"}, occurred_at=ago(hours=2)),
    ])
    assert evaluation["status"] == "fraud_suspected"
    assert evaluation["risk_level"] == "critical"
    assert evaluation["track"] == "fraud"
    first = evaluation["next_actions"][0]
    assert first["action"] == "fraud.report_police"
    assert first["because"]["rule"] and 2 in first["because"]["events"]


# --- (c) a promise -----------------------------------------------------------------------------

def promise(made: str, due: str) -> dict[str, Any]:
    return event("support_contacted", {"channel": "phone", "promised_resolution_at": due},
                 occurred_at=made)


def test_broken_promise_is_overdue_with_chase_and_promise_broken(route):
    evaluation = route.evaluate([promise(made=ago(days=3), due=ago(days=1))])
    assert evaluation["status"] == "overdue"
    assert "follow_up.chase_deadline" in actions(evaluation)
    assert "promise_broken" in evaluation["flags"]
    chase = next(a for a in evaluation["next_actions"] if a["action"] == "follow_up.chase_deadline")
    assert chase["because"]["rule"] and chase["because"]["events"] == [1]


def test_open_promise_is_awaiting_platform_until_the_promised_time(route):
    due = ahead(days=2)
    evaluation = route.evaluate([promise(made=ago(days=1), due=due)])
    assert evaluation["status"] == "awaiting_platform"
    assert "promise_broken" not in evaluation["flags"]
    assert instant(evaluation["next_transition_at"]) == instant(due)
    # Chasing may be advised ahead, but for the promised date, not for now.
    for action in evaluation["next_actions"]:
        if action["action"] == "follow_up.chase_deadline":
            assert instant(action["due_at"]) == instant(due)


def test_open_promise_judged_after_its_time_is_overdue(route):
    evaluation = route.evaluate([promise(made=ago(days=1), due=ahead(days=2))], as_of=ahead(days=3))
    assert evaluation["status"] == "overdue"
    assert "promise_broken" in evaluation["flags"]
    assert "follow_up.chase_deadline" in actions(evaluation)


def test_as_of_preview_stores_nothing(api):
    due = ahead(days=2)
    case_id = api.post("/v1/cases", json=intake()).json()["id"]
    posted = api.post(f"/v1/cases/{case_id}/events", json=promise(made=ago(days=1), due=due))
    assert posted.status_code == 201, posted.text
    plain = api.get(f"/v1/cases/{case_id}")
    assert plain.json()["status"] == "awaiting_platform"
    assert instant(plain.json()["next_transition_at"]) == instant(due)

    preview = api.get(f"/v1/cases/{case_id}", params={"as_of": ahead(days=3)})
    assert preview.status_code == 200, preview.text
    assert preview.json()["status"] == "overdue"
    assert preview.json()["evaluation"]["status"] == "overdue"

    again = api.get(f"/v1/cases/{case_id}")
    assert again.json()["status"] == "awaiting_platform"
    assert again.json()["evaluation"] == plain.json()["evaluation"]
    assert again.json()["version"] == plain.json()["version"]
    assert again.headers["etag"] == plain.headers["etag"]
    listed = api.get("/v1/cases", params={"status": "overdue"}).json()["items"]
    assert listed == []


def test_as_of_without_an_offset_is_422(api):
    case_id = api.post("/v1/cases", json=intake()).json()["id"]
    response = api.get(f"/v1/cases/{case_id}", params={"as_of": "2099-01-01T00:00:00"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.as_of"


# --- The what-if itself ------------------------------------------------------------------------

def test_same_what_if_twice_is_byte_identical(api):
    body = {
        "case": intake(),
        "events": [promise(made=ago(days=3), due=ago(days=1)),
                   event("fee_demanded", {"fee_kind": "tax"}, occurred_at=ago(hours=1))],
        "as_of": ahead(hours=1),
    }
    first = api.post("/v1/evaluate", json=body)
    second = api.post("/v1/evaluate", json=body)
    assert first.status_code == 200, first.text
    assert first.content == second.content


def test_what_if_agrees_with_the_stored_case_at_the_same_moment(api):
    events = [event("notice_posted", {"notice_kind": "channel_maintenance"}, occurred_at=ago(days=2)),
              promise(made=ago(days=1), due=ahead(days=2))]
    as_of = ahead(days=3)
    case_body = intake()
    case_id = api.post("/v1/cases", json=case_body).json()["id"]
    for body in events:
        assert api.post(f"/v1/cases/{case_id}/events", json=body).status_code == 201
    stored = api.get(f"/v1/cases/{case_id}", params={"as_of": as_of}).json()["evaluation"]
    what_if = api.post("/v1/evaluate", json={"case": case_body, "events": events, "as_of": as_of}).json()
    assert what_if == stored


def test_what_if_names_the_bad_event_field(api):
    body = {"case": intake(), "events": [event("fee_demanded", {})]}
    response = api.post("/v1/evaluate", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert (error["field"], error["pointer"]) == ("events.0.data.fee_kind", "/events/0/data/fee_kind")


def test_what_if_needs_an_api_key(http):
    response = http.post("/v1/evaluate", json={"case": intake()})
    assert response.status_code == 401
