"""Evidence, SQL: every query the evidence use cases need, and nothing else."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import EvidenceFile


def list_evidence(session: Session, *, case_id: uuid.UUID) -> Sequence[EvidenceFile]:
    return session.scalars(select(EvidenceFile).where(EvidenceFile.case_id == case_id)
                           .order_by(EvidenceFile.event_seq)).all()


def get_evidence(session: Session, *, case_id: uuid.UUID, evidence_id: uuid.UUID) -> EvidenceFile | None:
    return session.scalars(select(EvidenceFile).where(EvidenceFile.case_id == case_id,
                                                      EvidenceFile.id == evidence_id)).first()


def find_by_hash(session: Session, *, case_id: uuid.UUID, sha256: str) -> EvidenceFile | None:
    return session.scalars(select(EvidenceFile).where(EvidenceFile.case_id == case_id,
                                                      EvidenceFile.sha256 == sha256)).first()
