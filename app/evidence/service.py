"""Evidence, use cases: save an uploaded file as evidence, read it back intact.

The upload is recorded through cases.service.append_event, so its `evidence_saved` event gets
its seq, its link in the hash chain, a new evaluation and any webhook in one place. Services
flush and never commit. Every form field is checked before a byte is stored. The bytes reach the
store before the transaction commits: if it then rolls back, the file this upload placed is
removed again (unless a committed row or another upload in flight relies on it), and
`sweep_unreferenced` removes whatever a crash left behind.
"""

import hashlib
import uuid
from collections.abc import Collection
from datetime import datetime, timedelta, timezone
from typing import BinaryIO

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.peers.service import PeerPolicy
from app.auth.actor import Actor
from app.cases import repository as cases_repository
from app.cases.repository import CaseToWrite
from app.cases import service as cases_service
from app.cases.event_data import EvidenceSavedEvent
from app.db.models import Case, EvidenceFile
from app.db.session import on_rollback
from app.evaluation import CompiledRuleset
from app.evidence import repository
from app.evidence.sniffing import sniff
from app.evidence.storage import Kept, LocalEvidenceStore, TooLarge, safe_name
from app.errors import InvalidRequest, NotFound, PayloadTooLarge, ProblemError, UnsupportedMediaType


class EvidenceDamaged(ProblemError):
    status, code, title = 500, "evidence-damaged", "The stored file no longer matches its hash"


class QuotaExceeded(ProblemError):
    status, code, title = 409, "quota-exceeded", "The evidence storage quota is used up"


def _file_error(message: str, code: str) -> list[dict[str, str]]:
    return [{"field": "file", "pointer": "/file", "message": message, "code": code}]


# The event's fields as the upload form names them.
_FORM_FIELD = {"note": "description", "occurred_at": "captured_at", "data.kind": "kind"}
_NO_HASH_YET = "0" * 64


def _checked_event(*, kind: str, captured_at: datetime, description: str | None,
                   evidence_id: uuid.UUID, now: datetime) -> tuple[dict, EvidenceSavedEvent]:
    """The event the upload will record, validated before the file is stored (422 naming the field)."""
    posted = {
        "type": "evidence_saved",
        "occurred_at": captured_at.isoformat(),
        "note": description,
        "data": {"kind": kind, "evidence_id": str(evidence_id), "sha256": _NO_HASH_YET},
    }
    try:
        event_in = EvidenceSavedEvent.model_validate(
            {k: v for k, v in posted.items() if v is not None}, context={"now": now})
    except ValidationError as exc:
        errors = []
        for error in exc.errors():
            loc = ".".join(str(p) for p in error["loc"])
            field = _FORM_FIELD.get(loc, loc)
            errors.append({"field": field, "pointer": f"/{field}", "message": error["msg"],
                           "code": error["type"]})
        fields = ", ".join(dict.fromkeys(e["field"] for e in errors))
        raise InvalidRequest(f"Invalid field(s): {fields}", errors=errors) from None
    return posted, event_in


def _check_quotas(session: Session, *, case: CaseToWrite, size: int, case_quota: int,
                  client_quota: int) -> None:
    """Bytes recorded per case and per client (the same file in two cases counts twice)."""
    in_case = int(session.scalar(select(func.coalesce(func.sum(EvidenceFile.size), 0))
                             .where(EvidenceFile.case_id == case.id)))
    if in_case + size > case_quota:
        raise QuotaExceeded(f"This case already holds {in_case} bytes of evidence; the quota is "
                            f"{case_quota} bytes per case.", field="file", used=in_case, quota=case_quota)
    of_client = int(session.scalar(select(func.coalesce(func.sum(EvidenceFile.size), 0))
                               .join(Case, Case.id == EvidenceFile.case_id)
                               .where(Case.client_id == case.client_id)))
    if of_client + size > client_quota:
        raise QuotaExceeded(f"Your cases already hold {of_client} bytes of evidence; the quota is "
                            f"{client_quota} bytes per client.", field="file", used=of_client,
                            quota=client_quota)


def _forget_if_unreferenced(store: LocalEvidenceStore, kept: Kept):
    def undo(session: Session) -> None:
        # Another case's committed row may hold the same bytes (the store keeps them once).
        if session.scalar(select(EvidenceFile.id).where(EvidenceFile.sha256 == kept.sha256).limit(1)) is None:
            store.forget(kept)
    return undo


