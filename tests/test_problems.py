"""Errors over HTTP: every failure, routed or not, is an RFC 9457 problem document."""

import uuid

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.conftest import TEST_SECRET_KEY
from tests.support.payloads import event, intake

PROBLEM = "application/problem+json"
MEMBERS = ("type", "title", "status", "code", "instance")


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    for member in MEMBERS:
        assert problem.get(member) not in (None, ""), f"{member} missing from {problem}"
    assert problem["status"] == status
    assert problem["code"] == code
    assert problem["type"] == f"urn:stuckfunds:problem:{code}"
    return problem


def test_unknown_route_is_404_problem(http):
    assert_problem(http.get("/v2/cases"), 404, "not-found")
    assert_problem(http.post("/nowhere", json={}), 404, "not-found")


def test_wrong_method_is_405_problem_with_allow(http):
    problem = assert_problem(http.delete("/v1/cases"), 405, "method-not-allowed")
    assert problem["title"]
    response = http.put("/healthz")
    assert_problem(response, 405, "method-not-allowed")
    assert response.headers["allow"] == "GET"


ERRORS = {
    "bad-key": ("get", "/v1/cases", {"headers": {"Authorization": "Bearer nope"}}, 401, "unauthorized"),
    "unknown-case": ("get", "/v1/cases/{missing}", {}, 404, "case-not-found"),
    "unknown-event": ("get", "/v1/cases/{case}/events/99", {}, 404, "not-found"),
    "malformed-id": ("get", "/v1/cases/not-a-uuid", {}, 422, "invalid-request"),
    "bad-limit": ("get", "/v1/cases", {"params": {"limit": 0}}, 422, "invalid-request"),
    "bad-cursor": ("get", "/v1/cases", {"params": {"cursor": "!!"}}, 422, "invalid-request"),
    "empty-intake": ("post", "/v1/cases", {"json": {}}, 422, "invalid-request"),
    "taken-ref": ("post", "/v1/cases", {"json": intake(external_ref="taken")}, 409, "conflict"),
    "bad-event": ("post", "/v1/cases/{case}/events", {"json": event("bogus")}, 422, "invalid-request"),
    "event-to-unknown-case": ("post", "/v1/cases/{missing}/events",
                              {"json": event("urgency_stated", {"reason": "debt"})}, 404, "case-not-found"),
    "what-if-without-case": ("post", "/v1/evaluate", {"json": {"events": []}}, 422, "invalid-request"),
}


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "code"), ERRORS.values(), ids=ERRORS)
def test_every_error_is_a_complete_problem(api, method, path, kwargs, status, code):
    case = api.post("/v1/cases", json=intake(external_ref="taken")).json()["id"]
    response = getattr(api, method)(path.format(case=case, missing=uuid.uuid4()), **kwargs)
    assert_problem(response, status, code)


def test_unexpected_error_is_a_500_problem_without_details(sqlite_url):
    app = create_app(Settings(database_url=sqlite_url, secret_key=TEST_SECRET_KEY))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            response = client.get("/boom")
    finally:
        app.state.engine.dispose()
    problem = assert_problem(response, 500, "internal-error")
    assert "secret" not in response.text and problem["detail"] is None
