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

from app.cases import repository
from app.cases.repository import CaseToWrite
from app.db.models import Case
from app.edge.session import ReadSession
from app.edge.auth import CaseCaller, Caller, CurrentCaller
from app.edge.deps import AcceptLanguage, get_locale, now_of, warning_lead_of
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


async def case_to_read(case_id: CaseId, caller: CaseCaller) -> CaseToWrite:
    """The case to read in the route's own transaction (repository.read_case), for key or token."""
    return _writable(caller, case_id)


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
# For an `async` route that loads the case itself, in its one trip to the thread pool.
ReadableCase = Annotated[CaseToWrite, Depends(case_to_read)]
CaseForPartner = Annotated[Case, Depends(case_for_partner)]
WritableCase = Annotated[CaseToWrite, Depends(case_to_write)]
WritableCaseForPartner = Annotated[CaseToWrite, Depends(case_to_write_for_partner)]


@dataclass(frozen=True, slots=True)
class CaseRouteInputs:
    """The pure inputs of the two busiest routes (a case read, an event post), as one dependency.

    Each dependency FastAPI solves costs CPU on every request; these read only the app's state,
    the clock and Accept-Language, so one node gives them all. The clock stays `get_now` (tests
    replace it; `now_of` reads the replacement); the contract is unchanged (the same Accept-Language header).
    """

    ruleset: CompiledRuleset
    now: datetime
    locale: Language | None
    warning_lead: timedelta
    max_events: int
    peers: PeerPolicy | None


async def case_route_inputs(request: Request, accept_language: AcceptLanguage = None) -> CaseRouteInputs:
    state = request.app.state
    settings = state.settings
    return CaseRouteInputs(
        ruleset=state.ruleset, now=await now_of(request), locale=await get_locale(accept_language),
        warning_lead=warning_lead_of(settings), max_events=settings.case_max_events,
        peers=PeerPolicy.from_settings(settings))


CaseInputs = Annotated[CaseRouteInputs, Depends(case_route_inputs)]
