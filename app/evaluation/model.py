"""Evaluation: the evaluator's inputs (case facts, event log) and its output, free of HTTP and SQL."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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
    # Set when the rule read peer facts: "peer signal" and the bucketed counts it rested on
    # ({"fee_demands": "5–9"}), never which cases or clients they came from.
    peer_signal: dict[str, str] | None = None


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


# Bucket edges for peer counts: a count is shown as the floor of its bucket (k–9, 10–49, 50+),
# so neither a client nor a rule ever sees an exact number of other cases.
PEER_BUCKET_EDGES = (10, 50)
PeerCount = Annotated[int, Field(ge=0, le=1_000_000)]


class PeerSnapshot(_Out):
    """What other cases on the same platform say, as the evaluation used it.

    Every count is already thresholded (0 below k cases or m clients) and bucketed (its bucket's
    floor), and leaves the case itself out; `same_excuse` is keyed by notice kind, so the
    evaluator picks the count for the excuse this case was given.
    """

    cases_stuck: PeerCount = 0
    same_excuse: dict[Annotated[str, Field(max_length=40)], PeerCount] = Field(default={}, max_length=16)
    fee_demands: PeerCount = 0
    hard_flags: PeerCount = 0
    paid_out: PeerCount = 0
    clients: PeerCount = 0
    window_days: int = Field(default=30, ge=1, le=365)


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
    # The peer snapshot this evaluation used (None: peer signals off), so evaluating again with
    # it gives the same answer; and what this case itself adds to its platform's signals.
    peers: PeerSnapshot | None = None
    peer_contribution: list[str] = []
    ruleset_version: str
    ruleset_hash: str
    as_of: datetime
