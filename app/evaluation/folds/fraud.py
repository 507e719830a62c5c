"""Evaluation, step 1 (folding): the folds of the red-flag events (models: app/cases/event_data_fraud.py)."""

from app.evaluation.folds.registry import Fold, fold
from app.evaluation.model import EventInput

_DESTINATION_FACT = {
    "personal_account": "pay_to_personal_account",
    "crypto_wallet": "pay_to_crypto_or_cash",
    "cash_handover": "pay_to_crypto_or_cash",
    "safe_account": "safe_account_requested",
}


@fold("fee_demanded")
def _fee_demanded(f: Fold, e: EventInput) -> None:
    f.add("fee_demanded_count", e.seq)


@fold("payment_instruction_received")
def _payment_instruction_received(f: Fold, e: EventInput) -> None:
    f.set(_DESTINATION_FACT[e.data["destination"]], True, e.seq)
    if e.data.get("account_changes_each_time"):
        f.set("pay_to_personal_account", True, e.seq)


@fold("credentials_requested")
def _credentials_requested(f: Fold, e: EventInput) -> None:
    f.set("credentials_requested", True, e.seq)


@fold("recovery_offer_received")
def _recovery_offer_received(f: Fold, e: EventInput) -> None:
    f.add("recovery_offer_count", e.seq)
    if e.data["fee_requested"] or e.data.get("deposit_requested"):
        f.set("recovery_offer_for_fee", True, e.seq)
    if e.data.get("screen_share_requested"):
        f.set("credentials_requested", True, e.seq)


@fold("refund_notice_received")
def _refund_notice_received(f: Fold, e: EventInput) -> None:
    if e.data.get("asks_group_or_fee"):
        f.set("refund_notice_suspicious", True, e.seq)


@fold("agent_solicitation")
def _agent_solicitation(f: Fold, e: EventInput) -> None:
    f.add("agent_solicitation_count", e.seq)
    if e.data["fee_requested"] or e.data.get("coaching_false_claims"):
        f.set("agent_charges_or_coaches", True, e.seq)


@fold("account_restricted")
def _account_restricted(f: Fold, e: EventInput) -> None:
    f.set(f"restriction_{e.data['restriction']}", True, e.seq)


@fold("platform_trait_observed")
def _platform_trait_observed(f: Fold, e: EventInput) -> None:
    f.set(f"trait_{e.data['trait']}", True, e.seq)


@fold("police_report_filed")
def _police_report_filed(f: Fold, e: EventInput) -> None:
    f.set("police_report_filed", True, e.seq)
    f.police_reports.append((e.occurred_at, e.seq))
