"""Cases, HTTP edge: parse, call one service function, shape the response."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, Response

from app.access.service import issue_token
from app.edge.auth import ActingAs, CaseCaller, CurrentCaller, confirms_credential
from app.cases import repository, service
from app.cases.dependencies import CaseForCaller, CaseId, CaseToRead, EventPost, WritableCase
from app.cases.event_data import CaseEventCreate
from app.cases.intake import CaseCreate
from app.cases.present import present_evaluation, render_appended, render_case
from app.cases.schemas import (
    CasePage, CaseRead, CaseSummary, CaseUpdate, EvaluationRead, EventAppended, EventPage, EventRead,
    WhatIf,
)
from app.db.models import Case
from app.edge.session import ReadSession, WriteSession
from app.edge.session import read as read_in_thread, write as write_in_thread
from app.edge.deps import CurrentRuleset, Locale, Now, WarningLead
from app.locales import DEFAULT_LOCALE
from app.evaluation.model import CaseRiskLevel, CaseStatus
from app.edge.idempotency import IdempotencyGuard, IdempotencyKey
from app.edge.contract import answers, problems
from app.edge.pagination import Cursor, PageLimit, decode_cursor, encode_cursor
from app.errors import Forbidden, InvalidRequest, NotFound
from app.peers.dependencies import PeerSettings
from app.schemas import OffsetDatetime

router = APIRouter(prefix="/v1", tags=["cases"])
# Its own router: a route's tags add to its router's, and the operationId comes from the first.
evaluation_router = APIRouter(prefix="/v1", tags=["evaluation"])
# `seq` is a 32-bit integer column: a larger number is no event of any case, and must not
# reach the database (PostgreSQL and SQLite both raise on an out-of-range parameter).
MAX_SEQ = 2**31 - 1


_etag = service.etag_of
IfMatch = Annotated[str | None, Header(description="The ETag you last read; 412 if the case moved on")]
# PATCH needs If-Match, so the contract marks it required; the server still reads it itself, so
# that a missing one is the 428 of RFC 6585 with the current ETag, not a generic 422.
IfMatchRequired = Annotated[str | None, Header(include_in_schema=False)]
IF_MATCH_REQUIRED = {"name": "If-Match", "in": "header", "required": True, "schema": {"type": "string"},
                     "description": "The ETag you last read (or `*`); 412 if the case moved on, 428 without"}


def _written(body: bytes, *, headers: dict[str, str], status_code: int = 201) -> Response:
    """An answer rendered once (app.cases.present), in the route's own worker thread, while its
    lock is held.

    Returning the model instead would make FastAPI validate it again in a second threadpool task,
    after the row lock (on SQLite, the database write lock) is taken and before the session
    commits. When every worker thread is queued on that lock, the task never starts, and the lock
    is only freed when the queued requests fail (deadlock until the pool or busy timeout). The
    `async` routes go further: lock, work, rendering and commit share one thread
    (app.edge.session.write).
    """
    return Response(body, status_code=status_code, media_type="application/json",
                    headers=headers)


@router.post("/cases", status_code=201, response_model=CaseRead,
             responses={**answers(201, "The case opened, with its first evaluation",
                                  headers=("Location", "ETag")),
                        **problems(409)})
def open_case(body: CaseCreate, caller: CurrentCaller, actor: ActingAs, idem: IdempotencyGuard,
              session: WriteSession, ruleset: CurrentRuleset, now: Now, locale: Locale,
              lead: WarningLead, request: Request, peers: PeerSettings,
              issue_token_: Annotated[bool, Query(alias="issue_token", description=(
                  "Also return a token for this one case, for the end user's own app"))] = False,
              ) -> Response:
    """Open a case from the intake; answers with the case and its first evaluation."""
    if idem.replay:
        return idem.replay
    case = service.open_case(session=session, client_id=caller.client_id, case_in=body,
                             ruleset=ruleset, now=now, warning_lead=lead, actor=actor, peers=peers)
    token = None
    if issue_token_:
        ttl = timedelta(days=request.app.state.settings.case_token_ttl_days)
        token = issue_token(session=session, target=repository.CaseToWrite(case.client_id, case.id),
                            actor=actor, now=now, ttl=ttl)
    read = render_case(case, case.evaluation, ruleset.ruleset, locale or body.locale or DEFAULT_LOCALE,
                       case_token=token)
    return idem.complete(session, _written(read, headers={"Location": f"/v1/cases/{case.id}",
                                                          "ETag": _etag(case)}))


@router.get("/cases", response_model=CasePage)
def list_cases(caller: CurrentCaller, session: ReadSession,
               limit: Annotated[int, Query(ge=1, le=100)] = 20,
               cursor: Annotated[str | None, Query(max_length=200)] = None,
               status: CaseStatus | None = None, risk_level: CaseRiskLevel | None = None) -> CasePage:
    """The caller's cases, newest first, filtered by status or risk."""
    after = service.decode_cursor(cursor) if cursor else None
    cases = repository.list_cases(session, client_id=caller.client_id, limit=limit + 1,
                                  after=after, status=status, risk_level=risk_level)
    page = list(cases[:limit])
    items = [CaseSummary.model_validate({**_summary(c)}) for c in page]
    return CasePage(items=items, next_cursor=service.encode_cursor(page[-1]) if len(cases) > limit else None)


