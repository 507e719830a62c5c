"""Evaluation: the evaluator's inputs (case facts, event log) and its output, free of HTTP and SQL."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Track = Literal["dispute", "fraud"]
RiskLevel = Literal["low", "medium", "high", "critical"]
STATUSES = (
    "new", "verifying", "negotiating", "awaiting_platform", "overdue", "escalated_regulator",
    "mediation", "escalated_legal", "fraud_suspected", "reported_to_police", "resolved", "closed",
)
RISK_LEVELS = ("low", "medium", "high", "critical")
# Who takes the case beyond the firm (FACTS B3): the NFRA branch and 12378, the People's Bank
# (12363), the CSRC (12386), the police (110, 96110, 处非 via 12345), or the market regulator (12315).
RegulatorBody = Literal["nfra", "pboc", "csrc", "police", "market"]
REGULATOR_BODIES = ("nfra", "pboc", "csrc", "police", "market")
TRACKS = ("dispute", "fraud")

# The same vocabularies as named enums for the answers, so the contract lists each value once
# (clients generate one type per enum) and stays in step with the tuples above.
CaseStatus = StrEnum("CaseStatus", [(name, name) for name in STATUSES])
CaseStatus.__doc__ = "Where the case stands, from `new` to `closed`, as the rules decided"
CaseRiskLevel = StrEnum("CaseRiskLevel", [(name, name) for name in RISK_LEVELS])
CaseRiskLevel.__doc__ = "How much of the money is at risk, as the rules decided"
CaseTrack = StrEnum("CaseTrack", [(name, name) for name in TRACKS])
CaseTrack.__doc__ = "`dispute` (a platform that may still pay) or `fraud` (a scam: the police route)"


class RulesError(Exception):
    """The rules on disk are not a valid ruleset; the message names the file and rule."""


@dataclass(frozen=True)
class CaseInput:
    """What the intake said about the case; the evaluator never sees ids or clients."""

    platform_name: str
    platform_kind: str
    platform_licensed: bool | None
    app_source: str | None
    amount: Decimal
    currency: str
    withdrawal_requested_at: datetime
    province: str | None = None


@dataclass(frozen=True)
class EventInput:
    seq: int
    type: str
    occurred_at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Because(_Out):
    rule: str
    events: list[int]
    sources: list[str]


class ActionAdvice(_Out):
    action: str
    priority: int
    guide_step: int | None
    due_at: datetime | None
    because: Because


class Deadline(_Out):
    kind: str
    due_at: datetime
    lapsed: bool
    because: Because


PromiseState = Literal["kept", "broken", "partly_paid", "replaced", "closed", "open"]


class PromiseEntry(_Out):
    """One dated promise (support's resolution date or a notice's end) and what became of it."""

    seq: int
    source: Literal["support", "notice"]
    made_at: datetime
    due_at: datetime
    in_writing: bool | None
    # kept: paid in full by the date; broken: the date passed unpaid; partly_paid: the date passed
    # with only part of the money; replaced: a newer promise came before the date; closed: the
    # case was closed before the date; open: not yet due.
    state: PromiseState
    replaced_by: int | None = None


class RemedyAdvice(_Out):
    """A route still open to the user (the dossier's remedies), chosen by a remedies rule."""

    remedy: str
    because: Because


class RegulatorRoute(_Out):
    body: RegulatorBody
    statutory_clocks: bool  # whether the B1 complaint clocks bind the firm
    because: Because


class Evaluation(_Out):
    status: str
    escalation_level: int | None
    risk_level: RiskLevel
    track: Track
    next_actions: list[ActionAdvice]
    flags: list[str]
    deadlines: list[Deadline]
    # None while the platform's kind says nothing about a regulator; also in projections stored
    # before the route existed (0.2.0), which are read back as they were.
    regulator: RegulatorRoute | None = None
    next_transition_at: datetime | None
    # Defaults keep projections stored by an older ruleset readable.
    promises: list[PromiseEntry] = []
    remedies: list[RemedyAdvice] = []
    rules_fired: list[str]
    ruleset_version: str
    ruleset_hash: str
    as_of: datetime
