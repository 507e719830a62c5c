"""Persistence: cases (with their evaluation projection) and their append-only event log."""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import Base


class Case(Base):
    __tablename__ = "case"
    __table_args__ = (
        UniqueConstraint("client_id", "external_ref"),
        # The listing pages by (created_at, id) within one client, newest first.
        Index("ix_case_client_created", "client_id", "created_at", "id"),
        Index("ix_case_client_status", "client_id", "status"),
        # /metrics counts cases by status across every client: an index-only scan, not the table.
        Index("ix_case_status", "status"),
        Index("ix_case_next_transition_at", "next_transition_at"),
        Index("ix_case_next_wakeup_at", "next_wakeup_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_client.id", ondelete="CASCADE"))
    external_ref: Mapped[str | None] = mapped_column(String(200))

    platform_name: Mapped[str] = mapped_column(String(200))
    platform_kind: Mapped[str] = mapped_column(String(40))
    platform_licensed: Mapped[bool | None]
    app_source: Mapped[str | None] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    currency: Mapped[str] = mapped_column(String(3))
    withdrawal_requested_at: Mapped[datetime]
    province: Mapped[str | None] = mapped_column(String(50))
    locale: Mapped[str | None] = mapped_column(String(10))
    intake: Mapped[dict[str, Any]] = mapped_column(JSON)  # the request as received

    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Bumped on every change; the ETag and If-Match are built from it.
    version: Mapped[int] = mapped_column(default=1)
    last_seq: Mapped[int] = mapped_column(default=0)

    # Projection of the latest evaluation, written in the same transaction as the event.
    status: Mapped[str] = mapped_column(String(30))
    risk_level: Mapped[str] = mapped_column(String(10))
    track: Mapped[str] = mapped_column(String(10))
    escalation_level: Mapped[int | None]
    ruleset_version: Mapped[str] = mapped_column(String(40))
    evaluated_at: Mapped[datetime]
    next_transition_at: Mapped[datetime | None]
    evaluation: Mapped[dict[str, Any]] = mapped_column(JSON)
    # When the sweeper must look at the case again: a transition by time, or a deadline
    # coming close enough to warn about. Null when nothing is pending.
    next_wakeup_at: Mapped[datetime | None]
    # Numbers the notifications of this case (webhooks carry it), 1, 2, 3...
    notify_seq: Mapped[int] = mapped_column(default=0)

    events: Mapped[list["CaseEvent"]] = relationship(
        back_populates="case", lazy="raise", order_by="CaseEvent.seq"
    )

    # What peer signals read of the intake and of the stored evaluation (app.peers.service). An
    # append's CaseState (app.cases.repository) has the same names, read with the case's row.
    @property
    def platform_app_id(self) -> str | None:
        return ((self.intake or {}).get("platform") or {}).get("app_id")

    @property
    def platform_domain(self) -> str | None:
        return ((self.intake or {}).get("platform") or {}).get("domain")

    @property
    def stored_peers(self) -> dict[str, Any] | None:
        return (self.evaluation or {}).get("peers")

    @property
    def stored_peer_contribution(self) -> list[str] | None:
        return (self.evaluation or {}).get("peer_contribution")


class CaseEvent(Base):
    __tablename__ = "case_event"
    __table_args__ = (UniqueConstraint("case_id", "seq"), UniqueConstraint("case_id", "event_id"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    seq: Mapped[int]
    type: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[dict[str, Any]] = mapped_column(JSON)  # the payload as posted, for audits
    # Tamper evidence (app/cases/chain.py): SHA-256 of the previous event's hash and this
    # event's canonical content, and that previous hash (null for the first event).
    content_hash: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    # The client's own id for the event: an offline queue resending it never stores it twice.
    event_id: Mapped[uuid.UUID | None]

    case: Mapped[Case] = relationship(back_populates="events", lazy="raise")
