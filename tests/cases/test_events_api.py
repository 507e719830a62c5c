"""Case events over HTTP: every type appends with a gapless seq, and bad events are named 422s."""

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from app.cases.event_data import EVENT_TYPES
from tests.support.examples import EXAMPLES
from tests.support.payloads import ago, ahead, intake

PROBLEM = "application/problem+json"



BEIJING = timezone(timedelta(hours=8))


def minimal(event_type: str, **envelope: Any) -> dict[str, Any]:
    # Beijing time, as most users' phones send it: the 201 body and later reads must still agree.
    occurred_at = (datetime.now(BEIJING) - timedelta(hours=2)).isoformat()
    body: dict[str, Any] = {"type": event_type, "occurred_at": occurred_at, **envelope}
    if EXAMPLES[event_type] is not None:
        body["data"] = EXAMPLES[event_type]
    return body


def open_case(api) -> str:
    response = api.post("/v1/cases", json=intake(
        withdrawal_requested_at=(datetime.now(BEIJING) - timedelta(days=3)).isoformat()))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def timeline(api, case_id: str) -> list[dict[str, Any]]:
    response = api.get(f"/v1/cases/{case_id}/events")
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_every_event_type_has_an_example():
    assert set(EXAMPLES) == set(EVENT_TYPES)


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_minimal_event_is_201_with_a_location_that_reads_it_back(api, event_type):
    case_id = open_case(api)
    response = api.post(f"/v1/cases/{case_id}/events", json=minimal(event_type))
    assert response.status_code == 201, response.text
    posted = response.json()["event"]
    assert posted["type"] == event_type and posted["seq"] == 1
    assert posted["data"] == (EXAMPLES[event_type] or {})
    assert response.headers["location"] == f"/v1/cases/{case_id}/events/1"

    read = api.get(response.headers["location"])
    assert read.status_code == 200, read.text
    assert read.json() == posted
    assert timeline(api, case_id) == [posted]


def test_seq_counts_1_2_3_per_case_without_gaps(api):
    first, second = open_case(api), open_case(api)
    seqs: dict[str, list[int]] = {first: [], second: []}
    for event_type in ("notice_posted", "support_contacted", "urgency_stated"):
        for case_id in (first, second):
            response = api.post(f"/v1/cases/{case_id}/events", json=minimal(event_type))
            assert response.status_code == 201, response.text
            seq = response.json()["event"]["seq"]
            assert response.headers["location"] == f"/v1/cases/{case_id}/events/{seq}"
            seqs[case_id].append(seq)
    assert seqs == {first: [1, 2, 3], second: [1, 2, 3]}
    for case_id in (first, second):
        assert [e["seq"] for e in timeline(api, case_id)] == [1, 2, 3]


def test_timeline_lists_every_type_in_seq_order(api):
    case_id = open_case(api)
    posted = []
    for event_type in EVENT_TYPES:
        response = api.post(f"/v1/cases/{case_id}/events", json=minimal(event_type))
        assert response.status_code == 201, f"{event_type}: {response.text}"
        posted.append(response.json()["event"])
    assert [e["seq"] for e in posted] == list(range(1, len(EVENT_TYPES) + 1))
    assert timeline(api, case_id) == posted
    case = api.get(f"/v1/cases/{case_id}").json()
    assert case["last_seq"] == len(EVENT_TYPES)
    assert case["version"] == len(EVENT_TYPES) + 1


def test_the_server_sets_seq_recorded_at_and_id(api):
    case_id = open_case(api)
    before = datetime.now(timezone.utc)
    event = api.post(f"/v1/cases/{case_id}/events", json=minimal("note_added")).json()["event"]
    assert event["id"] and event["seq"] == 1
    recorded_at = datetime.fromisoformat(event["recorded_at"])
    assert before - timedelta(seconds=1) <= recorded_at <= datetime.now(timezone.utc)


def test_posted_event_is_read_back_with_its_note_and_its_instant(api):
    case_id = open_case(api)
    body = minimal("support_contacted", note="她说周五前一定到账")
    body["data"] = {"channel": "phone", "promised_resolution_at": "2099-01-01T09:00:00+08:00"}
    response = api.post(f"/v1/cases/{case_id}/events", json=body)
    assert response.status_code == 201, response.text
    read = api.get(response.headers["location"]).json()
    assert read == response.json()["event"]
    assert read["note"] == "她说周五前一定到账"
    assert datetime.fromisoformat(read["occurred_at"]) == datetime.fromisoformat(body["occurred_at"])
    assert datetime.fromisoformat(read["data"]["promised_resolution_at"]) == \
        datetime(2099, 1, 1, 1, tzinfo=timezone.utc)


def test_case_opened_in_beijing_time_reads_back_as_its_201(api):
    # The same normalisation as events: the 201 body is what later reads return.
    response = api.post("/v1/cases", json=intake(
        withdrawal_requested_at=(datetime.now(BEIJING) - timedelta(days=3)).isoformat()))
    assert response.status_code == 201, response.text
    created, read = response.json(), api.get(response.headers["location"]).json()
    for body in (created, read):
        body.pop("upcoming", None)  # "what changes if nothing happens" is given on reads only
    assert read == created


def test_unknown_seq_is_404_problem(api):
    case_id = open_case(api)
    response = api.get(f"/v1/cases/{case_id}/events/1")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM


# --- Refused events ----------------------------------------------------------------------------

