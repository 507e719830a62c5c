"""Request edge: strict models for the events clients post (one per type, keyed by `type`).

Each type's fold, what it means for the rules, is in app/evaluation/folds/dispute.py.
"""

from typing import Annotated, Literal, Union, get_args

from pydantic import Discriminator, Field, StrictBool, StringConstraints, WrapValidator

from app.cases.event_data_common import (
    EventBase,
    EventData,
    Label,
    ReferenceData,
    Text,
    locate_tag_errors,
)
from app.cases.event_data_fraud import (
    AccountRestrictedData,
    AccountRestrictedEvent,
    AgentSolicitationData,
    AgentSolicitationEvent,
    CredentialsRequestedData,
    CredentialsRequestedEvent,
    FeeDemandedData,
    FeeDemandedEvent,
    PaymentInstructionReceivedData,
    PaymentInstructionReceivedEvent,
    PlatformTraitObservedData,
    PlatformTraitObservedEvent,
    PoliceReportFiledData,
    PoliceReportFiledEvent,
    RecoveryOfferReceivedData,
    RecoveryOfferReceivedEvent,
    RefundNoticeReceivedData,
    RefundNoticeReceivedEvent,
)
from app.schemas import Money, OffsetDatetime

# `platform_superior`: the firm's superior, asked in writing to review a disputed decision (B1.5).
ComplaintAuthority = Literal[
    "platform", "platform_superior", "nfra_branch", "hotline_12378", "insurance_association",
    "consumer_12315", "other"
]


# --- Step 1, verify -----------------------------------------------------------------------------


class NoticePostedData(EventData):
    notice_kind: Literal["channel_maintenance", "risk_review", "system_upgrade", "other"]
    # Each optional detail is left out when the notice does not give it; that absence is what makes
    # a notice vague, so nothing here has a default other than "not stated".
    published_at: OffsetDatetime | None = None
    expected_end_at: OffsetDatetime | None = None
    scope: Literal["all_users", "some_users", "unknown"] | None = None
    reason: Text | None = None
    channel_name: Label | None = None


class NoticePostedEvent(EventBase):
    type: Literal["notice_posted"]
    data: NoticePostedData


class NoticeChangedData(EventData):
    change: Literal["edited", "removed"]


class NoticeChangedEvent(EventBase):
    type: Literal["notice_changed"]
    data: NoticeChangedData


class RegulatorCheckedData(EventData):
    found_related_notice: StrictBool
    # Where the user looked, so a later reader can repeat the check.
    source: Label | None = None


class RegulatorCheckedEvent(EventBase):
    type: Literal["regulator_checked"]
    data: RegulatorCheckedData


class PeersCheckedData(EventData):
    peers_affected: StrictBool
    source: Label | None = None


class PeersCheckedEvent(EventBase):
    type: Literal["peers_checked"]
    data: PeersCheckedData


class LicenseCheckedData(EventData):
    licensed: StrictBool
    impersonates_licensed_firm: StrictBool | None = None
    source: Label | None = None


class LicenseCheckedEvent(EventBase):
    type: Literal["license_checked"]
    data: LicenseCheckedData


# --- Step 2, evidence ---------------------------------------------------------------------------


class EvidenceSavedData(EventData):
    kind: Literal[
        "notice_screenshot",
        "call_recording",
        "chat_log",
        "email",
        "transfer_receipt",
        "contract",
        "other",
    ]
    # A string rather than a UUID: the file may live in the client's own store under its own id.
    evidence_id: Label | None = None
    # The file's SHA-256 (lowercase hex); set by the evidence upload so the chain seals the file.
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = None


class EvidenceSavedEvent(EventBase):
    type: Literal["evidence_saved"]
    data: EvidenceSavedData


# --- Steps 3 and 4, talk and follow up ----------------------------------------------------------


class SupportDetails(EventData):
    """Which of the details the guide says to ask for the agent actually gave."""

    channel: StrictBool | None = None
    maintainer: StrictBool | None = None
    criteria: StrictBool | None = None
    duration: StrictBool | None = None


