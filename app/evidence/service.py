"""Evidence, use cases: save an uploaded file as evidence, read it back intact.

The upload is recorded through cases.service.append_event, so its `evidence_saved` event gets
its seq, its link in the hash chain, a new evaluation and any webhook in one place. Services
flush and never commit. The bytes reach the store before the transaction commits: if it then
rolls back, an unreferenced file stays behind, which is harmless in a content-addressed store.
"""

import hashlib
import uuid
from collections.abc import Collection
from datetime import datetime, timedelta, timezone
from typing import BinaryIO

from sqlalchemy.orm import Session

from app.access.audit import Actor
from app.cases import repository as cases_repository
from app.cases import service as cases_service
from app.cases.event_data import EvidenceSavedEvent
from app.db.models import Case, EvidenceFile
from app.evaluation import CompiledRuleset
from app.evidence import repository
from app.evidence.sniffing import sniff
from app.evidence.storage import LocalEvidenceStore, TooLarge, safe_name
from app.problems import NotFound, PayloadTooLarge, ProblemError, UnsupportedMediaType


class EvidenceDamaged(ProblemError):
    status, code, title = 500, "evidence-damaged", "The stored file no longer matches its hash"


def _file_error(message: str, code: str) -> list[dict[str, str]]:
    return [{"field": "file", "pointer": "/file", "message": message, "code": code}]


def save_evidence(*, session: Session, store: LocalEvidenceStore, case: Case, upload: BinaryIO,
                  original_name: str | None, kind: str, captured_at: datetime,
                  description: str | None, max_bytes: int, media_types: Collection[str],
                  ruleset: CompiledRuleset, now: datetime,
                  warning_lead: timedelta = cases_service.DEFAULT_WARNING_LEAD,
                  actor: Actor | None = None) -> tuple[EvidenceFile, bool]:
    """Store the file by its hash and record it as an event; (evidence, created)."""
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
        locked = cases_repository.get_case(session, client_id=case.client_id, case_id=case.id,
                                           lock=True)
        if locked is None:
            raise NotFound("No such case.")
        existing = repository.find_by_hash(session, case_id=case.id, sha256=staged.sha256)
        if existing is not None:
            store.discard(staged)
            return existing, False
        store.keep(staged)
    except BaseException:
        store.discard(staged)
        raise

    evidence_id = uuid.uuid4()
    posted = {
        "type": "evidence_saved",
        "occurred_at": captured_at.isoformat(),
        "note": description,
        "data": {"kind": kind, "evidence_id": str(evidence_id), "sha256": staged.sha256},
    }
    event_in = EvidenceSavedEvent.model_validate(
        {k: v for k, v in posted.items() if v is not None}, context={"now": now})
    raw = {**posted, "upload": {"name": original_name, "size": staged.size, "media_type": media_type}}
    _, event, _ = cases_service.append_event(
        session=session, client_id=case.client_id, case_id=case.id, event_in=event_in, raw=raw,
        ruleset=ruleset, now=now, warning_lead=warning_lead, actor=actor)
    evidence = EvidenceFile(
        id=evidence_id, case_id=case.id, sha256=staged.sha256, size=staged.size,
        media_type=media_type, kind=kind, captured_at=captured_at.astimezone(timezone.utc),
        description=description, original_name=safe_name(original_name), created_at=now,
        event_seq=event.seq,
    )
    session.add(evidence)
    session.flush()
    return evidence, True


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
