"""Times that are not times: every input time is RFC 3339 with an offset, in years 1970-2100.

A digit string was read as Unix seconds (1970), and a year such as 9999 or 1 with +14:00 overflowed
later, when deadlines were added, and turned the case's dossier into a permanent 500. Each time
field, wherever it arrives (JSON body, event data, query, multipart form, cursor), refuses them
with a 422 problem naming the field.
"""

import base64
import json

import pytest

from tests.support.evidence import evidence_dir, png_bytes  # noqa: F401  (a fixture)
from tests.support.payloads import ago, event, intake

NOT_TIMES = [
    pytest.param("0", id="digit-zero"),
    pytest.param("1700000000", id="unix-seconds-string"),
    pytest.param(1700000000, id="unix-seconds-number"),
    pytest.param("9999-12-31T23:59:59+14:00", id="year-9999"),
    pytest.param("0001-01-01T00:00:00+14:00", id="year-1"),
    pytest.param("1969-12-31T23:59:59Z", id="before-1970"),
    pytest.param("2101-01-01T00:00:00Z", id="after-2100"),
    pytest.param("2024-05-01T09:30:00", id="no-offset"),
    pytest.param("2024-05-01 09:30:00Z", id="space-not-T"),
    pytest.param("2024-05-01T09:30Z", id="no-seconds"),
    pytest.param("2024-05-01T09:30:00+0800", id="offset-without-colon"),
    pytest.param("2024-05-01", id="date-only"),
    pytest.param("2024-02-30T00:00:00Z", id="no-such-day"),
]


def _refused(response, field: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    named = [error["field"] for error in problem.get("errors", [])] + [problem.get("field")]
    assert field in named, problem


def _open(api) -> str:
    response = api.post("/v1/cases", json=intake())
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.mark.parametrize("value", NOT_TIMES)
def test_intake_time_must_be_rfc3339_with_offset(api, value):
    _refused(api.post("/v1/cases", json=intake(withdrawal_requested_at=value)),
             "withdrawal_requested_at")


@pytest.mark.parametrize("value", NOT_TIMES)
def test_event_time_must_be_rfc3339_with_offset(api, value):
    case_id = _open(api)
    _refused(api.post(f"/v1/cases/{case_id}/events", json=event("support_contacted", {"channel": "phone"},
                                                                occurred_at=value)),
             "occurred_at")


@pytest.mark.parametrize("value", NOT_TIMES)
def test_future_times_in_event_data_are_bounded_too(api, value):
    case_id = _open(api)
    _refused(api.post(f"/v1/cases/{case_id}/events",
                      json=event("extension_notified", {"new_deadline_at": value})),
             "data.new_deadline_at")


@pytest.mark.parametrize("value", NOT_TIMES)
def test_as_of_query_must_be_rfc3339_with_offset(api, value):
    case_id = _open(api)
    _refused(api.get(f"/v1/cases/{case_id}", params={"as_of": str(value)}), "query.as_of")


@pytest.mark.parametrize("value", NOT_TIMES)
def test_what_if_as_of_must_be_rfc3339_with_offset(api, value):
    _refused(api.post("/v1/evaluate", json={"case": intake(), "as_of": value}), "as_of")


@pytest.mark.parametrize("value", ["0", "1700000000", "9999-12-31T23:59:59+14:00", "2024-05-01T09:30:00"])
def test_evidence_captured_at_must_be_rfc3339_with_offset(api, value, evidence_dir):  # noqa: F811
    case_id = _open(api)
    response = api.post(f"/v1/cases/{case_id}/evidence",
                        files={"file": ("n.png", png_bytes(), "image/png")},
                        data={"kind": "notice_screenshot", "captured_at": value})
    _refused(response, "captured_at")


@pytest.mark.parametrize("moment", ["0", "9999-12-31T23:59:59+14:00", "2024-05-01T09:30:00"])
def test_a_forged_cursor_with_a_bad_time_is_a_422(api, moment):
    cursor = base64.urlsafe_b64encode(json.dumps(
        [moment, "00000000-0000-0000-0000-000000000000"]).encode()).decode().rstrip("=")
    _refused(api.get("/v1/cases", params={"cursor": cursor}), "cursor")


def test_a_cursor_the_api_issued_still_pages(api):
    for _ in range(3):
        _open(api)
    first = api.get("/v1/cases", params={"limit": 2}).json()
    assert first["next_cursor"]
    second = api.get("/v1/cases", params={"limit": 2, "cursor": first["next_cursor"]})
    assert second.status_code == 200, second.text
    assert {c["id"] for c in second.json()["items"]}.isdisjoint(c["id"] for c in first["items"])


def test_the_latest_allowed_times_still_give_a_dossier(api):
    # The bounds exist so that deadlines computed from these times cannot overflow: the latest
    # promise the contract allows, on the furthest offset, must still render.
    case_id = _open(api)
    for type_, data in [("extension_notified", {"new_deadline_at": "2100-12-31T23:59:59-23:59"}),
                        ("support_contacted", {"channel": "phone", "promised_resolution_at": "2100-12-31T23:59:59-23:59"})]:
        response = api.post(f"/v1/cases/{case_id}/events", json=event(type_, data))
        assert response.status_code == 201, response.text
    assert api.get(f"/v1/cases/{case_id}", params={"as_of": "2100-12-31T23:59:59-23:59"}).status_code == 200
    dossier = api.get(f"/v1/cases/{case_id}/dossier", params={"format": "json"})
    assert dossier.status_code == 200, dossier.text
    assert dossier.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("value", ["1970-01-01T00:00:00Z", "2024-05-01t09:30:00z",
                                   "2024-05-01T09:30:00.123456+08:00", "2024-05-01T09:30:00-03:30"])
def test_rfc3339_times_with_an_offset_are_accepted(api, value):
    response = api.post("/v1/cases", json=intake(withdrawal_requested_at=value))
    assert response.status_code == 201, response.text


def test_the_contract_publishes_the_same_form(document_times):
    # Every time a client sends is described by one pattern, so a generated client or a fuzzer
    # knows the accepted form before it sends.
    patterns = {schema.get("pattern") for schema in document_times}
    assert len(patterns) == 1 and None not in patterns, patterns
    assert all(schema.get("format") == "date-time" for schema in document_times)


@pytest.fixture(scope="module")
def document_times() -> list[dict]:
    from app.openapi_doc import openapi_document

    document = openapi_document()
    found: list[dict] = []

    def walk(node, name=""):
        if isinstance(node, dict):
            if node.get("format") == "date-time" and (name.endswith("_at") or name == "as_of"):
                found.append(node)
            for key, value in node.items():
                walk(value, key if key not in ("anyOf", "schema", "items") else name)
        elif isinstance(node, list):
            for item in node:
                walk(item, name)

    schemas = document["components"]["schemas"]
    inputs = [name for name in schemas if name.endswith(("Create", "Data", "Event", "Upload", "In")) or name == "WhatIf"]
    for name in inputs:
        walk(schemas[name])
    for item in document["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                walk(parameter["schema"], parameter["name"])
    assert len(found) >= 8, f"too few input times found: {len(found)}"
    return found
