"""Contract: every answer a route can give (status, header, media type), documented from one table.

A router names what is its own (its 404, the ETag on its 200, its media types) with `answers()`
and `problems()`. What follows from a route's dependencies is added by `document_routes()`, so
no route can forget it: a credential check can answer 401 and 429, a partner-only route 403,
anything that opens a database session 503, an Idempotency-Key 409, any input 422, a multipart
body 400 and 413. `finish_document()` then adds what the middleware puts on every answer
(X-Request-ID) and what the document as a whole needs (servers, tags, `security: []` on the
open routes, binary file parts).
"""

import json
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from app.edge.auth import any_caller, partner_caller
from app.edge.session import get_session, get_write_session
from app.edge.idempotency import idempotency
from app.locales import LOCALES
from app.edge.problems import PROBLEM_MEDIA_TYPE, Problem

_HEADERS = "#/components/headers/"

# Every response header a client may need, described once and referred to by name.
HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {"description": "The case's current version; send it back as `If-Match` to change the case",
             "schema": {"type": "string"}},
    "Location": {"description": "Where the created (or already stored) resource can be read",
                 "schema": {"type": "string", "format": "uri-reference"}},
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request with the same "
                       "Idempotency-Key (or, for events, the same `event_id`); nothing was stored twice",
        "schema": {"type": "string", "enum": ["true"]}},
    "Retry-After": {"description": "Seconds to wait before sending the request again",
                    "schema": {"type": "string", "pattern": "^[0-9]+$"}},
    "X-Request-ID": {"description": "This request's id (the one sent, if well formed); quote it in support requests",
                     "schema": {"type": "string", "pattern": "^[A-Za-z0-9._-]{8,64}$"}},
    "WWW-Authenticate": {"description": "The authentication scheme: `Bearer`",
                         "schema": {"type": "string"}},
    "Content-Disposition": {"description": "The file name to save the body under",
                            "schema": {"type": "string"}},
    "Content-Language": {"description": "The language the document is written in",
                         "schema": {"type": "string", "enum": list(LOCALES)}},
    "Cache-Control": {"description": "Never stored by shared caches", "schema": {"type": "string"}},
    "Vary": {"description": "The request headers the representation depends on", "schema": {"type": "string"}},
    "Repr-Digest": {"description": "RFC 9530: the SHA-256 of the body, base64 (`sha-256=:...:`)",
                    "schema": {"type": "string"}},
    "X-Content-Type-Options": {"description": "`nosniff`: use the declared media type only",
                               "schema": {"type": "string", "enum": ["nosniff"]}},
    "Content-Security-Policy": {"description": "Nothing in the file may run or load anything",
                                "schema": {"type": "string"}},
}

# What each error status means on this API, and the headers that always (True) or sometimes
# (False) come with it.
PROBLEM_TEXT: dict[int, str] = {
    400: "The multipart body could not be parsed (broken framing or boundary)",
    401: "No API key or case token, or one that is unknown, expired or revoked",
    403: "Not allowed with this credential: a case token reaches its own case only",
    404: "No such resource, or one that belongs to another client (`case-not-found` for the case "
         "itself)",
    409: "A request with this Idempotency-Key is still being processed, or the request conflicts "
         "with what is stored",
    412: "If-Match does not match the case's current ETag: read the case again",
    413: "The upload is larger than the evidence limit",
    415: "The file's content is not of an accepted type",
    422: "The request is not valid; `errors` names each field at fault",
    428: "If-Match is required",
    429: "Too many requests for this credential; retry after `Retry-After` seconds",
    500: "A stored file no longer matches its recorded SHA-256",
    503: "The database is not reachable, or the service is not ready; retry after `Retry-After` seconds",
}
PROBLEM_HEADERS: dict[int, dict[str, bool]] = {
    401: {"WWW-Authenticate": True},
    409: {"Retry-After": False},
    429: {"Retry-After": True},
    503: {"Retry-After": False},  # always when the database is out; not when PDF rendering is
}


def _header_refs(headers: Iterable[str] | dict[str, bool]) -> dict[str, dict[str, Any]]:
    required = headers if isinstance(headers, dict) else dict.fromkeys(headers, True)
    for name in required:
        if name not in HEADERS:
            raise KeyError(f"header {name!r} is not described in app.edge.contract.HEADERS")
    # A header object that is only a $ref cannot say `required`; optional headers stay plain refs.
    return {name: ({**HEADERS[name], "required": True} if always else {"$ref": _HEADERS + name})
            for name, always in required.items()}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for a route's own error answers, all shaped as `Problem`."""
    return {status: {"model": Problem, "description": PROBLEM_TEXT[status],
                     "content": {PROBLEM_MEDIA_TYPE: {}},
                     **({"headers": _header_refs(PROBLEM_HEADERS[status])}
                        if status in PROBLEM_HEADERS else {})}
            for status in statuses}


