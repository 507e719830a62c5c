"""Request edge: strict models for the events that report red flags (DESIGN §2); see event_data.

Each type's fold, what it means for the rules, is in app/evaluation/folds/fraud.py.
"""

from typing import Literal

from pydantic import Field, StrictBool

from app.cases.event_data_common import EventBase, EventData, Label, ReferenceData
from app.schemas import Money

__all__ = [
    "AccountRestrictedData",
    "AccountRestrictedEvent",
    "AgentSolicitationData",
    "AgentSolicitationEvent",
    "CredentialsRequestedData",
    "CredentialsRequestedEvent",
    "FeeDemandedData",
    "FeeDemandedEvent",
    "PaymentInstructionReceivedData",
    "PaymentInstructionReceivedEvent",
    "PlatformTraitObservedData",
    "PlatformTraitObservedEvent",
    "PoliceReportFiledData",
    "PoliceReportFiledEvent",
    "RecoveryOfferReceivedData",
    "RecoveryOfferReceivedEvent",
    "RefundNoticeReceivedData",
    "RefundNoticeReceivedEvent",
]


# R1: money asked for as the price of releasing a withdrawal.
class FeeDemandedData(EventData):
    fee_kind: Literal[
        "unfreeze", "deposit", "tax", "turnover_topup", "vip_upgrade", "verification", "other"
    ]
    amount: Money | None = None


class FeeDemandedEvent(EventBase):
    type: Literal["fee_demanded"]
    data: FeeDemandedData


# R2 (personal account, wallet, cash) and R7 (the "safe account").
class PaymentInstructionReceivedData(EventData):
    destination: Literal["personal_account", "crypto_wallet", "cash_handover", "safe_account"]
    amount: Money | None = None
    # A fresh receiving account for every payment is one of the R2 signs in police notices.
    account_changes_each_time: StrictBool | None = None


class PaymentInstructionReceivedEvent(EventBase):
    type: Literal["payment_instruction_received"]
    data: PaymentInstructionReceivedData


# R7: nobody legitimate needs these to pay out a withdrawal.
class CredentialsRequestedData(EventData):
    what: Literal["verification_code", "screen_share", "password"]


class CredentialsRequestedEvent(EventBase):
    type: Literal["credentials_requested"]
    data: CredentialsRequestedData


# S8: an offer to get the money back, free or not (B2.15); R5 once it asks for money.
class RecoveryOfferReceivedData(EventData):
    fee_requested: StrictBool
    # Free text: these offers arrive by every medium (QQ group, short-video comment, phone call).
    channel: Label | None = None
    # Who the contact claims to be: the lure wears many coats, and the dossier names it.
    poses_as: Literal["advisor", "lawyer", "official", "hacker", "recovery_agency", "other"] | None = None
    # Moving the talk to a private chat is the lure's usual first step; not a flag on its own.
    private_chat: StrictBool | None = None
    # Screen sharing is R7 and a "deposit" or "channel fee" is R5, however the offer began.
    screen_share_requested: StrictBool | None = None
    deposit_requested: StrictBool | None = None


class RecoveryOfferReceivedEvent(EventBase):
    type: Literal["recovery_offer_received"]
    data: RecoveryOfferReceivedData


# R6: a "regulator" or "court" refund notice. Nothing in it is required: receiving one is the fact.
class RefundNoticeReceivedData(EventData):
    # Free text: the claimed sender is whatever the letter says, real body or invented.
    claims_authority: Label | None = None
    asks_group_or_fee: StrictBool | None = None


class RefundNoticeReceivedEvent(EventBase):
    type: Literal["refund_notice_received"]
    data: RefundNoticeReceivedData = Field(default_factory=RefundNoticeReceivedData)


# R8: a "代理退保 / 全额退保" agent.
class AgentSolicitationData(EventData):
    fee_requested: StrictBool
    coaching_false_claims: StrictBool | None = None


class AgentSolicitationEvent(EventBase):
    type: Literal["agent_solicitation"]
    data: AgentSolicitationData


# Mostly S5 (mass blocking, support gone, site degrading), observed as a concrete restriction.
class AccountRestrictedData(EventData):
    restriction: Literal[
        "frozen", "login_blocked", "app_removed", "website_down", "support_unreachable"
    ]


class AccountRestrictedEvent(EventBase):
    type: Literal["account_restricted"]
    data: AccountRestrictedData


# One trait per event, so each red flag the rules raise points at the event that showed it.
class PlatformTraitObservedData(EventData):
    trait: Literal[
        "guaranteed_returns",
        "small_withdrawals_only",
        "recruited_by_stranger",
        "installed_from_link",
        "needs_vpn",
        "betting_context",
        "pressure_or_secrecy",
        "mass_blocking",
    ]


class PlatformTraitObservedEvent(EventBase):
    type: Literal["platform_trait_observed"]
    data: PlatformTraitObservedData


# The fraud track's own escalation: reporting is the fact, the report number is a bonus.
class PoliceReportFiledData(ReferenceData):
    pass


class PoliceReportFiledEvent(EventBase):
    type: Literal["police_report_filed"]
    data: PoliceReportFiledData = Field(default_factory=PoliceReportFiledData)
