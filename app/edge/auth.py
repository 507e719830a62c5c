"""Authentication, request edge: turn `Authorization: Bearer` into the caller, and throttle it.

Two kinds of caller: a partner app with its API key (all of its own cases), and an end
user's phone with a case token (one case, nothing else).
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from app.auth.actor import Actor
from app.auth.credential_cache import CredentialCheck
from app.auth.ratelimit import client_address, refuse_if_failing_too_often
from app.auth.service import TOKEN_PREFIX, Credential, hash_secret, resolve_digest
from app.errors import Forbidden, TooManyRequests, Unauthorized

_bearer = HTTPBearer(auto_error=False, description=(
    "An API key from `stuckfunds clients create`, or a case token (`sfct_...`) for one case"))


@dataclass(frozen=True)
class Caller:
    client_id: uuid.UUID
    kind: str  # api_key | case_token
    credential_id: uuid.UUID
    prefix: str  # safe to log and to show in the audit trail
    case_id: uuid.UUID | None = None  # the one case a case token reaches
    # Served from the credential cache: the route's case statement confirms it (app.auth.service.confirm).
    check: CredentialCheck | None = field(default=None, repr=False, compare=False)

    @property
    def scope(self) -> str:
        """Namespace for idempotency keys: one per key holder (a client, or one token)."""
        return f"case_token:{self.credential_id}" if self.kind == "case_token" else f"client:{self.client_id}"

    def may_see(self, case_id: uuid.UUID) -> bool:
        return self.case_id is None or self.case_id == case_id


# Routes whose case statement reads the credential epoch and confirms a cached credential with it
# (app.auth.credential_cache); only they are served from the cache, every other route looks up.
_CONFIRMED_WITH_THE_CASE: set = set()


def confirms_credential(endpoint):
    """Mark a route whose case lookup confirms the caller's cached credential (see above)."""
    _CONFIRMED_WITH_THE_CASE.add(endpoint)
    return endpoint


def confirming_routes(app) -> list[tuple]:
    """(path pattern, methods) of the marked routes, for the edge to recognize before routing."""
    found, todo = [], list(app.router.routes)
    while todo:
        route = todo.pop()
        if hasattr(route, "original_router"):  # an included router
            todo.extend(route.original_router.routes)
        elif getattr(route, "endpoint", None) in _CONFIRMED_WITH_THE_CASE:
            found.append((route.path_regex, frozenset(route.methods or ())))
    return found


def _confirms(scope) -> bool:
    routes = getattr(scope["app"].state, "confirming_routes", None)
    if routes is None:
        routes = scope["app"].state.confirming_routes = confirming_routes(scope["app"])
    return any(scope["method"] in methods and pattern.match(scope["path"]) for pattern, methods in routes)


def _lookup(sessions, digest: str, token: bool, now: datetime) -> tuple[Credential | None, int | None]:
    # A statement outside the request's transaction: the lookup never holds its write lock.
    with sessions() as session:
        return resolve_digest(session=session, digest=digest, token=token, now=now)


async def lookup_credential(scope, secret: str) -> Credential | None:
    """The credential a secret belongs to: from the cache on routes that confirm it, else the database."""
    state = scope["app"].state
    digest, now = hash_secret(secret), datetime.now(timezone.utc)
    if _confirms(scope):
        cached = state.credential_cache.get(digest, now)
        if cached is not None:
            scope.setdefault("state", {})["credential_check"] = cached[1]
            return cached[0]
    credential, epoch = await run_in_threadpool(_lookup, state.sessions, digest,
                                                secret.startswith(TOKEN_PREFIX), now)
    if credential is not None:
        state.credential_cache.put(digest, credential, epoch)
    return credential


async def _count(limiter, call, *args):
    # A shared (Redis) limiter does network I/O: off the event loop. In memory it is a dict.
    return await run_in_threadpool(call, *args) if limiter.shared else call(*args)


Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def authenticate(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Caller:
    """The caller behind `Authorization: Bearer`, counted against its rate limit (401 or 429 else).

    Called by `any_caller`, and directly by the one dependency of a busy route (declaring `Bearer`
    itself), so that the caller is solved once per request.
    """
    challenge = {"WWW-Authenticate": 'Bearer realm="stuckfunds"'}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Send an API key or a case token as `Authorization: Bearer <secret>`.",
                           headers=challenge)
    limiter = request.app.state.rate_limiter
    address = client_address(request.scope)
    # Requests with a body were authenticated before it was read (app.edge.bodylimit); the others here.
    credential: Credential | None = getattr(request.state, "credential", None)
    if credential is None:
        await _count(limiter, refuse_if_failing_too_often, limiter, address)
        # A revoked key fails on the very next request: the lookup, or the route's case statement
        # for a cached credential (app.auth.credential_cache).
        credential = await lookup_credential(request.scope, credentials.credentials)
    if credential is None:
        await _count(limiter, limiter.hit, "auth_failure", address)
        raise Unauthorized("The API key or case token is unknown, expired or revoked.",
                           headers=challenge)
    caller = Caller(client_id=credential.client_id, kind=credential.kind,
                    credential_id=credential.id, prefix=credential.prefix, case_id=credential.case_id,
                    check=getattr(request.state, "credential_check", None))
    request.state.caller = caller
    wait = await _count(limiter, limiter.hit, caller.kind, str(caller.credential_id))
    if wait is not None:
        raise TooManyRequests(f"Too many requests for this {caller.kind.replace('_', ' ')}; "
                              f"retry in {wait} s.", headers={"Retry-After": str(wait)})
    return caller


async def any_caller(request: Request, credentials: Bearer) -> Caller:
    return await authenticate(request, credentials)


async def partner_caller(caller: Annotated[Caller, Depends(any_caller)]) -> Caller:
    if caller.kind != "api_key":
        raise Forbidden("A case token reaches its own case only; this needs the partner's API key.")
    return caller


# Routes about one case accept a case token; everything else needs the partner's key.
CaseCaller = Annotated[Caller, Depends(any_caller)]
CurrentCaller = Annotated[Caller, Depends(partner_caller)]


def actor_of(request: Request, caller: Caller) -> Actor:
    """The caller as the audit trail records it."""
    return Actor(client_id=caller.client_id, kind=caller.kind, prefix=caller.prefix,
                 request_id=getattr(request.state, "request_id", None))


async def acting_as(request: Request, caller: Annotated[Caller, Depends(any_caller)]) -> Actor:
    return actor_of(request, caller)


ActingAs = Annotated[Actor, Depends(acting_as)]
