"""Evidence, HTTP edge: upload, list and download a case's files, and verify its record."""

import base64
import uuid
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, Response

from app.edge.auth import ActingAs
from app.peers.service import PeerPolicy
from app.edge.idempotency import IdempotencyGuard
from app.cases.dependencies import CaseForCaller, CaseForPartner, CaseId, WritableCase
from app.edge.session import ReadSession, WriteSession
from app.edge.deps import CurrentRuleset, Now, WarningLead
from app.evidence import integrity, repository, service
from app.edge.contract import answers, binary, problems
from app.evidence.schemas import EvidencePage, EvidenceRead, EvidenceUpload, IntegrityReport
from app.evidence.storage import LocalEvidenceStore
from app.errors import NotFound
from app.settings import Settings

# Uploads, listings and downloads are open to the end user's case token as well (CaseForCaller,
# WritableCase); the integrity report stays with the partner (CaseForPartner).
router = APIRouter(prefix="/v1", tags=["evidence"])
def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _store(request: Request) -> LocalEvidenceStore:
    return LocalEvidenceStore(request.app.state.settings.evidence_dir)


def _json(model: EvidenceRead, status: int, case_id: uuid.UUID) -> Response:
    # Rendered here, in the route's thread, while the case lock is held (see cases.router._written).
    return Response(model.model_dump_json(), status_code=status, media_type="application/json",
                    headers={"Location": f"/v1/cases/{case_id}/evidence/{model.id}"})


# The body was authenticated before it was read and is capped as it streams (app.edge.bodylimit);
# the multipart parser spools the file to disk, and the store copies it from there.
@router.post(
    "/cases/{case_id}/evidence", status_code=201, response_model=EvidenceRead,
    responses={**answers(201, "Saved, and recorded as an `evidence_saved` event", headers=("Location",)),
               **answers(200, "The same bytes were already saved for this case: the stored record",
                         model=EvidenceRead, headers=("Location",)),
               **problems(404, 409, 413, 415)})
def upload_evidence(
    case: WritableCase, actor: ActingAs, idem: IdempotencyGuard,
    session: WriteSession, ruleset: CurrentRuleset, now: Now, lead: WarningLead, request: Request,
    form: Annotated[EvidenceUpload, Form(media_type="multipart/form-data")],
) -> Response:
    """Save a file as evidence: stored once by its SHA-256 and recorded as an `evidence_saved` event."""
    if idem.replay:
        return idem.replay
    settings = _settings(request)
    evidence, created = service.save_evidence(
        session=session, store=_store(request), case=case, upload=form.file.file,
        original_name=form.file.filename, kind=form.kind, captured_at=form.captured_at,
        description=form.description,
        max_bytes=settings.evidence_max_bytes, media_types=settings.evidence_media_types,
        ruleset=ruleset, now=now, warning_lead=lead, actor=actor,
        case_quota=settings.evidence_case_quota_bytes, client_quota=settings.evidence_client_quota_bytes,
        max_events=settings.case_max_events, peers=PeerPolicy.from_settings(settings))
    return idem.complete(session, _json(EvidenceRead.model_validate(evidence), 201 if created else 200,
                                        case.id))


@router.get("/cases/{case_id}/evidence", response_model=EvidencePage, responses=problems(404))
def list_evidence(case: CaseForCaller, session: ReadSession) -> EvidencePage:
    """The case's evidence files, in the order they were recorded."""
    return EvidencePage(items=[EvidenceRead.model_validate(e)
                               for e in repository.list_evidence(session, case_id=case.id)])


@router.get("/cases/{case_id}/evidence/{evidence_id}", response_model=EvidenceRead,
            responses=problems(404))
def get_evidence(case_id: CaseId, case: CaseForCaller, evidence_id: uuid.UUID,
                 session: ReadSession) -> EvidenceRead:
    """One evidence file's record."""
    evidence = repository.get_evidence(session, case_id=case.id, evidence_id=evidence_id)
    if evidence is None:
        raise NotFound("No such evidence.")
    return EvidenceRead.model_validate(evidence)


# Every type an upload may be sniffed as; text comes back as `text/plain; charset=utf-8`.
_STORED_TYPES = Settings.model_fields["evidence_media_types"].default


@router.get("/cases/{case_id}/evidence/{evidence_id}/content", response_class=Response,
            responses={**answers(200, "The file's bytes, exactly as uploaded, in the type sniffed at upload",
                                 headers=("ETag", "Content-Disposition", "Repr-Digest", "Cache-Control",
                                          "X-Content-Type-Options", "Content-Security-Policy"),
                                 content=binary(*_STORED_TYPES)),
                       **problems(404, 500)})
def download_evidence(case_id: CaseId, case: CaseForCaller, evidence_id: uuid.UUID, session: ReadSession,
                      request: Request) -> Response:
    """The file's bytes, checked against the recorded SHA-256 first."""
    evidence, content = service.evidence_content(session=session, store=_store(request),
                                                 case=case, evidence_id=evidence_id)
    name = evidence.original_name or f"{evidence.sha256[:16]}"
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    media_type = evidence.media_type + ("; charset=utf-8" if evidence.media_type == "text/plain" else "")
    digest = base64.b64encode(bytes.fromhex(evidence.sha256)).decode()
    return Response(content, media_type=media_type, headers={
        # Always a download, never rendered in the API's origin, whatever the bytes are.
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "ETag": f'"{evidence.sha256}"',
        "Repr-Digest": f"sha-256=:{digest}:",
        "Cache-Control": "private, no-store",
    })


@router.get("/cases/{case_id}/verify", response_model=IntegrityReport, responses=problems(404))
def verify_case(case: CaseForPartner, session: ReadSession, now: Now,
                request: Request) -> IntegrityReport:
    """Recompute the event chain and every evidence file's hash; name each event or file that broke."""
    return integrity.verify_case(session=session, store=_store(request), case=case, now=now)

