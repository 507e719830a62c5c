"""Dossier, data: what a dossier says, as plain data every renderer (JSON, Markdown, PDF) reads.

Texts are already in the dossier's language; the renderers only lay them out.
"""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.evaluation.model import CaseRiskLevel, CaseStatus, CaseTrack
from app.locales import Locale


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True)


class Respondent(_Part):
    name: str
    kind: str
    kind_label: str
    licence: Literal["yes", "claimed", "no", "impersonating", "unknown"]
    licence_label: str
    app_source: str | None
    app_source_label: str | None
    province: str | None


class RegulatorEntry(_Part):
    """The body that takes the case beyond the firm, as the evaluation's route names it."""

    body: Literal["nfra", "pboc", "csrc", "police", "market"]
    name: str
    hotline: str
    hotline_name: str
    statutory_clocks: bool
    label: str = Field(description="Name and number, as the dossier writes them")


class Fact(_Part):
    seq: int
    occurred_at: datetime
    when: str
    text: str
    note: str | None


class Contact(_Part):
    seq: int
    occurred_at: datetime
    when: str
    channel: str
    agent_id: str | None
    said: str | None = Field(description="What the user said or asked (the event's note)")
    answer: str


class Promise(_Part):
    seq: int
    source: Literal["support", "notice"]
    what: str
    made_at: str
    due_at: datetime
    due: str
    in_writing: bool | None
    status: Literal["kept", "broken", "partly_paid", "replaced", "closed", "open"] = Field(
        description="The state the evaluation's promise ledger gives it")
    status_label: str


class EvidenceEntry(_Part):
    number: int
    seq: int
    kind: str
    kind_label: str
    captured_at: datetime
    captured: str
    description: str | None
    evidence_id: str | None
    file_name: str | None
    media_type: str | None
    size: int | None
    sha256: str | None
    check: Literal["ok", "file_changed", "file_missing", "record_mismatch", "not_uploaded"]
    check_label: str


class Integrity(_Part):
    ok: bool
    summary: str
    events_checked: int
    evidence_checked: int
    head_hash: str | None
    issues: list[str]


class DeadlineEntry(_Part):
    kind: str
    label: str
    due_at: datetime
    due: str
    lapsed: bool
    basis: str
    sources: list[str]


class Remedy(_Part):
    remedy: str = Field(description="The remedy's id, as the evaluation names it")
    title: str
    detail: str
    sources: list[str] = Field(default_factory=list)


class RedFlag(_Part):
    id: str
    title: str
    detail: str


class MoneyEntry(_Part):
    seq: int | None
    when: str
    item: str
    amount: str
    detail: str | None


class Dossier(_Part):
    """A case written up for submission; `kind` is a police report summary on the fraud track."""

    kind: Literal["complaint", "police_report"]
    locale: Locale
    title: str
    generated_at: datetime
    generated: str
    case_id: uuid.UUID
    external_ref: str | None
    respondent: Respondent
    regulator: RegulatorEntry | None = Field(
        description="Who takes the case beyond the firm; null while the platform's kind is unknown")
    amount: str
    currency: str
    amount_text: str = Field(description="The amount as written in the dossier's language")
    withdrawal_requested_at: datetime
    requested: str
    days_waiting: int
    status: CaseStatus
    status_label: str
    risk_level: CaseRiskLevel
    risk_label: str
    track: CaseTrack
    summary: str
    request: str
    facts: list[Fact]
    contacts: list[Contact]
    promises: list[Promise]
    evidence: list[EvidenceEntry]
    integrity: Integrity
    deadlines: list[DeadlineEntry]
    deadline_note: str | None
    remedies: list[Remedy]
    red_flags: list[RedFlag]
    money: list[MoneyEntry]
    account_hints: list[str] = Field(description="What the records say about the accounts involved")
    notes: list[str] = Field(description="Notes for the reader (police track: what to bring)")
    declaration: str
    limits_note: str | None = Field(default=None, description=(
        "Set when the case is larger than one dossier holds: what was left out or shortened"))
