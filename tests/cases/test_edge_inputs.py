"""Edge inputs: characters a database refuses, resent events that differ, token limits on PATCH."""

import base64
import json
import uuid

import pytest

from tests.conftest import Api
from tests.support.payloads import event, intake


def test_a_nul_character_is_a_422_naming_the_field(api):
    response = api.post("/v1/cases", json=intake(external_ref="ref\x00x"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "external_ref"
    case_id = api.post("/v1/cases", json=intake()).json()["id"]
    posted = api.post(f"/v1/cases/{case_id}/events", json=event("note_added", {"text": "a\x00b"}))
    assert posted.status_code == 422 and posted.json()["errors"][0]["field"] == "data.text"


def test_a_resent_event_id_with_another_note_is_a_conflict(api):
    case_id = api.post("/v1/cases", json=intake()).json()["id"]
    body = event("urgency_stated", {"reason": "medical"}, event_id=str(uuid.uuid4()), note="住院押金")
    assert api.post(f"/v1/cases/{case_id}/events", json=body).status_code == 201
    assert api.post(f"/v1/cases/{case_id}/events", json=body).status_code == 200
    changed = {**body, "note": "改了备注"}
    response = api.post(f"/v1/cases/{case_id}/events", json=changed)
    assert response.status_code == 409 and response.json()["field"] == "event_id"


def test_a_case_token_may_set_language_but_not_the_partners_reference(api):
    created = api.post("/v1/cases", params={"issue_token": "true"}, json=intake(external_ref="p-1")).json()
    phone = Api(api.http, created["case_token"]["token"])
    url = f"/v1/cases/{created['id']}"
    assert phone.http.patch(url, json={"locale": "en"},
                            headers={**phone.headers, "If-Match": "*"}).status_code == 200
    refused = phone.http.patch(url, json={"external_ref": "mine"}, headers={**phone.headers, "If-Match": "*"})
    assert refused.status_code == 403
    assert api.get(url).json()["external_ref"] == "p-1"


def test_audit_entries_of_one_request_keep_their_order(api):
    created = api.post("/v1/cases", params={"issue_token": "true"}, json=intake()).json()
    actions = [e["action"] for e in api.get(f"/v1/cases/{created['id']}/audit").json()["items"]]
    assert actions == ["case.opened", "case_token.issued"]


@pytest.mark.parametrize("seq", ["2147483648", "9223372036854775808", "99999999999999999999999", "0", "-1"])
def test_an_event_number_no_event_can_have_is_a_422_naming_seq(api, seq):
    # 2**31 overflowed PostgreSQL's integer and 2**63 SQLite's: both were 500s.
    case_id = api.post("/v1/cases", json=intake()).json()["id"]
    response = api.get(f"/v1/cases/{case_id}/events/{seq}")
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "path.seq"
    assert api.get(f"/v1/cases/{case_id}/events/2147483647").status_code == 404


def test_a_cursor_with_a_naive_time_is_a_422_naming_cursor(api):
    api.post("/v1/cases", json=intake())
    naive = base64.urlsafe_b64encode(json.dumps(["2026-01-01T00:00:00", str(uuid.uuid4())]).encode())
    response = api.get("/v1/cases", params={"cursor": naive.decode().rstrip("=")})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "cursor"
    aware = base64.urlsafe_b64encode(json.dumps(["2026-01-01T00:00:00+00:00", str(uuid.uuid4())]).encode())
    assert api.get("/v1/cases", params={"cursor": aware.decode().rstrip("=")}).status_code == 200
