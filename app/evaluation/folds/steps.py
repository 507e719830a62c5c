"""Events, guide steps 1 to 4 (verify, keep evidence, talk, follow up): each type's model, as
clients post it, beside its fold, which turns it into facts for the rules.

Registering a fold with its event model (`@fold(TheEvent)`) also puts the model in the API's union
(app/cases/event_data.py), in the order registered; a new fact is declared here with `fact(...)`.
"""

from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import StrictBool, StringConstraints

from app.evaluation.folds.common import EventBase, EventData, Label, Text
from app.evaluation.folds.registry import Fold, dt, fact, fold
from app.evaluation.ledger import Excuse, Promise
from app.evaluation.model import EventInput
from app.schemas import Money, OffsetDatetime

_NOTICE_AS_EXPLANATION = {
    "channel_maintenance": "channel_maintenance",
    "risk_review": "risk_review",
    "system_upgrade": "system_fault",
}


_EXPLANATIONS = {"channel_maintenance", "risk_review", "system_fault"}


class NoticePostedData(EventData):
    example: ClassVar[dict[str, Any]] = {"notice_kind": "channel_maintenance"}
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


fact("notice_count", int, "notices seen")
fact("notice_kind", str, "kind of the latest notice, or none", default="none")
fact("notice_scope", str, "scope of the latest notice, or unknown")
fact("notice_has_end", bool, "the latest notice names an expected end")
fact("notice_has_reason", bool, "the latest notice gives a concrete reason")


@fold(NoticePostedEvent)
def _notice_posted(f: Fold, e: EventInput) -> None:
    d, s = e.data, e.seq
    f.add("notice_count", s)
    f.set("notice_kind", d["notice_kind"], s)
    f.set("notice_scope", d.get("scope") or "unknown", s)
    f.set("notice_has_end", d.get("expected_end_at") is not None, s)
    f.set("notice_has_reason", bool(d.get("reason")), s)
    if d["notice_kind"] in _NOTICE_AS_EXPLANATION:
        f.notice_explanations.setdefault(_NOTICE_AS_EXPLANATION[d["notice_kind"]], s)
    if d.get("expected_end_at") is not None:
        end = dt(d["expected_end_at"])
        f.times["notice_end_at"] = end
        f.promises.append(Promise(e.occurred_at, end, s, True, "notice"))


class NoticeChangedData(EventData):
    example: ClassVar[dict[str, Any]] = {"change": "edited"}
    change: Literal["edited", "removed"]


class NoticeChangedEvent(EventBase):
    type: Literal["notice_changed"]
    data: NoticeChangedData


fact("notice_changed_count", int, "notices edited or removed after publication")
fact("notice_removed", bool, "the latest notice was taken down")


@fold(NoticeChangedEvent)
def _notice_changed(f: Fold, e: EventInput) -> None:
    f.add("notice_changed_count", e.seq)
    f.set("notice_removed", e.data["change"] == "removed", e.seq)


class RegulatorCheckedData(EventData):
    example: ClassVar[dict[str, Any]] = {"found_related_notice": False}
    found_related_notice: StrictBool
    # Where the user looked, so a later reader can repeat the check.
    source: Label | None = None


class RegulatorCheckedEvent(EventBase):
    type: Literal["regulator_checked"]
    data: RegulatorCheckedData


fact("regulator_checked", bool, "the regulator's site was checked")
fact("regulator_confirms", bool, "the regulator's site has a related notice")


@fold(RegulatorCheckedEvent)
def _regulator_checked(f: Fold, e: EventInput) -> None:
    f.set("regulator_checked", True, e.seq)
    f.set("regulator_confirms", bool(e.data["found_related_notice"]), e.seq)


class PeersCheckedData(EventData):
    example: ClassVar[dict[str, Any]] = {"peers_affected": False}
    peers_affected: StrictBool
    source: Label | None = None


class PeersCheckedEvent(EventBase):
    type: Literal["peers_checked"]
    data: PeersCheckedData


fact("peers_checked", bool, "other licensed platforms were checked")
fact("peers_affected", bool, "other platforms are affected too")


@fold(PeersCheckedEvent)
def _peers_checked(f: Fold, e: EventInput) -> None:
    f.set("peers_checked", True, e.seq)
    f.set("peers_affected", bool(e.data["peers_affected"]), e.seq)


class LicenseCheckedData(EventData):
    example: ClassVar[dict[str, Any]] = {"licensed": True}
    licensed: StrictBool
    impersonates_licensed_firm: StrictBool | None = None
    source: Label | None = None


class LicenseCheckedEvent(EventBase):
    type: Literal["license_checked"]
    data: LicenseCheckedData


fact("license_checked", bool, "the licence was looked up")
fact("impersonates_licensed_firm", bool, "the platform copies a licensed firm")


@fold(LicenseCheckedEvent)
def _license_checked(f: Fold, e: EventInput) -> None:
    f.set("license_checked", True, e.seq)
    f.set("platform_licensed", "yes" if e.data["licensed"] else "no", e.seq)
    if e.data.get("impersonates_licensed_firm"):
        f.set("impersonates_licensed_firm", True, e.seq)


class EvidenceSavedData(EventData):
    example: ClassVar[dict[str, Any]] = {"kind": "notice_screenshot"}
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


