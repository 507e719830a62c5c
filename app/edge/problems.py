"""Request edge: every error rendered once as an RFC 9457 problem (application/problem+json)."""

import json
import logging
from collections.abc import Collection
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.errors import ProblemError

PROBLEM_MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("stuckfunds.errors")


class FieldError(BaseModel):
    field: str
    pointer: str
    message: str
    code: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    code: str
    errors: list[FieldError] | None = None


def problem_response(status: int, code: str, title: str, detail: str | None, request: Request,
                     headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {"type": f"urn:stuckfunds:problem:{code}", "title": title, "status": status,
            "detail": detail, "instance": request.url.path, "code": code, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)



_SCHEMAS = "#/components/schemas/"


def problems_in_openapi(document: dict[str, Any]) -> dict[str, Any]:
    """File every documented error under `application/problem+json`, shaped as it is sent.

    FastAPI puts a response `model` under the route's own media type (application/json), and gives
    any route with parameters but no declared 422 its own `HTTPValidationError`, a shape this API
    never sends. Idempotent, so it may run on the cached document.
    """
    schemas = document.get("components", {}).get("schemas", {})
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            if "401" in responses and "429" not in responses:
                # Whatever authenticates counts against a rate limit: the caller's own, or
                # failed authentications from its address (app/edge/auth.py).
                responses["429"] = {"description": "Too Many Requests",
                                    "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": _SCHEMAS + "Problem"}}}}
            for status, response in responses.items():
                content = response.get("content", {})
                if status[:1] not in ("4", "5"):
                    continue
                if "application/json" in content:
                    content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
                media = content.get(PROBLEM_MEDIA_TYPE, {})
                if media.get("schema") == {"$ref": _SCHEMAS + "HTTPValidationError"} and "Problem" in schemas:
                    media["schema"] = {"$ref": _SCHEMAS + "Problem"}
    for unused in ("HTTPValidationError", "ValidationError"):
        if unused in schemas and f'"{_SCHEMAS}{unused}"' not in json.dumps(document):
            del schemas[unused]
    return document


def _pointer(loc: list) -> str:
    """RFC 6901: "" is the whole document ("/" would be a member named ""); escape ~ and /."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in loc)


def _field_errors(exc: RequestValidationError, union_tags: Collection[str]) -> list[dict[str, str]]:
    out = []
    for error in exc.errors():
        loc = [part for part in error.get("loc", ()) if part not in union_tags]
        if loc and loc[0] in ("body", "query", "path", "header"):
            source, loc = loc[0], loc[1:]
        else:
            source = "body"
        if error.get("type") in ("union_tag_invalid", "union_tag_not_found") and loc[-1:] != ["type"]:
            loc = [*loc, "type"]  # pydantic may locate these at the union; the field is `type`
        if error.get("type") == "json_invalid":
            loc = []  # FastAPI puts the character offset here; the field at fault is the whole body
        field = ".".join(str(p) for p in loc) or source
        out.append({
            "field": field if source == "body" else f"{source}.{field}",
            "pointer": _pointer(loc) if source == "body" else "",
            "message": error.get("msg", "invalid"),
            "code": error.get("type", "invalid"),
        })
    return out


def _allowed_methods(request: Request) -> str:
    return ", ".join(method for method in ("GET", "POST", "PATCH", "PUT", "DELETE") if any(
        route.matches({**request.scope, "method": method})[0] == Match.FULL
        for route in request.app.router.routes))


def install_problem_handlers(app: FastAPI, *, union_tags: Collection[str] = ()) -> None:
    """`union_tags`: the tags of discriminated unions, which pydantic puts in an error's location."""

    @app.exception_handler(ProblemError)
    async def _domain(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(exc.status, exc.code, exc.title, exc.detail, request,
                                headers=exc.headers, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _field_errors(exc, union_tags)
        fields = ", ".join(dict.fromkeys(e["field"] for e in errors))
        return problem_response(422, "invalid-request", "The request is not valid",
                                f"Invalid field(s): {fields}", request, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
            # FastAPI's "error parsing the body" (bytes that are not UTF-8): malformed input is
            # a 422 naming the body here, as on the routes that read the raw body themselves.
            return await _invalid(request, RequestValidationError([
                {"type": "json_invalid", "loc": ("body",), "msg": "JSON decode error", "input": None}]))
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            # Starlette names only the first route that matched the path; a path served by
            # several routes (GET and PATCH /v1/cases/{id}) must list them all (RFC 9110).
            headers = {**(headers or {}), "Allow": _allowed_methods(request)}
        code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        return problem_response(exc.status_code, code, str(exc.detail), None, request,
                                headers=headers)

    @app.exception_handler(DBAPIError)
    @app.exception_handler(PoolTimeout)
    async def _database(request: Request, exc: DBAPIError | PoolTimeout) -> JSONResponse:
        # The database is unreachable, dropped the connection, or refused the work for now
        # (OperationalError covers restarts, refused connections, lock timeouts; PoolTimeout,
        # every pooled connection busy): a retry may succeed. Anything else is a bug: 500.
        if isinstance(exc, (OperationalError, PoolTimeout)) or exc.connection_invalidated:
            log.warning("database unavailable on %s %s: %s", request.method, request.url.path,
                        type(getattr(exc, "orig", None) or exc).__name__)
            return problem_response(503, "database-unavailable", "The database is not reachable",
                                    "Retry shortly, with the same Idempotency-Key or event_id so that "
                                    "nothing is stored twice.", request,
                                    headers={"Retry-After": "1"})
        return await _unexpected(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(500, "internal-error", "Internal server error", None, request)
