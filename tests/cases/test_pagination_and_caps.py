"""Bounded reads and writes: events and audit entries come in pages; a case holds a capped number of events."""

import uuid
from datetime import datetime, timezone

import pytest

from app import audit
from app.auth.actor import Actor
from app.db.models import Case
from tests.support.evidence import open_case, post_event

PROBLEM = "application/problem+json"


def _all_pages(api, url: str, limit: int) -> tuple[list[dict], int]:
    items, pages, cursor = [], 0, None
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        response = api.get(url, params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= limit
        items += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return items, pages


def test_events_come_in_pages_that_add_up_to_the_timeline(api):
    case_id = open_case(api)
    for number in range(5):
        post_event(api, case_id, "support_contacted", {"channel": "online_chat"}, note=f"第{number}次")
    items, pages = _all_pages(api, f"/v1/cases/{case_id}/events", limit=2)
    assert [e["seq"] for e in items] == [1, 2, 3, 4, 5] and pages == 3
    # One page holds everything when it may: the answer keeps its old shape, with no next page.
    whole = api.get(f"/v1/cases/{case_id}/events").json()
    assert [e["seq"] for e in whole["items"]] == [1, 2, 3, 4, 5] and whole["next_cursor"] is None


def test_the_audit_shows_every_entry_not_only_the_oldest_500(api, app):
    case_id = open_case(api)
    # 520 entries written the way the services write them (one request each would take minutes).
    with app.state.write_sessions.begin() as session:
        case = session.get(Case, uuid.UUID(case_id))
        actor = Actor(client_id=case.client_id, kind="system", prefix="test")
        now = datetime.now(timezone.utc)
        for number in range(520):
            audit.record(session, actor=actor, case_id=case.id, action="test.entry", now=now, n=number)
    items, pages = _all_pages(api, f"/v1/cases/{case_id}/audit", limit=200)
    assert len(items) == 521 and pages == 3
    assert items[0]["action"] == "case.opened"
    assert [e["detail"]["n"] for e in items[1:]] == list(range(520))


@pytest.mark.parametrize("cursor", ["nonsense", "WyJhdWRpdCIsMV0", "W10"])
def test_a_cursor_this_api_did_not_issue_is_422_naming_it(api, cursor):
    case_id = open_case(api)
    for url in (f"/v1/cases/{case_id}/events", f"/v1/cases/{case_id}/audit"):
        response = api.get(url, params={"cursor": cursor})
        assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
        assert response.json()["field"] == "cursor"
    too_many = api.get(f"/v1/cases/{case_id}/events", params={"limit": 5000})
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["field"] == "query.limit"


def test_a_case_refuses_events_past_its_cap_with_409(api, app):
    before = app.state.settings
    app.state.settings = before.model_copy(update={"case_max_events": 2})
    try:
        case_id = open_case(api)
        post_event(api, case_id, "support_contacted", {"channel": "online_chat"})
        post_event(api, case_id, "support_contacted", {"channel": "phone"})
        response = api.post(f"/v1/cases/{case_id}/events",
                            json={"type": "support_contacted", "occurred_at": datetime.now(timezone.utc).isoformat(),
                                  "data": {"channel": "email"}})
        assert response.status_code == 409 and response.headers["content-type"] == PROBLEM
        assert response.json()["code"] == "case-event-limit" and response.json()["limit"] == 2
        assert api.get(f"/v1/cases/{case_id}").json()["last_seq"] == 2
    finally:
        app.state.settings = before
