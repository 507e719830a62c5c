"""Cases, request edge: the case a route names, found for its caller or 404 (`case-not-found`).

Every route with a `{case_id}` declares one of these, so none can forget whose case it is:
an API key reaches its client's cases, a case token its one case, and anyone else's case is
answered exactly like a missing one.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Path, Request
from pydantic import StringConstraints, TypeAdapter, ValidationError

from app.cases import repository
from app.cases.repository import CaseToWrite
from app.db.models import Case
from app.edge.session import ReadSession
from app.auth.actor import Actor
from app.edge.auth import Bearer, CaseCaller, Caller, CurrentCaller, actor_of, any_caller, authenticate
from app.edge.contract import stands_for
from app.edge.deps import AcceptLanguage, get_locale, get_raw_body, now_of, warning_lead_of
from app.edge.idempotency import IDEMPOTENCY_KEY_MAX_LENGTH, Idempotency, claim_key, idempotency
from app.errors import CaseNotFound
from app.evaluation import CompiledRuleset
from app.locales import Locale as Language
from app.peers.service import PeerPolicy

# A route with a second path parameter names `case_id: CaseId` itself, before it, so that the
# contract lists the case first (generated clients take path parameters in that order); it is the
# same parameter the dependency reads, and the case itself still comes from the dependency.
CaseId = Annotated[uuid.UUID, Path()]


def _readable(session, caller: Caller, case_id: uuid.UUID) -> Case:
    case = (repository.get_case(session, client_id=caller.client_id, case_id=case_id, check=caller.check)
            if caller.may_see(case_id) else None)
    if case is None:
        raise CaseNotFound()
    return case


def _writable(caller: Caller, case_id: uuid.UUID) -> CaseToWrite:
    # No query here: a write's first statement takes the database's write lock (BEGIN IMMEDIATE
    # on SQLite, the row lock on PostgreSQL), and a dependency runs in a worker thread of its own.
    # Locking there would hold the lock while the route waits for a thread (see
    # cases.router._written); the service locks the case in the route's thread instead.
    if not caller.may_see(case_id):
        raise CaseNotFound()
    return CaseToWrite(client_id=caller.client_id, id=case_id, check=caller.check)


def case_for_caller(case_id: CaseId, caller: CaseCaller, session: ReadSession) -> Case:
    """The case, for its partner's API key or its own case token."""
    return _readable(session, caller, case_id)


def case_for_partner(case_id: CaseId, caller: CurrentCaller, session: ReadSession) -> Case:
    """The case, for its partner's API key only (403 for a case token)."""
    return _readable(session, caller, case_id)


async def case_to_write(case_id: CaseId, caller: CaseCaller) -> CaseToWrite:
    """The case to change, for its partner's API key or its own case token."""
    return _writable(caller, case_id)


async def case_to_write_for_partner(case_id: CaseId, caller: CurrentCaller) -> CaseToWrite:
    """The case to change, for its partner's API key only (403 for a case token)."""
    return _writable(caller, case_id)


CaseForCaller = Annotated[Case, Depends(case_for_caller)]
CaseForPartner = Annotated[Case, Depends(case_for_partner)]
WritableCase = Annotated[CaseToWrite, Depends(case_to_write)]
WritableCaseForPartner = Annotated[CaseToWrite, Depends(case_to_write_for_partner)]


@dataclass(frozen=True, slots=True)
class CaseRouteInputs:
    """The pure inputs of the two busiest routes (a case read, an event post).

    They read only the app's state, the clock and Accept-Language. The clock stays `get_now`
    (tests replace it; `now_of` reads the replacement).
    """

    ruleset: CompiledRuleset
    now: datetime
    locale: Language | None
    warning_lead: timedelta
    max_events: int
    peers: PeerPolicy | None


async def _inputs(request: Request, accept_language: str | None) -> CaseRouteInputs:
    state = request.app.state
    settings = state.settings
    return CaseRouteInputs(
        ruleset=state.ruleset, now=await now_of(request), locale=await get_locale(accept_language),
        warning_lead=warning_lead_of(settings), max_events=settings.case_max_events,
        peers=PeerPolicy.from_settings(settings))



# The two busiest routes each declare one dependency, which gives them everything: FastAPI solves
# every node of a route's dependency graph on every request (and `any_caller` again under each
# node that declares it), so one node that authenticates once is the cheaper graph. The contract
# is the same: the bearer scheme, the path parameter and the headers, in the same order.


@dataclass(frozen=True, slots=True)
class CaseReadRequest:
    """What a case read needs: the case to read (for key or token) and the route's pure inputs."""

    target: CaseToWrite
    inputs: CaseRouteInputs


@stands_for(any_caller)
async def case_read_request(request: Request, case_id: CaseId, credentials: Bearer,
                            accept_language: AcceptLanguage = None) -> CaseReadRequest:
    caller = await authenticate(request, credentials)
    return CaseReadRequest(target=_writable(caller, case_id), inputs=await _inputs(request, accept_language))


@dataclass(frozen=True, slots=True)
class EventPostRequest:
    """What an event post needs: the case to change (for key or token), the body as posted,
    who acts, the Idempotency-Key's claim and the route's pure inputs."""

    target: CaseToWrite | None  # None only when the route answers 422 for its case_id
    raw: dict
    actor: Actor
    idem: Idempotency
    inputs: CaseRouteInputs


@stands_for(any_caller, idempotency)
async def event_post_request(request: Request, credentials: Bearer,
                             accept_language: AcceptLanguage = None) -> EventPostRequest:
    """The route itself declares `case_id` and `Idempotency-Key` (FastAPI validates a route's own
    parameters after its dependencies): a malformed one is skipped here, and answered with the
    route's 422, in the order the separate dependencies answered them before (the case first)."""
    caller = await authenticate(request, credentials)
    case_id = _valid(_CASE_ID, request.path_params.get("case_id"))
    target = _writable(caller, case_id) if case_id is not None else None
    raw = await get_raw_body(request)
    actor = actor_of(request, caller)
    key = _valid(_IDEMPOTENCY_KEY, request.headers.get("idempotency-key"))
    idem = await claim_key(request, caller, key)
    return EventPostRequest(target=target, raw=raw, actor=actor, idem=idem,
                            inputs=await _inputs(request, accept_language))


_CASE_ID = TypeAdapter(uuid.UUID)
_IDEMPOTENCY_KEY = TypeAdapter(Annotated[str, StringConstraints(max_length=IDEMPOTENCY_KEY_MAX_LENGTH)])


def _valid(adapter: TypeAdapter, value: str | None):
    if value is None:
        return None
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return None


CaseToRead = Annotated[CaseReadRequest, Depends(case_read_request)]
EventPost = Annotated[EventPostRequest, Depends(event_post_request)]
