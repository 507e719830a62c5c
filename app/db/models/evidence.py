"""Persistence: evidence files of a case, whose bytes live in the content-addressed store."""

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base


class EvidenceFile(Base):
    """One uploaded file of one case; the bytes are stored once per SHA-256, whoever sent them."""

    __tablename__ = "evidence_file"
    # The same bytes twice in one case are one piece of evidence, not two.
    __table_args__ = (UniqueConstraint("case_id", "sha256"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    # Sniffed from the content, never taken from the name or the client's Content-Type.
    media_type: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(30))
    captured_at: Mapped[datetime]
    description: Mapped[str | None] = mapped_column(Text)
    # Display only (sanitized); never part of a path.
    original_name: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]
    # The `evidence_saved` event that records the upload in the case's chained log.
    event_seq: Mapped[int]
