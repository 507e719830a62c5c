"""Request edge: authenticate before a body is read, then cap the body as it streams in.

FastAPI reads and parses a body before it solves any dependency, so authentication in a
dependency came too late: an anonymous client could make a worker read and parse 20 MiB. Here a
request that may carry a body (POST, PUT, PATCH, DELETE under /v1/) is authenticated first and
refused with 401 without reading a byte of it. Then its bytes are counted as the route reads
them: a declared Content-Length over the cap is refused at once, a stream that goes past it is
cut off, and both answer 413. Nothing is buffered here; the multipart parser spools files to disk.

Pure ASGI, inside RequestContextMiddleware (which logs the status this sends).
"""

import re

from fastapi.security.utils import get_authorization_scheme_param
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.requests import Request
from starlette._utils import get_route_path
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth.service import Credential
from app.auth.ratelimit import client_address, refuse_if_failing_too_often
from app.edge.auth import lookup_credential
from app.edge.idempotency import Fingerprint, fingerprint_target
from app.errors import PayloadTooLarge, ProblemError, Unauthorized
from app.edge.problems import problem_response

_WITH_BODY = {"POST", "PUT", "PATCH", "DELETE"}
_UPLOAD = re.compile(r"^/v1/cases/[^/]+/evidence/?$")
# Room for the multipart framing and the text fields around the file itself.
FORM_OVERHEAD = 256 * 1024
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="stuckfunds"'}
_UNKNOWN = object()  # the credential could not be looked up (the database is down)


class BodyTooLarge(PayloadTooLarge):
    title = "The request body is too large"


def _too_large(cap: int) -> BodyTooLarge:
    return BodyTooLarge(f"The request body is larger than {cap} bytes.", field="body", limit=cap)


class _TooLarge(Exception):
    """The body went past its cap while the route was reading it."""


def body_cap(scope: Scope) -> int:
    """The most bytes this request's body may have: the evidence limit for uploads, else the JSON cap."""
    settings = scope["app"].state.settings
    if scope["method"] == "POST" and _UPLOAD.match(scope["path"]):
        return settings.evidence_max_bytes + FORM_OVERHEAD
    return settings.max_json_bytes


class _RouteTable:
    """Whether a route takes this method and path: one regular expression per method.

    The router answers the same question by asking each route in turn, and it asks it again
    after this edge; here it is asked on every request with a body, so the routes' patterns are
    joined once. A route that is not a plain one (a mount, a router included under a prefix)
    is asked as the router asks it.
    """

    def __init__(self, routes) -> None:
        patterns: dict[str, list[str]] = {}
        self.others = []
        todo = list(routes)
        while todo:
            route = todo.pop()
            included = getattr(route, "original_router", None)
            if included is not None and not route.include_context.prefix:
                todo.extend(included.routes)
                continue
            regex, methods = getattr(route, "path_regex", None), getattr(route, "methods", None)
            if included is None and regex is not None and methods:
                for method in methods:
                    # Group names repeat across routes; an alternation needs them anonymous.
                    patterns.setdefault(method, []).append(_NAMED_GROUP.sub("(?:", regex.pattern))
            else:
                self.others.append(route)
        self.by_method = {method: re.compile("|".join(f"(?:{p})" for p in found))
                          for method, found in patterns.items()}

    def routed(self, scope: Scope) -> bool:
        pattern = self.by_method.get(scope["method"])
        return bool(pattern is not None and pattern.match(get_route_path(scope))) or any(
            route.matches(scope)[0] == Match.FULL for route in self.others)


_NAMED_GROUP = re.compile(r"\(\?P<\w+>")


def _routed(scope: Scope) -> bool:
    state = scope["app"].state
    table = getattr(state, "body_route_table", None)
    if table is None:
        table = state.body_route_table = _RouteTable(scope["app"].router.routes)
    return table.routed(scope)