def save_evidence(*, session: Session, store: LocalEvidenceStore, case: CaseToWrite, upload: BinaryIO,
                  original_name: str | None, kind: str, captured_at: datetime,
                  description: str | None, max_bytes: int, media_types: Collection[str],
                  ruleset: CompiledRuleset, now: datetime,
                  warning_lead: timedelta = cases_service.DEFAULT_WARNING_LEAD,
                  actor: Actor | None = None, case_quota: int | None = None,
                  client_quota: int | None = None, max_events: int | None = None,
                  peers: PeerPolicy | None = None) -> tuple[EvidenceFile, bool]:
    """Store the file by its hash and record it as an event; (evidence, created)."""
    # A case that is not there answers 404 before the upload is copied and sniffed.
    cases_repository.load_case(session, case, lock=False)
    evidence_id = uuid.uuid4()
    posted, event_in = _checked_event(kind=kind, captured_at=captured_at, description=description,
                                      evidence_id=evidence_id, now=now)
    try:
        staged = store.stage(upload, max_bytes=max_bytes)
    except TooLarge:
        raise PayloadTooLarge(f"The file is larger than {max_bytes} bytes.", field="file",
                              errors=_file_error(f"larger than {max_bytes} bytes", "too_large")) from None
    try:
        media_type = sniff(staged.head, media_types)
        if media_type not in media_types:
            shown = f"of type {media_type}" if media_type else "not of a recognised type"
            raise UnsupportedMediaType(
                f"The file's content is {shown}; accepted: {', '.join(media_types)}.", field="file",
                detected=media_type, errors=_file_error(f"content is {shown}", "unsupported_type"))
        # The lock serializes this upload with every other append to the case, so two identical
        # uploads racing each other still end as one piece of evidence.
        cases_repository.load_case(session, case)
        existing = repository.find_by_hash(session, case_id=case.id, sha256=staged.sha256)
        if existing is not None:
            store.discard(staged)
            return existing, False
        if case_quota is not None and client_quota is not None:
            _check_quotas(session, case=case, size=staged.size, case_quota=case_quota,
                          client_quota=client_quota)
        kept = store.keep(staged)
    except BaseException:
        store.discard(staged)
        raise
    on_rollback(session, _forget_if_unreferenced(store, kept))

    event_in = event_in.model_copy(update={"data": event_in.data.model_copy(update={"sha256": staged.sha256})})
    posted["data"]["sha256"] = staged.sha256
    raw = {**posted, "upload": {"name": original_name, "size": staged.size, "media_type": media_type}}
    _, event, _ = cases_service.append_event(
        session=session, target=case, event_in=event_in, raw=raw,
        ruleset=ruleset, now=now, warning_lead=warning_lead, actor=actor, max_events=max_events,
        peers=peers)
    evidence = EvidenceFile(
        id=evidence_id, case_id=case.id, sha256=staged.sha256, size=staged.size,
        media_type=media_type, kind=kind, captured_at=captured_at.astimezone(timezone.utc),
        description=event_in.note, original_name=safe_name(original_name), created_at=now,
        event_seq=event.seq,
    )
    session.add(evidence)
    session.flush()
    return evidence, True


def sweep_unreferenced(*, session: Session, store: LocalEvidenceStore, older_than: datetime) -> list[str]:
    """Remove stored files no evidence row references, and interrupted uploads, last touched before `older_than`.

    The grace period protects uploads still in flight: their file is on disk before their row commits.
    """
    cutoff = older_than.timestamp()
    candidates = [sha for sha, mtime in store.stored() if mtime < cutoff]
    referenced: set[str] = set()
    for start in range(0, len(candidates), 500):
        batch = candidates[start:start + 500]
        referenced |= set(session.scalars(select(EvidenceFile.sha256).where(EvidenceFile.sha256.in_(batch))))
    removed = [sha for sha in candidates if sha not in referenced]
    for sha in removed:
        store.remove(sha)
    for path in store.leftovers(cutoff):
        path.unlink(missing_ok=True)
    return removed


def evidence_content(*, session: Session, store: LocalEvidenceStore, case: Case,
                     evidence_id: uuid.UUID) -> tuple[EvidenceFile, bytes]:
    """The file's record and its bytes, checked against the recorded hash before they are served."""
    evidence = repository.get_evidence(session, case_id=case.id, evidence_id=evidence_id)
    if evidence is None:
        raise NotFound("No such evidence.")
    content = store.read(evidence.sha256)
    if content is None:
        raise EvidenceDamaged("The stored file is missing; see GET /v1/cases/{id}/verify.",
                              sha256=evidence.sha256)
    if hashlib.sha256(content).hexdigest() != evidence.sha256:
        # Serving altered bytes under the recorded hash would defeat the point of keeping it.
        raise EvidenceDamaged("The stored file has changed since it was uploaded; "
                              "see GET /v1/cases/{id}/verify.", sha256=evidence.sha256)
    return evidence, content