class SupportContactedData(EventData):
    channel: Literal["phone", "online_chat", "email", "in_app", "in_person", "other"]
    agent_id: Label | None = None
    explanation_kind: (
        Literal[
            "channel_maintenance",
            "risk_review",
            "system_fault",
            "documents_requested",
            "none",
            "other",
        ]
        | None
    ) = None
    details_given: SupportDetails | None = None
    # A promise is a promise even when it is for next month, so this may lie in the future.
    promised_resolution_at: OffsetDatetime | None = None
    in_writing: StrictBool | None = None
    recorded: StrictBool | None = None


class SupportContactedEvent(EventBase):
    type: Literal["support_contacted"]
    data: SupportContactedData


class UrgencyStatedData(EventData):
    reason: Literal["medical", "debt", "living_costs", "other"]


class UrgencyStatedEvent(EventBase):
    type: Literal["urgency_stated"]
    data: UrgencyStatedData


class WithdrawalAttemptedData(EventData):
    result: Literal["failed", "partial", "succeeded"]
    amount: Money | None = None


class WithdrawalAttemptedEvent(EventBase):
    type: Literal["withdrawal_attempted"]
    data: WithdrawalAttemptedData


class FundsReceivedData(EventData):
    amount: Money
    full: StrictBool | None = None


class FundsReceivedEvent(EventBase):
    type: Literal["funds_received"]
    data: FundsReceivedData


# --- Step 5, escalate ---------------------------------------------------------------------------


class ComplaintFiledData(EventData):
    authority: ComplaintAuthority
    reference: Label | None = None


class ComplaintFiledEvent(EventBase):
    type: Literal["complaint_filed"]
    data: ComplaintFiledData


class ComplaintForwardedData(EventData):
    authority: ComplaintAuthority
    reference: Label | None = None


class ComplaintForwardedEvent(EventBase):
    type: Literal["complaint_forwarded"]
    data: ComplaintForwardedData


class ExtensionNotifiedData(EventData):
    # The extended deadline is by nature ahead of the notice that announces it.
    new_deadline_at: OffsetDatetime


class ExtensionNotifiedEvent(EventBase):
    type: Literal["extension_notified"]
    data: ExtensionNotifiedData


class DecisionReceivedData(EventData):
    outcome: Literal["upheld", "partially_upheld", "rejected"]
    reasons_given: StrictBool | None = None
    remedies_listed: StrictBool | None = None
    # The firm's decision and its superior's answer run on different clocks.
    authority: ComplaintAuthority | None = None


class DecisionReceivedEvent(EventBase):
    type: Literal["decision_received"]
    data: DecisionReceivedData


class MediationStartedData(ReferenceData):
    pass


class MediationStartedEvent(EventBase):
    type: Literal["mediation_started"]
    data: MediationStartedData = Field(default_factory=MediationStartedData)


class MediationEndedData(EventData):
    settled: StrictBool
    reference: Label | None = None


class MediationEndedEvent(EventBase):
    type: Literal["mediation_ended"]
    data: MediationEndedData


class LawyerConsultedData(ReferenceData):
    pass


class LawyerConsultedEvent(EventBase):
    type: Literal["lawyer_consulted"]
    data: LawyerConsultedData = Field(default_factory=LawyerConsultedData)


class LawsuitFiledData(ReferenceData):
    pass


class LawsuitFiledEvent(EventBase):
    type: Literal["lawsuit_filed"]
    data: LawsuitFiledData = Field(default_factory=LawsuitFiledData)


# --- Housekeeping -------------------------------------------------------------------------------


class CaseClosedData(EventData):
    reason: Literal["withdrawn", "abandoned", "duplicate", "other"]


class CaseClosedEvent(EventBase):
    type: Literal["case_closed"]
    data: CaseClosedData


class NoteAddedData(EventData):
    text: Text


class NoteAddedEvent(EventBase):
    type: Literal["note_added"]
    data: NoteAddedData


# --- The union ----------------------------------------------------------------------------------

