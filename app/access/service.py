"""Access, use cases: issue, list and revoke case tokens; read a case's audit trail."""

import uuid
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app import audit
from app.auth.actor import Actor
from app.auth.schemas import CaseTokenIssued, CaseTokenRead
from app.auth.service import bump_credential_epoch, issue_case_token, list_case_tokens
from app.cases.repository import CaseToWrite, load_case
from app.db.models import Case, CaseToken
from app.errors import NotFound


def issue_token(*, session: Session, target: CaseToWrite, actor: Actor, now: datetime,
                ttl: timedelta) -> CaseTokenIssued:
    """A token for the end user's own app: this case only, expiring, revocable."""
    case = load_case(session, target, lock=False)
    issued = issue_case_token(session=session, case_id=case.id, client_id=case.client_id, now=now,
                              expires_at=now + ttl)
    audit.record(session, actor=actor, case_id=case.id, action="case_token.issued", now=now,
                 token=issued.prefix, expires_at=issued.expires_at.isoformat())
    return CaseTokenIssued(id=issued.id, prefix=issued.prefix, created_at=now,
                           expires_at=issued.expires_at, revoked_at=None, token=issued.token)


def list_tokens(*, session: Session, case: Case) -> list[CaseTokenRead]:
    return [CaseTokenRead.model_validate(t) for t in list_case_tokens(session=session, case_id=case.id)]


def revoke_token(*, session: Session, target: CaseToWrite, token_id: uuid.UUID, actor: Actor,
                 now: datetime) -> None:
    """Revoke a case token; it fails on its very next request."""
    case = load_case(session, target, lock=False)
    token = session.get(CaseToken, token_id)
    if token is None or token.case_id != case.id:
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = now
        bump_credential_epoch(session)
        audit.record(session, actor=actor, case_id=case.id, action="case_token.revoked", now=now,
                     token=token.prefix)
