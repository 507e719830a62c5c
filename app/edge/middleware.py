"""Request edge: request ids, JSON access logs, and problems for unexpected errors.

Pure ASGI middleware, so streaming bodies pass through untouched. It sits inside CORS, which
is why even an unexpected 500 reaches a browser with its CORS headers.
"""

import json
import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.metrics import observe_request
from app.edge.problems import PROBLEM_MEDIA_TYPE

log = logging.getLogger("stuckfunds.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = ""
        for name, value in scope.get("headers") or ():  # one header wanted: no dict of them all
            if name == b"x-request-id":
                offered = value.decode("latin-1")
                break
        request_id = offered if _REQUEST_ID.match(offered) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = {"code": 500, "sent": False}
        id_header = (b"x-request-id", request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"], status["sent"] = message["status"], True
                message = {**message, "headers": [*message.get("headers", ()), id_header]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error", extra={"request_id": request_id})
            if status["sent"]:
                raise
            body = json.dumps({"type": "urn:stuckfunds:problem:internal-error",
                               "title": "Internal server error", "status": 500, "detail": None,
                               "instance": scope["path"], "code": "internal-error",
                               "request_id": request_id}).encode()
            await send_with_id({"type": "http.response.start", "status": 500, "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode())]})
            await send_with_id({"type": "http.response.body", "body": body})
        finally:
            seconds = time.perf_counter() - started
            caller = scope.get("state", {}).get("caller")
            route = scope.get("route")  # set by the router: the template, never the raw path
            observe_request(method=scope["method"], route=getattr(route, "path", None),
                            status=status["code"], seconds=seconds)
            # Paths hold only ids; keys, tokens and bodies are never logged.
            log.info("request", extra={
                "request_id": request_id, "method": scope["method"], "path": scope["path"],
                "status": status["code"], "duration_ms": round(seconds * 1000, 1),
                "client_id": str(caller.client_id) if caller else None,
                "credential": caller.prefix if caller else None,
                "case_id": (scope.get("path_params") or {}).get("case_id"),
            })