# Member errors keep pydantic's tag prefix in `loc`, e.g. ("fee_demanded", "data", "fee_kind").
CaseEventCreate = Annotated[
    Union[
        NoticePostedEvent,
        NoticeChangedEvent,
        RegulatorCheckedEvent,
        PeersCheckedEvent,
        LicenseCheckedEvent,
        EvidenceSavedEvent,
        SupportContactedEvent,
        UrgencyStatedEvent,
        WithdrawalAttemptedEvent,
        FundsReceivedEvent,
        FeeDemandedEvent,
        PaymentInstructionReceivedEvent,
        CredentialsRequestedEvent,
        RecoveryOfferReceivedEvent,
        RefundNoticeReceivedEvent,
        AgentSolicitationEvent,
        AccountRestrictedEvent,
        PlatformTraitObservedEvent,
        ComplaintFiledEvent,
        ComplaintForwardedEvent,
        ExtensionNotifiedEvent,
        DecisionReceivedEvent,
        MediationStartedEvent,
        MediationEndedEvent,
        LawyerConsultedEvent,
        LawsuitFiledEvent,
        PoliceReportFiledEvent,
        CaseClosedEvent,
        NoteAddedEvent,
    ],
    # Not Field(discriminator=...): once FastAPI folds this into a FieldInfo, a field-level
    # discriminator is applied after the metadata and the wrap validator silently drops out.
    Discriminator("type"),
    WrapValidator(locate_tag_errors),
]

# Read off the union so the list and the models cannot drift apart.
EVENT_MODELS: dict[str, type[EventBase]] = {
    get_args(model.model_fields["type"].annotation)[0]: model
    for model in get_args(get_args(CaseEventCreate)[0])
}
EVENT_TYPES: tuple[str, ...] = tuple(EVENT_MODELS)

__all__ = [
    "EVENT_MODELS",
    "EVENT_TYPES",
    "AccountRestrictedData",
    "AccountRestrictedEvent",
    "AgentSolicitationData",
    "AgentSolicitationEvent",
    "CaseClosedData",
    "CaseClosedEvent",
    "CaseEventCreate",
    "ComplaintAuthority",
    "ComplaintFiledData",
    "ComplaintFiledEvent",
    "ComplaintForwardedData",
    "ComplaintForwardedEvent",
    "CredentialsRequestedData",
    "CredentialsRequestedEvent",
    "DecisionReceivedData",
    "DecisionReceivedEvent",
    "EventBase",
    "EventData",
    "EvidenceSavedData",
    "EvidenceSavedEvent",
    "ExtensionNotifiedData",
    "ExtensionNotifiedEvent",
    "FeeDemandedData",
    "FeeDemandedEvent",
    "FundsReceivedData",
    "FundsReceivedEvent",
    "LawsuitFiledData",
    "LawsuitFiledEvent",
    "LawyerConsultedData",
    "LawyerConsultedEvent",
    "LicenseCheckedData",
    "LicenseCheckedEvent",
    "MediationEndedData",
    "MediationEndedEvent",
    "MediationStartedData",
    "MediationStartedEvent",
    "NoteAddedData",
    "NoteAddedEvent",
    "NoticeChangedData",
    "NoticeChangedEvent",
    "NoticePostedData",
    "NoticePostedEvent",
    "PaymentInstructionReceivedData",
    "PaymentInstructionReceivedEvent",
    "PeersCheckedData",
    "PeersCheckedEvent",
    "PlatformTraitObservedData",
    "PlatformTraitObservedEvent",
    "PoliceReportFiledData",
    "PoliceReportFiledEvent",
    "RecoveryOfferReceivedData",
    "RecoveryOfferReceivedEvent",
    "ReferenceData",
    "RefundNoticeReceivedData",
    "RefundNoticeReceivedEvent",
    "RegulatorCheckedData",
    "RegulatorCheckedEvent",
    "SupportContactedData",
    "SupportContactedEvent",
    "SupportDetails",
    "UrgencyStatedData",
    "UrgencyStatedEvent",
    "WithdrawalAttemptedData",
    "WithdrawalAttemptedEvent",
]
