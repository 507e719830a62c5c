"""Persistence: end-user case tokens, idempotency records and the audit trail."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base


class CaseToken(Base):
    """A bearer token for one case, handed to the end user's phone; only its hash is kept."""

    __tablename__ = "case_token"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_client.id", ondelete="CASCADE"))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class IdempotencyRecord(Base):
    """The first response to a POST with an Idempotency-Key, replayed to its retries."""

    __tablename__ = "idempotency_record"
    __table_args__ = (
        UniqueConstraint("scope", "key"),
        Index("ix_idempotency_record_expires_at", "expires_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # "client:<id>" or "case_token:<id>": keys never collide across callers.
    scope: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20))  # in_progress | completed
    locked_until: Mapped[datetime | None]
    response_status: Mapped[int | None]
    response_headers: Mapped[dict[str, str] | None] = mapped_column(JSON)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class AuditEntry(Base):
    """Who did what to which case; written in the transaction that did it."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_case", "case_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_client.id", ondelete="CASCADE"))
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    actor_kind: Mapped[str] = mapped_column(String(20))  # api_key | case_token | system
    actor: Mapped[str] = mapped_column(String(40))  # a key or token prefix, never the secret
    action: Mapped[str] = mapped_column(String(60))
    request_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
