"""Response edge: what the API returns for cases, events and evaluations."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from app.auth.schemas import CaseTokenIssued
from app.cases.event_data import CaseEventCreate
from app.cases.intake import CaseCreate
from app.evaluation.model import CaseRiskLevel, CaseStatus, CaseTrack
from app.locales import Locale
from app.schemas import OffsetDatetime, ReadSchema, Schema


class BecauseRead(BaseModel):
    rule: str = Field(description="The id of the rule that chose this")
    events: list[int] = Field(description="The `seq` of the events the rule looked at")
    sources: list[str] = Field(description="Guide sections and FACTS.md ids behind the rule")
    reason: str = Field(description="Why, in the response language")
    peer_signal: dict[str, str] | None = Field(
        default=None, description='Set when the rule read peer signals: "peer signal" and the bucketed '
                                  'counts it rested on, e.g. {"fee_demands": "5–9"}; never another case')


PeerBucket = Annotated[str | None, Field(description='A range such as "5–9", "10–49" or "50+"; null when '
                                                     "below the thresholds or none")]


class PeersRead(BaseModel):
    """The peer signals this evaluation used: other cases on the same platform, never this one."""

    cases_stuck: PeerBucket
    same_excuse: dict[str, str] = Field(description="Other open cases by the kind of notice they were given")
    fee_demands: PeerBucket
    hard_flags: PeerBucket
    paid_out: PeerBucket
    clients: PeerBucket
    window_days: int


class ActionRead(BaseModel):
    action: str
    priority: int
    title: str
    detail: str
    guide_step: int | None
    due_at: datetime | None
    because: BecauseRead


class DeadlineRead(BaseModel):
    kind: str
    due_at: datetime
    lapsed: bool
    because: BecauseRead


class PromiseRead(BaseModel):
    seq: int = Field(description="The event that made the promise")
    source: Literal["support", "notice"] = Field(
        description="Support's promised resolution date, or a notice's stated end")
    made_at: datetime
    due_at: datetime
    in_writing: bool | None
    state: Literal["kept", "broken", "partly_paid", "replaced", "closed", "open"] = Field(
        description="kept: paid in full by the date; broken: the date passed unpaid; partly_paid: "
                    "the date passed with only part of the money; replaced: a newer promise came "
                    "before the date; closed: the case was closed first; open: not yet due")
    replaced_by: int | None = Field(default=None, description="The seq of the promise that replaced it")


class RemedyRead(BaseModel):
    remedy: str
    title: str
    detail: str
    sources: list[str] = Field(description="FACTS.md ids behind the route itself")
    because: BecauseRead


class RegulatorRead(BaseModel):
    """The body that takes the case beyond the firm, as the route rules chose it (FACTS B3)."""

    body: Literal["nfra", "pboc", "csrc", "police", "market"]
    statutory_clocks: bool = Field(description="Whether the complaint clocks of the NFRA rules bind the firm")
    name: str = Field(description="The body's name, in the response language")
    hotline: str = Field(description="Its number: 12378, 12363, 12386, 110 or 12315")
    hotline_name: str = Field(description="The number's full name, in the response language")
    because: BecauseRead


class EvaluationRead(BaseModel):
    status: CaseStatus
    escalation_level: int | None
    risk_level: CaseRiskLevel
    track: CaseTrack
    next_actions: list[ActionRead]
    flags: list[str]
    deadlines: list[DeadlineRead]
    regulator: RegulatorRead | None = Field(
        default=None, description="Who takes the case beyond the firm; null while the platform's kind is unknown")
    next_transition_at: datetime | None
    promises: list[PromiseRead] = Field(
        default_factory=list, description="Every dated promise and what became of it, in the order made")
    remedies: list[RemedyRead] = Field(
        default_factory=list, description="Routes to redress still open, most direct first (dispute track)")
    rules_fired: list[str]
    peers: PeersRead | None = Field(
        default=None, description="The peer signals the evaluation used; null when switched off")
    peer_contribution: list[str] = Field(
        default_factory=list, description="What this case adds to its platform's peer signals: stuck, "
                                          "excuse:<notice kind>, fee_demand, hard_flag, paid_out")
    ruleset_version: str
    ruleset_hash: str
    as_of: datetime
    locale: Locale


class UpcomingRead(BaseModel):
    """The case at its next transition if nothing else happens first."""

    at: datetime
    status: CaseStatus
    risk_level: CaseRiskLevel
    new_actions: list[ActionRead] = Field(description="Actions recommended then but not now")
    deadlines_lapsing: list[str]


class PlatformRead(BaseModel):
    name: str
    kind: str
    licensed: bool | None
    app_source: str | None


class CaseRead(BaseModel):
    id: uuid.UUID
    external_ref: str | None
    platform: PlatformRead
    amount: str
    currency: str
    withdrawal_requested_at: datetime
    province: str | None
    locale: Locale | None
    created_at: datetime
    updated_at: datetime
    version: int
    last_seq: int
    status: CaseStatus
    risk_level: CaseRiskLevel
    track: CaseTrack
    escalation_level: int | None
    next_transition_at: datetime | None
    evaluation: EvaluationRead
    upcoming: UpcomingRead | None = Field(
        default=None, description="With ?upcoming=true: what changes at next_transition_at if nothing happens")
    case_token: CaseTokenIssued | None = Field(
        default=None, description="Only when opened with ?issue_token=true: shown this once")


class CaseUpdate(Schema):
    """Details of a case that may change in place (If-Match required)."""

    external_ref: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    province: Annotated[str, StringConstraints(min_length=1, max_length=50)] | None = None
    locale: Locale | None = None


class CaseSummary(ReadSchema):
    id: uuid.UUID
    external_ref: str | None
    platform_name: str
    amount: str
    currency: str
    created_at: datetime
    updated_at: datetime
    version: int
    last_seq: int
    status: CaseStatus
    risk_level: CaseRiskLevel
    track: CaseTrack
    escalation_level: int | None
    next_transition_at: datetime | None


class CasePage(BaseModel):
    items: list[CaseSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at the end")


class EventRead(ReadSchema):
    id: uuid.UUID
    seq: int
    type: str
    occurred_at: datetime
    recorded_at: datetime
    data: dict[str, Any]
    note: str | None


class EventAppended(BaseModel):
    event: EventRead
    evaluation: EvaluationRead


class EventPage(BaseModel):
    items: list[EventRead]
    next_cursor: str | None = Field(default=None, description="Pass as `cursor` for the next page; null on the last")


class WhatIf(Schema):
    """A stateless evaluation: an intake, its events in order, and the moment to judge at."""

    case: CaseCreate
    events: list[CaseEventCreate] = Field(default_factory=list, max_length=2000)
    # Strict like every other input time: a bare number would be read as Unix seconds.
    as_of: OffsetDatetime | None = Field(default=None, description="Defaults to now")
