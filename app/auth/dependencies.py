"""Authentication, request edge: resolve `Authorization: Bearer` into the calling client."""

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth.service import client_for_key
from app.problems import Unauthorized

_bearer = HTTPBearer(auto_error=False, description="An API key issued by `stuckfunds clients create`")


@dataclass(frozen=True)
class Caller:
    client_id: uuid.UUID


def current_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    challenge = {"WWW-Authenticate": 'Bearer realm="stuckfunds"'}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Send an API key as `Authorization: Bearer <key>`.", headers=challenge)
    # A short-lived session of its own: key lookups never hold the request's write lock.
    with request.app.state.sessions() as session:
        client_id = client_for_key(session=session, key=credentials.credentials)
    if client_id is None:
        raise Unauthorized("The API key is unknown or revoked.", headers=challenge)
    return Caller(client_id=client_id)


CurrentCaller = Annotated[Caller, Depends(current_caller)]
