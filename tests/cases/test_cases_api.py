"""Cases over HTTP: intake, reads, listing, and one client never seeing another's cases."""

import uuid

from tests.support.payloads import ahead, event, intake


def test_open_case_returns_case_evaluation_and_location(api):
    response = api.post("/v1/cases", json=intake(external_ref="ref-1"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/v1/cases/{body['id']}"
    assert response.headers["etag"]
    assert body["amount"] == "30000.00"
    assert body["status"] == "new"
    evaluation = body["evaluation"]
    assert evaluation["status"] == "new" and evaluation["escalation_level"] == 0
    actions = [a["action"] for a in evaluation["next_actions"]]
    assert "verify.read_notice" in actions and "evidence.capture_notice" in actions
    for action in evaluation["next_actions"]:
        assert action["because"]["rule"] and action["title"] and action["detail"]


def test_new_case_texts_default_to_chinese_and_follow_accept_language(api):
    zh = api.post("/v1/cases", json=intake()).json()["evaluation"]["next_actions"][0]["title"]
    en = api.post("/v1/cases", json=intake(), headers={"Accept-Language": "en-US,en;q=0.9"}).json()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh)
    assert en["evaluation"]["locale"] == "en"
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in en["evaluation"]["next_actions"][0]["title"])


def test_get_case_returns_it_with_etag(api):
    created = api.post("/v1/cases", json=intake()).json()
    response = api.get(f"/v1/cases/{created['id']}")
    assert response.status_code == 200
    assert response.json()["id"] == created["id"]
    assert response.headers["etag"]


def test_another_clients_case_is_404_everywhere(api, other_api):
    case_id = api.post("/v1/cases", json=intake()).json()["id"]
    assert other_api.get(f"/v1/cases/{case_id}").status_code == 404
    assert other_api.get(f"/v1/cases/{case_id}/events").status_code == 404
    posted = other_api.post(f"/v1/cases/{case_id}/events", json=event("urgency_stated", {"reason": "medical"}))
    assert posted.status_code == 404
    assert posted.headers["content-type"] == "application/problem+json"
    assert case_id not in {c["id"] for c in other_api.get("/v1/cases").json()["items"]}
    assert api.get(f"/v1/cases/{case_id}/events").json()["items"] == []


def test_missing_or_unknown_key_is_401_problem(http):
    for headers in ({}, {"Authorization": "Bearer sf_not-a-real-key"}, {"Authorization": "Basic abc"}):
        response = http.get("/v1/cases", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_duplicate_external_ref_is_409(api):
    assert api.post("/v1/cases", json=intake(external_ref="dup")).status_code == 201
    response = api.post("/v1/cases", json=intake(external_ref="dup"))
    assert response.status_code == 409
    assert response.json()["field"] == "external_ref"


def test_same_external_ref_is_fine_for_two_clients(api, other_api):
    assert api.post("/v1/cases", json=intake(external_ref="shared")).status_code == 201
    assert other_api.post("/v1/cases", json=intake(external_ref="shared")).status_code == 201


def test_listing_pages_with_a_cursor_and_filters_by_status(api):
    ids = [api.post("/v1/cases", json=intake()).json()["id"] for _ in range(5)]
    fraud_id = ids[0]
    api.post(f"/v1/cases/{fraud_id}/events", json=event("fee_demanded", {"fee_kind": "unfreeze", "amount": "3000"}))
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = api.get("/v1/cases", params=params).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == 5
    fraud = api.get("/v1/cases", params={"status": "fraud_suspected"}).json()["items"]
    assert [c["id"] for c in fraud] == [fraud_id]
    critical = api.get("/v1/cases", params={"risk_level": "critical"}).json()["items"]
    assert [c["id"] for c in critical] == [fraud_id]


def test_bad_cursor_and_bad_filter_are_422_naming_the_parameter(api):
    response = api.get("/v1/cases", params={"cursor": "!!!"})
    assert response.status_code == 422 and response.json()["field"] == "cursor"
    response = api.get("/v1/cases", params={"status": "sleeping"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.status"


def test_unknown_case_id_is_404_and_malformed_id_is_422(api):
    assert api.get(f"/v1/cases/{uuid.uuid4()}").status_code == 404
    assert api.get("/v1/cases/not-a-uuid").status_code == 422


def test_a_read_says_what_happens_if_nothing_does(api):
    """An open promise: the read says when it lapses and what will be recommended then."""
    case_id = api.post("/v1/cases", json=intake()).json()["id"]
    api.post(f"/v1/cases/{case_id}/events", json=event(
        "support_contacted", {"channel": "phone", "promised_resolution_at": ahead(days=2),
                              "in_writing": True}))
    assert api.get(f"/v1/cases/{case_id}").json()["upcoming"] is None  # only when asked for
    body = api.get(f"/v1/cases/{case_id}", params={"upcoming": "true"},
                   headers={"Accept-Language": "en"}).json()
    upcoming = body["upcoming"]
    assert body["status"] == "awaiting_platform"
    assert upcoming["at"] == body["next_transition_at"]
    assert upcoming["status"] == "overdue"
    assert "platform_promise" in upcoming["deadlines_lapsing"]
    now = {a["action"]: a["priority"] for a in body["evaluation"]["next_actions"]}
    new = {a["action"]: a for a in upcoming["new_actions"]}
    # Today a reminder; on the day, chasing the platform comes first.
    assert new["follow_up.chase_deadline"]["priority"] > now.get("follow_up.chase_deadline", 0)
    assert new["follow_up.chase_deadline"]["title"]


def test_a_case_with_nothing_pending_has_no_upcoming_change(api):
    case_id = api.post("/v1/cases", json=intake()).json()["id"]
    api.post(f"/v1/cases/{case_id}/events", json=event("funds_received", {"amount": "30000", "full": True}))
    body = api.get(f"/v1/cases/{case_id}", params={"upcoming": "true"}).json()
    assert body["status"] == "resolved" and body["upcoming"] is None and body["next_transition_at"] is None