fact("notice_screenshot_saved", bool, "a screenshot of the notice is kept")
fact("evidence_count", int, "evidence items kept")
fact("communications_saved", bool, "a recording, chat log or email is kept")
fact("transfer_records_saved", bool, "a transfer receipt is kept")


@fold(EvidenceSavedEvent)
def _evidence_saved(f: Fold, e: EventInput) -> None:
    f.add("evidence_count", e.seq)
    kind = e.data["kind"]
    if kind == "notice_screenshot":
        f.set("notice_screenshot_saved", True, e.seq)
    elif kind in ("call_recording", "chat_log", "email"):
        f.set("communications_saved", True, e.seq)
    elif kind == "transfer_receipt":
        f.set("transfer_records_saved", True, e.seq)


class SupportDetails(EventData):
    """Which of the details the guide says to ask for the agent actually gave."""

    channel: StrictBool | None = None
    maintainer: StrictBool | None = None
    criteria: StrictBool | None = None
    duration: StrictBool | None = None


class SupportContactedData(EventData):
    example: ClassVar[dict[str, Any]] = {"channel": "phone"}
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


fact("support_contact_count", int, "contacts with the platform's support")
fact("details_refused_count", int, "contacts where support gave no details at all")
fact("latest_details_complete", bool, "the latest contact gave every detail the guide asks for")
fact("explanation_kinds_seen", int, "distinct explanations support has given")
fact("undated_excuse_count", int, "contacts with an excuse but no date")
fact("undated_excuse_count_besides_documents", int,
    "contacts with an excuse but no date, leaving out requests for documents")


@fold(SupportContactedEvent)
def _support_contacted(f: Fold, e: EventInput) -> None:
    d, s = e.data, e.seq
    f.add("support_contact_count", s)
    if d.get("recorded"):
        f.set("communications_saved", True, s)
    explanation = d.get("explanation_kind")
    details = d.get("details_given") or {}
    complete = len(details) == 4 and all(details.values())
    f.set("latest_details_complete", complete, s)
    if explanation == "none" or (details and not any(details.values())):
        f.add("details_refused_count", s)
    if explanation in _EXPLANATIONS:
        f.explanations.add(explanation)
        f.set("explanation_kinds_seen", len(f.explanations), s)
        f.support_explanations.append((explanation, s))
    if d.get("promised_resolution_at") is not None:
        f.promises.append(Promise(e.occurred_at, dt(d["promised_resolution_at"]), s,
                                  d.get("in_writing"), "support"))
    elif explanation not in (None, "none"):
        # A request for documents is an excuse only where the firm is not licensed;
        # the rules decide that, so both counts are kept.
        documents = explanation == "documents_requested"
        f.add("undated_excuse_count", s)
        if not documents:
            f.add("undated_excuse_count_besides_documents", s)
        f.excuses.append(Excuse(e.occurred_at, s, documents))


class UrgencyStatedData(EventData):
    example: ClassVar[dict[str, Any]] = {"reason": "medical"}
    reason: Literal["medical", "debt", "living_costs", "other"]


class UrgencyStatedEvent(EventBase):
    type: Literal["urgency_stated"]
    data: UrgencyStatedData


fact("urgency_stated", bool, "the user told the platform why the money is urgent")


@fold(UrgencyStatedEvent)
def _urgency_stated(f: Fold, e: EventInput) -> None:
    f.set("urgency_stated", True, e.seq)


class WithdrawalAttemptedData(EventData):
    example: ClassVar[dict[str, Any]] = {"result": "failed"}
    result: Literal["failed", "partial", "succeeded"]
    amount: Money | None = None


class WithdrawalAttemptedEvent(EventBase):
    type: Literal["withdrawal_attempted"]
    data: WithdrawalAttemptedData


fact("withdrawal_failed_count", int, "refused or failed withdrawals")
fact("withdrawal_partial_count", int, "partly paid withdrawals")


@fold(WithdrawalAttemptedEvent)
def _withdrawal_attempted(f: Fold, e: EventInput) -> None:
    if e.data["result"] == "failed":
        f.add("withdrawal_failed_count", e.seq)
        if e.occurred_at < f.times["first_failure_at"]:
            f.times["first_failure_at"] = e.occurred_at
            f.prov["days_since_first_failure"] = {e.seq}
    elif e.data["result"] == "partial":
        f.add("withdrawal_partial_count", e.seq)


class FundsReceivedData(EventData):
    example: ClassVar[dict[str, Any]] = {"amount": "30000.00"}
    amount: Money
    full: StrictBool | None = None


class FundsReceivedEvent(EventBase):
    type: Literal["funds_received"]
    data: FundsReceivedData


fact("funds_received_any", bool, "some money arrived")
fact("paid_in_full", bool, "the whole amount arrived")


@fold(FundsReceivedEvent)
def _funds_received(f: Fold, e: EventInput) -> None:
    f.received += Decimal(str(e.data["amount"]))
    f.payouts.append(e.occurred_at)
    f.set("funds_received_any", True, e.seq)
    if (e.data.get("full") or f.received >= f.case.amount) and f.paid_in_full_at is None:
        f.set("paid_in_full", True, e.seq)
        f.paid_in_full_at = e.occurred_at
        f.settled.append((e.occurred_at, e.seq))