def _summary(case: Case) -> dict:
    return {c: getattr(case, c) for c in CaseSummary.model_fields if c != "amount"} | {
        "amount": f"{case.amount:.2f}"}


@router.get("/cases/{case_id}", response_model=CaseRead,
            responses={**answers(200, "The case and its evaluation", headers=("ETag",)), **problems(404)})
@confirms_credential
async def get_case(read: CaseToRead, request: Request,
                   as_of: Annotated[OffsetDatetime | None, Query(description="Preview another moment (RFC 3339)")] = None,
                   upcoming: Annotated[bool, Query(description=(
                       "Also say what changes at next_transition_at if nothing happens (one more evaluation)"
                   ))] = False,
                   ) -> Response:
    """The case and its evaluation now, or at `as_of` (a preview; nothing is stored)."""

    target, ruleset, now, locale = read.target, read.inputs.ruleset, read.inputs.now, read.inputs.locale

    def work(session) -> Response:
        case = repository.read_case(session, target)
        evaluation = service.current_evaluation(session=session, case=case, ruleset=ruleset, now=now,
                                                as_of=as_of)
        later = service.upcoming_change(session=session, case=case, evaluation=evaluation,
                                        ruleset=ruleset) if upcoming else None
        read = render_case(case, evaluation, ruleset.ruleset, locale or case.locale or DEFAULT_LOCALE, later)
        return _written(read, headers={"ETag": _etag(case)}, status_code=200)

    return await read_in_thread(request, work)


@router.post("/cases/{case_id}/events", status_code=201, response_model=EventAppended,
             responses={**answers(201, "The event stored, with the new evaluation",
                                  headers=("Location", "ETag")),
                        **answers(200, "This `event_id` was already stored: the stored event, "
                                       "nothing stored twice", model=EventAppended,
                                  headers=("Location", "ETag", "Idempotent-Replayed")),
                        **problems(404, 409, 412)})
