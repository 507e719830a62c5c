"""Authentication, request edge: turn `Authorization: Bearer` into the caller, and throttle it.

Two kinds of caller: a partner app with its API key (all of its own cases), and an end
user's phone with a case token (one case, nothing else).
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth.actor import Actor
from app.auth.ratelimit import client_address, refuse_if_failing_too_often
from app.auth.service import Credential, resolve
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

    @property
    def scope(self) -> str:
        """Namespace for idempotency keys: one per key holder (a client, or one token)."""
        return f"case_token:{self.credential_id}" if self.kind == "case_token" else f"client:{self.client_id}"

    def may_see(self, case_id: uuid.UUID) -> bool:
        return self.case_id is None or self.case_id == case_id


def any_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    challenge = {"WWW-Authenticate": 'Bearer realm="stuckfunds"'}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Send an API key or a case token as `Authorization: Bearer <secret>`.",
                           headers=challenge)
    limiter = request.app.state.rate_limiter
    address = client_address(request.scope)
    # Requests with a body were authenticated before it was read (app.edge.bodylimit); the others here.
    credential: Credential | None = getattr(request.state, "credential", None)
    if credential is None:
        refuse_if_failing_too_often(limiter, address)
        # A short-lived session of its own: the lookup never holds the request's write lock, and
        # a revoked key fails on the very next request (nothing is cached).
        with request.app.state.sessions() as session:
            credential = resolve(session=session, secret=credentials.credentials,
                                 now=datetime.now(timezone.utc))
    if credential is None:
        limiter.hit("auth_failure", address)
        raise Unauthorized("The API key or case token is unknown, expired or revoked.",
                           headers=challenge)
    caller = Caller(client_id=credential.client_id, kind=credential.kind,
                    credential_id=credential.id, prefix=credential.prefix, case_id=credential.case_id)
    request.state.caller = caller
    wait = limiter.hit(caller.kind, str(caller.credential_id))
    if wait is not None:
        raise TooManyRequests(f"Too many requests for this {caller.kind.replace('_', ' ')}; "
                              f"retry in {wait} s.", headers={"Retry-After": str(wait)})
    return caller


def partner_caller(caller: Annotated[Caller, Depends(any_caller)]) -> Caller:
    if caller.kind != "api_key":
        raise Forbidden("A case token reaches its own case only; this needs the partner's API key.")
    return caller


# Routes about one case accept a case token; everything else needs the partner's key.
CaseCaller = Annotated[Caller, Depends(any_caller)]
CurrentCaller = Annotated[Caller, Depends(partner_caller)]


def acting_as(request: Request, caller: Annotated[Caller, Depends(any_caller)]) -> Actor:
    """The caller as the audit trail records it."""
    return Actor(client_id=caller.client_id, kind=caller.kind, prefix=caller.prefix,
                 request_id=getattr(request.state, "request_id", None))


ActingAs = Annotated[Actor, Depends(acting_as)]