def answers(status: int, description: str, *, headers: Iterable[str] | dict[str, bool] = (),
            model: type[BaseModel] | None = None,
            content: dict[str, Any] | None = None) -> dict[int | str, dict[str, Any]]:
    """An OpenAPI entry for a success answer: its description, headers and media types."""
    entry: dict[str, Any] = {"description": description}
    if model is not None:
        entry["model"] = model
    if content is not None:
        entry["content"] = content
    if headers:
        entry["headers"] = _header_refs(headers)
    return {status: entry}


# Models a route names in `content` itself (not as its response_model), for the components.
_REFERENCED: dict[str, type[BaseModel]] = {}


def schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """A content entry that refers to `model`'s schema, which `finish_document` then includes."""
    _REFERENCED[model.__name__] = model
    return {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}


def binary(*media_types: str) -> dict[str, Any]:
    """Content entries for raw bytes in each of these media types."""
    return {media_type: {"schema": {"type": "string", "format": "binary"}} for media_type in media_types}


# What a dependency lets a route answer, wherever in the route's dependency tree it sits.
_BY_DEPENDENCY: list[tuple[Callable[..., Any], tuple[int, ...]]] = [
    (any_caller, (401, 429, 503)),  # the credential lookup reads the database
    (partner_caller, (403,)),
    (get_session, (503,)),
    (get_write_session, (503,)),
    (idempotency, (409, 422)),
]


# A dependency that does the work of others itself (one node for a busy route) -> those others.
_STANDS_FOR: dict[Callable[..., Any], tuple[Callable[..., Any], ...]] = {}


def stands_for(*dependencies: Callable[..., Any]):
    """Mark a dependency that does these dependencies' work itself (authenticates, claims the
    Idempotency-Key...): a route declaring it is documented with their answers."""
    def mark(dependency):
        _STANDS_FOR[dependency] = dependencies
        return dependency
    return mark


def _calls(dependant) -> set[Callable[..., Any]]:
    found = set()
    for sub in dependant.dependencies:
        found.add(sub.call)
        found.update(_STANDS_FOR.get(sub.call, ()))
        found |= _calls(sub)
    return found


def _has_input(route: APIRoute) -> bool:
    dependant = route.dependant
    stack, params = [dependant], []
    while stack:
        current = stack.pop()
        params += [*current.path_params, *current.query_params, *current.header_params,
                   *current.body_params]
        stack += current.dependencies
    return bool(params) or route.body_field is not None


def _is_multipart(route: APIRoute) -> bool:
    return route.body_field is not None and any(
        type(field.field_info).__name__ in ("Form", "File") for field in route.dependant.body_params)


def _api_routes(routes: Iterable[Any]) -> Iterable[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # FastAPI keeps an included router as one route
            yield from _api_routes(route.original_router.routes)


def document_routes(app: FastAPI) -> None:
    """Add to each route's documented answers every status its dependencies can give."""
    for route in _api_routes(app.routes):
        calls = _calls(route.dependant)
        statuses: set[int] = set()
        for dependency, answered in _BY_DEPENDENCY:
            if dependency in calls:
                statuses.update(answered)
        if _has_input(route):
            statuses.add(422)
        if _is_multipart(route):
            statuses.update((400, 413))
        for status, entry in problems(*sorted(statuses)).items():
            route.responses.setdefault(status, entry)
        if idempotency in calls:
            # Any success may be the stored answer to an earlier try with the same key.
            for status in [route.status_code or 200, *route.responses]:
                if isinstance(status, int) and 200 <= status < 300:
                    entry = route.responses.setdefault(status, {"description": "Success"})
                    entry.setdefault("headers", {}).setdefault(
                        "Idempotent-Replayed", {"$ref": _HEADERS + "Idempotent-Replayed"})


TAGS = [
    {"name": "cases", "description": "Open a case, post what happens, read its status and advice"},
    {"name": "evaluation", "description": "Evaluate an intake and its events without storing anything"},
    {"name": "evidence", "description": "Files kept as evidence, and the integrity check of a case's record"},
    {"name": "dossier", "description": "The case written up for a regulator, a hotline or the police"},
    {"name": "access", "description": "Case tokens for the end user's own app, and the audit trail"},
    {"name": "webhooks", "description": "Notifications of status, risk and deadline changes"},
    {"name": "rules", "description": "The loaded ruleset and every action it can recommend"},
    {"name": "platforms", "description": "Peer signals: what other cases report about a platform, bucketed, before a case is opened"},
    {"name": "health", "description": "Liveness, readiness and Prometheus metrics (no credentials)"},
    {"name": "webapp", "description": "The page for the person who is stuck, and the labels it shows"},
]
SERVERS = [{"url": "http://127.0.0.1:8000", "description": "`make run` on this machine (see the README to pick another port)"}]
CONTACT = {"name": "StuckFunds maintainers"}
LICENSE = {"name": "Proprietary"}

_OPERATIONS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}