@confirms_credential
async def append_event(case_id: CaseId, post: EventPost, body: CaseEventCreate, request: Request,
                       if_match: IfMatch = None, idempotency_key: IdempotencyKey = None) -> Response:
    """Append an event to the case's log; answers with the stored event and the new evaluation.

    A resent `event_id` answers 200 with the stored event instead of storing it twice.
    """
    # `case_id` and `idempotency_key` are declared for FastAPI to validate (see event_post_request);
    # `post` carries what they name.
    idem, inputs = post.idem, post.inputs
    if idem.replay:
        return idem.replay
    ruleset, locale = inputs.ruleset, inputs.locale

    def work(session) -> Response:
        result = service.append_event(
            session=session, target=post.target, event_in=body, raw=post.raw,
            ruleset=ruleset, now=inputs.now, warning_lead=inputs.warning_lead, actor=post.actor,
            if_match=if_match, max_events=inputs.max_events, peers=inputs.peers)
        case, event = result.case, result.event
        appended = render_appended(event, result.evaluation_json, ruleset.ruleset,
                                   locale or case.locale or DEFAULT_LOCALE)
        headers = {"Location": f"/v1/cases/{case.id}/events/{event.seq}", "ETag": _etag(case)}
        if result.replayed:
            headers["Idempotent-Replayed"] = "true"
        return idem.complete(session, _written(appended, headers=headers,
                                               status_code=200 if result.replayed else 201))

    return await write_in_thread(request, work)


@router.patch("/cases/{case_id}", response_model=CaseRead,
              responses={**answers(200, "The case as changed", headers=("ETag",)),
                         **problems(403, 404, 409, 412, 428)},
              openapi_extra={"parameters": [IF_MATCH_REQUIRED]})
def update_case(target: WritableCase, body: CaseUpdate, caller: CaseCaller, actor: ActingAs,
                session: WriteSession, ruleset: CurrentRuleset, locale: Locale, now: Now,
                if_match: IfMatchRequired = None) -> Response:
    """Change the case's reference, province or language; requires If-Match (428 without)."""
    changes = body.model_dump(exclude_unset=True)
    if caller.kind == "case_token" and "external_ref" in changes:
        # The reference is the partner's own bookkeeping; the end user may set language and province.
        raise Forbidden("A case token cannot change external_ref.", field="external_ref")
    case = service.update_case(session=session, target=target, changes=changes, if_match=if_match,
                               actor=actor, now=now)
    return _written(render_case(case, case.evaluation, ruleset.ruleset, locale or case.locale or DEFAULT_LOCALE),
                    headers={"ETag": _etag(case)}, status_code=200)


@router.get("/cases/{case_id}/events", response_model=EventPage, responses=problems(404, 422))
def list_events(case: CaseForCaller, session: ReadSession,
                limit: PageLimit = 1000, cursor: Cursor = None) -> EventPage:
    """The case's timeline, in `seq` order, a page at a time (follow `next_cursor`).

    The default page holds every event a case may have under the default cap, so a client
    that reads only `items` still sees the whole timeline.
    """
    (after_seq,) = decode_cursor(cursor, "events", 1) if cursor else (0,)
    if not isinstance(after_seq, int):
        raise InvalidRequest("The cursor is not one this API issued for this list.", field="cursor")
    events = repository.page_events(session, case_id=case.id, after_seq=after_seq, limit=limit + 1)
    page = events[:limit]
    return EventPage(items=[EventRead.model_validate(e) for e in page],
                     next_cursor=encode_cursor("events", page[-1].seq) if len(events) > limit else None)


@router.get("/cases/{case_id}/events/{seq}", response_model=EventRead, responses=problems(404))
def get_event(case_id: CaseId, case: CaseForCaller, seq: Annotated[int, Path(ge=1, le=MAX_SEQ)],
              session: ReadSession) -> EventRead:
    """One event of the case's timeline."""
    event = repository.get_event(session, case_id=case.id, seq=seq)
    if event is None:
        raise NotFound("No such event.")
    return EventRead.model_validate(event)


@evaluation_router.post("/evaluate", response_model=EvaluationRead, responses=problems(409))
def what_if(body: WhatIf, caller: CurrentCaller, ruleset: CurrentRuleset, now: Now,
            locale: Locale) -> EvaluationRead:
    """Evaluate an intake and events without storing anything."""
    evaluation = service.what_if(case_in=body.case, events=body.events, as_of=body.as_of or now,
                                 ruleset=ruleset)
    return present_evaluation(evaluation.model_dump(mode="json"), ruleset.ruleset,
                              locale or body.case.locale or DEFAULT_LOCALE)