# (id, request keyword arguments, field, pointer, problem code of that error)
BAD_EVENTS = [
    ("unknown-type", {"json": {"type": "platform_exploded", "occurred_at": ago(hours=1), "data": {}}},
     "type", "/type", "union_tag_invalid"),
    ("missing-type", {"json": {"occurred_at": ago(hours=1), "data": {"text": "x"}}},
     "type", "/type", "missing"),
    ("missing-defining-field", {"json": {"type": "fee_demanded", "occurred_at": ago(hours=1), "data": {}}},
     "data.fee_kind", "/data/fee_kind", "missing"),
    ("wrong-type", {"json": {"type": "license_checked", "occurred_at": ago(hours=1),
                             "data": {"licensed": "yes"}}},
     "data.licensed", "/data/licensed", "bool_type"),
    ("naive-occurred-at", {"json": {"type": "note_added", "occurred_at": "2024-05-01T09:30:00",
                                    "data": {"text": "x"}}},
     "occurred_at", "/occurred_at", "timezone_aware"),
    ("naive-promise", {"json": {"type": "support_contacted", "occurred_at": ago(hours=1),
                                "data": {"channel": "phone",
                                         "promised_resolution_at": "2099-01-01T09:00:00"}}},
     "data.promised_resolution_at", "/data/promised_resolution_at", "timezone_aware"),
    ("occurred-tomorrow", {"json": {"type": "note_added", "occurred_at": ahead(days=1),
                                    "data": {"text": "x"}}},
     "occurred_at", "/occurred_at", "datetime_in_future"),
    ("extra-field-in-data", {"json": {"type": "fee_demanded", "occurred_at": ago(hours=1),
                                      "data": {"fee_kind": "tax", "urgent": True}}},
     "data.urgent", "/data/urgent", "extra_forbidden"),
    ("extra-field-on-event", {"json": {"type": "note_added", "occurred_at": ago(hours=1),
                                       "data": {"text": "x"}, "seq": 7}},
     "seq", "/seq", "extra_forbidden"),
    ("not-json", {"content": b'{"type": "note_added",', "headers": {"content-type": "application/json"}},
     "body", "", "json_invalid"),
    ("not-json-as-text", {"content": b"fee demanded!", "headers": {"content-type": "text/plain"}},
     "body", "", "json_invalid"),
    ("empty-body", {"content": b"", "headers": {"content-type": "application/json"}},
     "body", "", None),
    ("json-array", {"json": [{"type": "note_added"}]}, "body", "", None),
]


def assert_problem_names(response, field: str, pointer: str, code: str | None) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == 422 and problem["code"] == "invalid-request"
    assert {"field": field, "pointer": pointer} in [
        {"field": e["field"], "pointer": e["pointer"]} for e in problem["errors"]
    ], problem["errors"]
    assert field in problem["detail"]
    if code:
        assert code in [e["code"] for e in problem["errors"] if e["field"] == field]


@pytest.mark.parametrize(("request_kw", "field", "pointer", "code"),
                         [case[1:] for case in BAD_EVENTS], ids=[case[0] for case in BAD_EVENTS])
def test_bad_event_is_422_naming_the_field_and_stores_nothing(api, request_kw, field, pointer, code):
    case_id = open_case(api)
    assert api.post(f"/v1/cases/{case_id}/events", json=minimal("notice_posted")).status_code == 201
    before = api.get(f"/v1/cases/{case_id}")
    events_before = timeline(api, case_id)

    response = api.post(f"/v1/cases/{case_id}/events", **request_kw)
    assert_problem_names(response, field, pointer, code)

    after = api.get(f"/v1/cases/{case_id}")
    assert timeline(api, case_id) == events_before
    assert after.json()["version"] == before.json()["version"] == 2
    assert after.json()["last_seq"] == 1
    assert after.headers["etag"] == before.headers["etag"]


def test_every_wrong_field_is_named_at_once(api):
    case_id = open_case(api)
    body = {"type": "support_contacted", "occurred_at": "2024-05-01T09:30:00",
            "data": {"channel": "pigeon", "in_writing": "yes"}}
    problem = api.post(f"/v1/cases/{case_id}/events", json=body).json()
    assert {e["field"] for e in problem["errors"]} == {"occurred_at", "data.channel", "data.in_writing"}


# --- The evaluation in the response ------------------------------------------------------------

def test_fee_demanded_moves_the_case_to_the_fraud_track(api):
    case_id = open_case(api)
    api.post(f"/v1/cases/{case_id}/events", json=minimal("notice_posted"))
    response = api.post(f"/v1/cases/{case_id}/events",
                        json=minimal("fee_demanded") | {"data": {"fee_kind": "unfreeze", "amount": "3000"}})
    assert response.status_code == 201, response.text
    seq = response.json()["event"]["seq"]
    assert seq == 2
    evaluation = response.json()["evaluation"]
    assert evaluation["status"] == "fraud_suspected"
    assert evaluation["risk_level"] == "critical"
    assert evaluation["track"] == "fraud"
    assert "R1" in evaluation["flags"]
    first = evaluation["next_actions"][0]
    assert first["action"] == "fraud.report_police"
    assert first["because"]["rule"]
    assert seq in first["because"]["events"]

    case = api.get(f"/v1/cases/{case_id}").json()
    assert (case["status"], case["risk_level"], case["track"]) == ("fraud_suspected", "critical", "fraud")
    assert case["evaluation"] == evaluation


def test_evaluation_before_the_fee_was_on_the_dispute_track(api):
    case_id = open_case(api)
    evaluation = api.post(f"/v1/cases/{case_id}/events", json=minimal("notice_posted")).json()["evaluation"]
    assert evaluation["track"] == "dispute"
    assert evaluation["risk_level"] != "critical"
    assert "fraud.report_police" not in [a["action"] for a in evaluation["next_actions"]]