_CASE_FROM_BODY = {"case_id": "$response.body#/id"}
_CASE_FROM_PATH = {"case_id": "$request.path.case_id"}
_A_CASE = ["cases-get_case", "cases-update_case", "cases-append_event", "cases-list_events",
           "evidence-upload_evidence", "evidence-list_evidence", "evidence-verify_case",
           "dossier-get_dossier", "access-issue_token", "access-list_tokens", "access-case_audit"]
# OpenAPI links: where the ids in an answer lead next (generated clients and fuzzers follow them).
LINKS: list[tuple[str, str, list[str], dict[str, str]]] = [
    ("cases-open_case", "201", _A_CASE, _CASE_FROM_BODY),
    ("cases-update_case", "200", _A_CASE, _CASE_FROM_BODY),
    ("cases-append_event", "201", ["cases-get_event"], {**_CASE_FROM_PATH, "seq": "$response.body#/event/seq"}),
    ("evidence-upload_evidence", "201", ["evidence-get_evidence", "evidence-download_evidence"],
     {**_CASE_FROM_PATH, "evidence_id": "$response.body#/id"}),
    ("access-issue_token", "201", ["access-revoke_token"], {**_CASE_FROM_PATH, "token_id": "$response.body#/id"}),
    ("webhooks-subscribe", "201", ["webhooks-get_webhook", "webhooks-list_deliveries", "webhooks-unsubscribe"],
     {"webhook_id": "$response.body#/id"}),
]


def _add_links(document: dict[str, Any]) -> None:
    by_id = {op["operationId"]: op for item in document.get("paths", {}).values()
             for method, op in item.items() if method in _OPERATIONS}
    for source, status, targets, parameters in LINKS:
        response = by_id[source]["responses"][status]
        response["links"] = {
            target.split("-", 1)[1]: {"operationId": target, "parameters": {
                name: value for name, value in parameters.items()
                if any(p["name"] == name for p in by_id[target].get("parameters", []))}}
            for target in targets}


def finish_document(document: dict[str, Any]) -> dict[str, Any]:
    """What belongs to every answer or to the document as a whole. Idempotent."""
    components = document.setdefault("components", {})
    if _REFERENCED:
        _, defs = models_json_schema([(model, "serialization") for model in _REFERENCED.values()],
                                     ref_template="#/components/schemas/{model}")
        for name, schema in defs.get("$defs", {}).items():
            components.setdefault("schemas", {}).setdefault(name, schema)
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            if method not in _OPERATIONS:
                continue
            # An operation that declares no credential is open, and says so.
            operation.setdefault("security", [])
            for response in operation.get("responses", {}).values():
                # The request-context middleware puts it on every answer, errors included.
                response.setdefault("headers", {})["X-Request-ID"] = {**HEADERS["X-Request-ID"],
                                                                      "required": True}
            body = operation.get("requestBody", {}).get("content", {}).get("multipart/form-data")
            if body:
                _binary_file_parts(document, body.get("schema", {}))
    _add_links(document)
    # Headers sent only sometimes are referred to by name (a reference cannot say `required`).
    text = json.dumps(document)
    components["headers"] = {name: spec for name, spec in HEADERS.items()
                             if f'"{_HEADERS}{name}"' in text}
    return document


def _binary_file_parts(document: dict[str, Any], schema: dict[str, Any]) -> None:
    # OpenAPI 3.1 says "bytes" with contentMediaType alone; generated clients read format: binary
    # and would otherwise send the file as a text field.
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    for prop in schema.get("properties", {}).values():
        if prop.get("contentMediaType") == "application/octet-stream":
            prop["format"] = "binary"