def _secret(scope: Scope) -> str | None:
    for name, value in scope.get("headers") or ():
        if name == b"authorization":
            scheme, secret = get_authorization_scheme_param(value.decode("latin-1"))
            return secret if scheme.lower() == "bearer" and secret else None
    return None


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] not in _WITH_BODY
                or not scope["path"].startswith("/v1/") or not _routed(scope)):
            # No route takes it: the router answers 404 or 405 without reading the body.
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        secret = _secret(scope)
        limiter, address = scope["app"].state.rate_limiter, client_address(scope)
        try:
            if secret:
                refuse_if_failing_too_often(limiter, address)
        except ProblemError as error:
            await self._problem(error, request, scope, receive, send)
            return
        try:
            credential = await lookup_credential(scope, secret) if secret else None
        except (DBAPIError, PoolTimeout):
            # The database is down: the route's own authentication meets the same error and
            # answers it as the app does (503 with Retry-After); the body stays capped meanwhile.
            credential = _UNKNOWN
        if credential is None:
            if secret:
                try:
                    limiter.hit("auth_failure", address)
                except ProblemError as error:  # Redis down and refusing: that answer, not a 401
                    await self._problem(error, request, scope, receive, send)
                    return
            detail = ("The API key or case token is unknown, expired or revoked." if secret else
                      "Send an API key or a case token as `Authorization: Bearer <secret>`.")
            await self._problem(Unauthorized(detail, headers=CHALLENGE), request, scope, receive, send)
            return
        if credential is not _UNKNOWN:
            scope.setdefault("state", {})["credential"] = credential
        cap = body_cap(scope)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            await self._problem(_too_large(cap), request, scope, receive, send)
            return
        fingerprint = (Fingerprint(scope["method"], fingerprint_target(scope["path"], scope["query_string"].decode("latin-1")),
                                   request.headers.get("content-type", ""))
                       if request.headers.get("idempotency-key") else None)
        state = {"received": 0, "over": False, "answered": False}

        async def counted() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                state["received"] += len(chunk)
                if state["received"] > cap:
                    state["over"] = True
                    raise _TooLarge()
                if fingerprint is not None:
                    fingerprint.update(chunk)
                    if not message.get("more_body", False):
                        # The whole body has passed: idempotency reads this instead of the bytes.
                        scope["state"]["body_fingerprint"] = fingerprint.hexdigest()
            return message

        async def guarded_send(message: Message) -> None:
            # Whatever the route made of the cut-off stream (a parse error, most likely) is replaced.
            if state["over"]:
                if not state["answered"]:
                    state["answered"] = True
                    too_large = _too_large(cap)
                    await problem_response(413, too_large.code, too_large.title, too_large.detail,
                                           request, **too_large.extra)(scope, receive, send)
                return
            await send(message)

        try:
            await self.app(scope, counted, guarded_send)
        except Exception:
            if not state["over"]:
                raise
        if state["over"] and not state["answered"]:
            await guarded_send({"type": "http.response.start"})

    @staticmethod
    async def _problem(error, request: Request, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(error.status, error.code, error.title, error.detail, request,
                                    headers=error.headers, **error.extra)
        await response(scope, receive, send)


_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying",
                                "schema": {"type": "integer"}}}
_EDGE_ANSWERS = {
    "413": ("The body is larger than its cap (max_json_bytes; for uploads, evidence_max_bytes)", None),
    "429": ("Too many requests for this API key or case token", _RETRY_AFTER),
    "503": ("A dependency is down: the database, or Redis when rate_limit_redis_down=refuse", _RETRY_AFTER),
}


def edge_answers_in_openapi(document: dict) -> dict:
    """Document what the request edge may answer on any /v1 route: 429 and 503, and 413 with a body.

    Idempotent, so it may run on the cached document.
    """
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, operations in document.get("paths", {}).items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status, (description, headers) in _EDGE_ANSWERS.items():
                if status == "413" and method.upper() not in _WITH_BODY:
                    continue
                if status not in responses:
                    responses[status] = {"description": description, "content": problem,
                                         **({"headers": headers} if headers else {})}
    return document
