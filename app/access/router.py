"""Access, HTTP edge: case tokens for end users, and a case's audit trail."""

import uuid
from datetime import datetime, timedelta

from fastapi import APIRouter, Request, Response

from app import audit
from app.access import service
from app.access.schemas import AuditPage, AuditRead, CaseTokenCreate, CaseTokenPage
from app.auth.schemas import CaseTokenIssued
from app.edge.auth import ActingAs
from app.cases.dependencies import CaseForPartner, CaseId, WritableCaseForPartner
from app.edge.session import ReadSession, WriteSession
from app.edge.deps import Now
from app.edge.idempotency import IdempotencyGuard
from app.edge.contract import problems
from app.edge.pagination import Cursor, PageLimit, decode_cursor, encode_cursor
from app.errors import InvalidRequest

router = APIRouter(prefix="/v1/cases/{case_id}", tags=["access"])


@router.post("/tokens", status_code=201, response_model=CaseTokenIssued,
             responses=problems(404))
def issue_token(target: WritableCaseForPartner, actor: ActingAs, idem: IdempotencyGuard,
                session: WriteSession, now: Now, request: Request,
                body: CaseTokenCreate | None = None) -> Response:
    """A token for the end user's app: reads this case and posts its events, nothing else."""
    if idem.replay:
        return idem.replay
    days = (body.ttl_days if body and body.ttl_days else request.app.state.settings.case_token_ttl_days)
    issued = service.issue_token(session=session, target=target, actor=actor, now=now,
                                 ttl=timedelta(days=days))
    return idem.complete(session, Response(issued.model_dump_json(), status_code=201,
                                           media_type="application/json"))


@router.get("/tokens", response_model=CaseTokenPage, responses=problems(404))
def list_tokens(case: CaseForPartner, session: ReadSession) -> CaseTokenPage:
    """The case's tokens (prefixes and dates; the secrets are never shown again)."""
    return CaseTokenPage(items=service.list_tokens(session=session, case=case))


@router.delete("/tokens/{token_id}", status_code=204, responses=problems(404))
def revoke_token(case_id: CaseId, target: WritableCaseForPartner, token_id: uuid.UUID, actor: ActingAs,
                 session: WriteSession, now: Now) -> Response:
    """Revoke a case token; it stops working at once."""
    service.revoke_token(session=session, target=target, token_id=token_id, actor=actor, now=now)
    return Response(status_code=204)


@router.get("/audit", response_model=AuditPage, responses=problems(404, 422))
def case_audit(case: CaseForPartner, session: ReadSession,
               limit: PageLimit = 500, cursor: Cursor = None) -> AuditPage:
    """Who did what to this case, oldest first, a page at a time (follow `next_cursor`)."""
    after = None
    if cursor:
        created_at, entry_id = decode_cursor(cursor, "audit", 2)
        try:
            after = (datetime.fromisoformat(created_at), uuid.UUID(entry_id))
        except (TypeError, ValueError) as exc:
            raise InvalidRequest("The cursor is not one this API issued for this list.",
                                 field="cursor") from exc
    entries = audit.list_for_case(session, case_id=case.id, limit=limit + 1, after=after)
    page = entries[:limit]
    last = page[-1] if len(entries) > limit else None
    return AuditPage(items=[AuditRead.model_validate(e) for e in page],
                     next_cursor=encode_cursor("audit", last.created_at.isoformat(), str(last.id)) if last else None)
