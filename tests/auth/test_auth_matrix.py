"""Who may call what: every route of the app × every kind of credential, walked from the app itself.

The policy of each route is written down here, in `ROUTES`. The first test walks the app's
routes and fails when a route has no row (a new route must say who may call it) or a row names a
route that is gone. The second calls each route with each credential, path parameters filled
with real ids made in the test, and checks the answer's class:

- no credential, an unknown key or token, a revoked key → 401 everywhere but the public routes;
- another client's key → 404 for anything under one of this client's resources, else its own view;
- a case token → 403 on partner-only routes; on case routes 404 for another case, else success;
- the right key → success.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute

from app.cases.dependencies import (
    case_for_caller, case_for_partner, case_read_request, case_to_write, case_to_write_for_partner,
    event_post_request,
)
from tests.auth.conftest import PROBLEM, Partner, bearer, new_partner, note, revoked_key_of
from tests.support.evidence import evidence_dir, png_bytes  # noqa: F401  (a fixture)
from tests.support.payloads import ago, intake

PUBLIC, PARTNER, CASE = "public", "partner-only", "case-scoped"
# Nothing listens there (port 9 is "discard"); the worker is off in these tests anyway.
RECEIVER = "http://127.0.0.1:9/hooks"


@dataclass(frozen=True)
class Row:
    policy: str
    # The request's body, query or headers, made from the test's ids; by default none.
    request: Callable[["World"], dict[str, Any]] = lambda world: {}


def _upload(world: "World") -> dict[str, Any]:
    return {"data": {"kind": "chat_log", "captured_at": ago(hours=1)},
            "files": {"file": ("chat.png", png_bytes(text="chat"), "application/octet-stream")}}


ROUTES: dict[tuple[str, str], Row] = {
    ("GET", "/healthz"): Row(PUBLIC),
    ("GET", "/readyz"): Row(PUBLIC),
    ("GET", "/metrics"): Row(PUBLIC),  # counts and timings only, like a health check
    # The web app's labels for statuses, risks and flags: the rules' public texts, no case data.
    ("GET", "/app/catalogue.json"): Row(PUBLIC),
    ("GET", "/app/languages.json"): Row(PUBLIC),
    # Cases. A case token may PATCH its case's language and province, not the partner's reference.
    ("POST", "/v1/cases"): Row(PARTNER, lambda w: {"json": intake()}),
    ("GET", "/v1/cases"): Row(PARTNER),
    ("GET", "/v1/cases/{case_id}"): Row(CASE),
    ("PATCH", "/v1/cases/{case_id}"): Row(CASE, lambda w: {"json": {"province": "上海"},
                                                            "headers": {"If-Match": "*"}}),
    ("POST", "/v1/cases/{case_id}/events"): Row(CASE, lambda w: {"json": note()}),
    ("GET", "/v1/cases/{case_id}/events"): Row(CASE),
    ("GET", "/v1/cases/{case_id}/events/{seq}"): Row(CASE),
    ("POST", "/v1/evaluate"): Row(PARTNER, lambda w: {"json": {"case": intake(), "events": []}}),
    ("GET", "/v1/actions"): Row(PARTNER),
    ("GET", "/v1/rules"): Row(PARTNER),
    ("GET", "/v1/platforms/signals"): Row(PARTNER, lambda w: {"params": {"name": "安心保险"}}),
    # Webhooks: the partner's own plumbing.
    ("POST", "/v1/webhooks"): Row(PARTNER, lambda w: {"json": {"url": RECEIVER}}),
    ("GET", "/v1/webhooks"): Row(PARTNER),
    ("GET", "/v1/webhooks/{webhook_id}"): Row(PARTNER),
    ("DELETE", "/v1/webhooks/{webhook_id}"): Row(PARTNER),
    ("GET", "/v1/webhooks/{webhook_id}/deliveries"): Row(PARTNER),
    ("POST", "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"): Row(PARTNER),
    # Case tokens and the audit trail are the partner's to manage and read.
    ("POST", "/v1/cases/{case_id}/tokens"): Row(PARTNER, lambda w: {"json": {"ttl_days": 1}}),
    ("GET", "/v1/cases/{case_id}/tokens"): Row(PARTNER),
    ("DELETE", "/v1/cases/{case_id}/tokens/{token_id}"): Row(PARTNER),
    ("GET", "/v1/cases/{case_id}/audit"): Row(PARTNER),
    # Evidence: the end user's phone uploads and reads its own case's files, and fetches its
    # case's dossier (the web app's "download for the regulator"); the integrity check stays
    # with the partner.
    ("POST", "/v1/cases/{case_id}/evidence"): Row(CASE, _upload),
    ("GET", "/v1/cases/{case_id}/evidence"): Row(CASE),
    ("GET", "/v1/cases/{case_id}/evidence/{evidence_id}"): Row(CASE),
    ("GET", "/v1/cases/{case_id}/evidence/{evidence_id}/content"): Row(CASE),
    ("GET", "/v1/cases/{case_id}/verify"): Row(PARTNER),
    ("GET", "/v1/cases/{case_id}/dossier"): Row(CASE, lambda w: {"params": {"format": "json"}}),
}


def api_routes(app) -> list[tuple[APIRoute, str, set[str]]]:
    """Every APIRoute the app serves, with its full path and methods, included routers flattened."""
    try:
        from fastapi.routing import iter_route_contexts  # FastAPI with lazily included routers
    except ImportError:  # older FastAPI: app.routes is already flat
        found = [(route, route.path, route.methods) for route in app.routes]
    else:
        found = [(context.original_route, context.path, context.methods)
                 for context in iter_route_contexts(app.routes)]
    return [(route, path, methods) for route, path, methods in found if isinstance(route, APIRoute)]


def app_routes(app) -> set[tuple[str, str]]:
    """Every (method, path) the app serves through an APIRoute."""
    return {(method, path) for _, path, methods in api_routes(app) for method in methods}


def test_every_route_of_the_app_has_a_row_and_every_row_a_route(app):
    served = app_routes(app)
    assert ("GET", "/v1/cases/{case_id}") in served, "the walk found no routes; fix app_routes()"
    missing = sorted(served - set(ROUTES))
    stale = sorted(set(ROUTES) - served)
    assert not missing, f"routes without a row in ROUTES (say who may call them): {missing}"
    assert not stale, f"rows in ROUTES for routes the app no longer serves: {stale}"


@dataclass
class World:
    """Two partner apps; partner A owns two cases, a token for each, a webhook and its delivery."""

    a: Partner
    b: Partner
    revoked_key: str
    own_token: str  # reaches case_id
    other_token: str  # reaches A's other case
    ids: dict[str, str]


def make_world(app, http) -> World:
    a, b = new_partner(app, http, "matrix-a"), new_partner(app, http, "matrix-b")
    revoked = revoked_key_of(app, a)
    webhook = a.post("/v1/webhooks", json={"url": RECEIVER})
    assert webhook.status_code == 201, webhook.text
    webhook_id = webhook.json()["id"]
    case_id, other_case_id = a.open_case()["id"], a.open_case()["id"]
    own, spare = a.issue_token(case_id), a.issue_token(case_id)
    other = a.issue_token(other_case_id)
    # A hard red flag changes the status, which queues a delivery to the webhook.
    flagged = a.post(f"/v1/cases/{case_id}/events",
                     json={"type": "fee_demanded", "occurred_at": ago(hours=2),
                           "data": {"fee_kind": "unfreeze"}})
    assert flagged.status_code == 201, flagged.text
    deliveries = a.get(f"/v1/webhooks/{webhook_id}/deliveries").json()["items"]
    assert deliveries, "a status change should have queued a delivery"
    uploaded = a.post(f"/v1/cases/{case_id}/evidence", **_upload(None))
    assert uploaded.status_code == 201, uploaded.text
    ids = {"case_id": case_id, "seq": "1", "webhook_id": webhook_id,
           "delivery_id": deliveries[0]["id"], "token_id": spare["id"],
           "evidence_id": uploaded.json()["id"]}
    return World(a, b, revoked, own["token"], other["token"], ids)


def credentials(world: World) -> list[tuple[str, dict[str, str]]]:
    return [
        ("none", {}),
        ("not bearer", {"Authorization": f"Basic {world.a.key}"}),
        ("unknown key", bearer("sf_" + "x" * 43)),
        ("unknown token", bearer("sfct_" + "x" * 43)),
        ("revoked key", bearer(world.revoked_key)),
        ("other client's key", bearer(world.b.key)),
        ("token of another case", bearer(world.other_token)),
        ("own case token", bearer(world.own_token)),
        ("right key", bearer(world.a.key)),  # last: DELETE routes really delete
    ]


def expected(policy: str, path: str, credential: str) -> str:
    if policy == PUBLIC:
        return "success"
    if credential in ("none", "not bearer", "unknown key", "unknown token", "revoked key"):
        return "401"
    if credential == "other client's key":
        # Under one of A's resources (a case, a webhook) it is as if the resource did not exist.
        return "404" if "{" in path else "success"
    if credential in ("token of another case", "own case token"):
        if policy == PARTNER:
            return "403"
        return "404" if credential == "token of another case" else "success"
    return "success"


@pytest.mark.parametrize(("method", "path"), sorted(ROUTES), ids=[f"{m} {p}" for m, p in sorted(ROUTES)])
def test_route_answers_each_credential_as_its_policy_says(app, http, evidence_dir, method, path):  # noqa: F811
    world = make_world(app, http)
    row = ROUTES[(method, path)]
    url = path.format(**world.ids)
    outcomes = []
    for credential, auth in credentials(world):
        request = row.request(world)
        headers = {**request.pop("headers", {}), **auth}
        response = http.request(method, url, headers=headers, **request)
        want = expected(row.policy, path, credential)
        status = response.status_code
        ok = 200 <= status < 300 if want == "success" else status == int(want)
        outcomes.append((credential, want, status, ok, response.text[:200]))
        if ok and want != "success":
            assert response.headers["content-type"].startswith(PROBLEM), (credential, response.text)
        if ok and want == "401":
            assert response.headers["www-authenticate"].startswith("Bearer"), credential
        if ok and want == "404" and path.startswith("/v1/cases/{case_id}"):
            # The case itself is what the caller may not reach, whatever lies under it.
            assert response.json()["code"] == "case-not-found", (credential, response.text)
        if ok and want == "success" and credential == "other client's key":
            # Its own view of the collection never shows A's things.
            for own_id in (world.ids["case_id"], world.ids["webhook_id"]):
                assert own_id not in response.text, (credential, url, response.text[:300])
    wrong = [o for o in outcomes if not o[3]]
    assert not wrong, "\n".join(f"{method} {url} with {c}: expected {w}, got {s}: {t}"
                                for c, w, s, _, t in wrong)


CASE_DEPENDENCIES = {case_for_caller, case_for_partner, case_read_request, case_to_write,
                     case_to_write_for_partner, event_post_request}


def _calls(dependant) -> set:
    return {dependant.call} | {call for sub in dependant.dependencies for call in _calls(sub)}


def test_every_route_with_a_case_id_finds_the_case_through_one_dependency(app):
    # A route that took `case_id` and looked the case up itself could forget whose case it is.
    routes = [(route, path, methods) for route, path, methods in api_routes(app) if "{case_id}" in path]
    assert len(routes) >= 15
    bare = [f"{sorted(methods)} {path}" for route, path, methods in routes
            if not _calls(route.dependant) & CASE_DEPENDENCIES]
    assert not bare, bare
