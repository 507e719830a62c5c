"""Events that report red flags (DESIGN §2): each type's model, as clients post it, beside its
fold, which turns it into facts for the rules (see steps.py for how a type is registered).
"""

from typing import Any, ClassVar, Literal

from pydantic import Field, StrictBool

from app.evaluation.folds.common import EventBase, EventData, Label
from app.evaluation.folds.registry import Fold, fact, fold
from app.evaluation.model import EventInput
from app.schemas import Money

_DESTINATION_FACT = {
    "personal_account": "pay_to_personal_account",
    "crypto_wallet": "pay_to_crypto_or_cash",
    "cash_handover": "pay_to_crypto_or_cash",
    "safe_account": "safe_account_requested",
}


# R1: money asked for as the price of releasing a withdrawal.
class FeeDemandedData(EventData):
    example: ClassVar[dict[str, Any]] = {"fee_kind": "unfreeze"}
    fee_kind: Literal[
        "unfreeze", "deposit", "tax", "turnover_topup", "vip_upgrade", "verification", "other"
    ]
    amount: Money | None = None


class FeeDemandedEvent(EventBase):
    type: Literal["fee_demanded"]
    data: FeeDemandedData


fact("fee_demanded_count", int, "demands for money to release the withdrawal")


@fold(FeeDemandedEvent)
def _fee_demanded(f: Fold, e: EventInput) -> None:
    f.add("fee_demanded_count", e.seq)


# R2 (personal account, wallet, cash) and R7 (the "safe account").
class PaymentInstructionReceivedData(EventData):
    example: ClassVar[dict[str, Any]] = {"destination": "personal_account"}
    destination: Literal["personal_account", "crypto_wallet", "cash_handover", "safe_account"]
    amount: Money | None = None
    # A fresh receiving account for every payment is one of the R2 signs in police notices.
    account_changes_each_time: StrictBool | None = None


class PaymentInstructionReceivedEvent(EventBase):
    type: Literal["payment_instruction_received"]
    data: PaymentInstructionReceivedData


fact("pay_to_personal_account", bool, "told to pay a personal account or a new one each time")
fact("pay_to_crypto_or_cash", bool, "told to pay in crypto or hand over cash")
fact("safe_account_requested", bool, "told to move money to a 'safe account'")


@fold(PaymentInstructionReceivedEvent)
def _payment_instruction_received(f: Fold, e: EventInput) -> None:
    f.set(_DESTINATION_FACT[e.data["destination"]], True, e.seq)
    if e.data.get("account_changes_each_time"):
        f.set("pay_to_personal_account", True, e.seq)


# R7: nobody legitimate needs these to pay out a withdrawal.
class CredentialsRequestedData(EventData):
    example: ClassVar[dict[str, Any]] = {"what": "verification_code"}
    what: Literal["verification_code", "screen_share", "password"]


class CredentialsRequestedEvent(EventBase):
    type: Literal["credentials_requested"]
    data: CredentialsRequestedData


fact("credentials_requested", bool, "asked for codes, passwords or screen sharing")


@fold(CredentialsRequestedEvent)
def _credentials_requested(f: Fold, e: EventInput) -> None:
    f.set("credentials_requested", True, e.seq)


# S8: an offer to get the money back, free or not (B2.15); R5 once it asks for money.
class RecoveryOfferReceivedData(EventData):
    example: ClassVar[dict[str, Any]] = {"fee_requested": True}
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


fact("recovery_offer_count", int, "offers to recover the money")
fact("recovery_offer_for_fee", bool, "a recovery offer asks for money (a fee or a deposit)")


@fold(RecoveryOfferReceivedEvent)
def _recovery_offer_received(f: Fold, e: EventInput) -> None:
    f.add("recovery_offer_count", e.seq)
    if e.data["fee_requested"] or e.data.get("deposit_requested"):
        f.set("recovery_offer_for_fee", True, e.seq)
    if e.data.get("screen_share_requested"):
        f.set("credentials_requested", True, e.seq)


# R6: a "regulator" or "court" refund notice. Nothing in it is required: receiving one is the fact.
class RefundNoticeReceivedData(EventData):
    # Free text: the claimed sender is whatever the letter says, real body or invented.
    claims_authority: Label | None = None
    asks_group_or_fee: StrictBool | None = None


class RefundNoticeReceivedEvent(EventBase):
    type: Literal["refund_notice_received"]
    data: RefundNoticeReceivedData = Field(default_factory=RefundNoticeReceivedData)


fact("refund_notice_suspicious", bool, "a 'refund' notice asks to join a group, scan or pay")


@fold(RefundNoticeReceivedEvent)
def _refund_notice_received(f: Fold, e: EventInput) -> None:
    if e.data.get("asks_group_or_fee"):
        f.set("refund_notice_suspicious", True, e.seq)


# R8: a "代理退保 / 全额退保" agent.
class AgentSolicitationData(EventData):
    example: ClassVar[dict[str, Any]] = {"fee_requested": True}
    fee_requested: StrictBool
    coaching_false_claims: StrictBool | None = None


class AgentSolicitationEvent(EventBase):
    type: Literal["agent_solicitation"]
    data: AgentSolicitationData


fact("agent_solicitation_count", int, "surrender agents who approached the user")
fact("agent_charges_or_coaches", bool, "an agent asks for a fee or coaches false claims")


@fold(AgentSolicitationEvent)
def _agent_solicitation(f: Fold, e: EventInput) -> None:
    f.add("agent_solicitation_count", e.seq)
    if e.data["fee_requested"] or e.data.get("coaching_false_claims"):
        f.set("agent_charges_or_coaches", True, e.seq)


# Mostly S5 (mass blocking, support gone, site degrading), observed as a concrete restriction.
class AccountRestrictedData(EventData):
    example: ClassVar[dict[str, Any]] = {"restriction": "frozen"}
    restriction: Literal[
        "frozen", "login_blocked", "app_removed", "website_down", "support_unreachable"
    ]


class AccountRestrictedEvent(EventBase):
    type: Literal["account_restricted"]
    data: AccountRestrictedData


for _r in ("frozen", "login_blocked", "app_removed", "website_down", "support_unreachable"):
    fact(f"restriction_{_r}", bool, f"account or platform: {_r}")


@fold(AccountRestrictedEvent)
def _account_restricted(f: Fold, e: EventInput) -> None:
    f.set(f"restriction_{e.data['restriction']}", True, e.seq)


# One trait per event, so each red flag the rules raise points at the event that showed it.
class PlatformTraitObservedData(EventData):
    example: ClassVar[dict[str, Any]] = {"trait": "betting_context"}
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


for _t in ("guaranteed_returns", "small_withdrawals_only", "recruited_by_stranger",
           "installed_from_link", "needs_vpn", "betting_context", "pressure_or_secrecy",
           "mass_blocking"):
    fact(f"trait_{_t}", bool, f"platform trait: {_t}")


@fold(PlatformTraitObservedEvent)
def _platform_trait_observed(f: Fold, e: EventInput) -> None:
    f.set(f"trait_{e.data['trait']}", True, e.seq)
