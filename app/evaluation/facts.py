"""Evaluation, step 1: fold the event log into a few compact facts the rules decide on.

This is bookkeeping only (counts, latest values, times): no thresholds and no decisions live
here, so that a reader of `rules/` sees the whole policy. Facts are flat scalars because
durable-rules matches JSON messages; a missing value is spelt "unknown", never null.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from app.evaluation.ledger import Excuse, Promise, fold_ledger
from app.evaluation.model import CaseInput, EventInput, PromiseEntry

DAY = timedelta(days=1)


@dataclass(frozen=True)
class FactSpec:
    type: type
    doc: str
    anchor: str | None = None  # for day counters: the time they count from
    # Money is held in cents (fen) so that no comparison rounds it; rules still write whole
    # units (50000), which the loader scales by CENTS before they reach durable-rules.
    in_cents: bool = False


CENTS = 100
FACTS: dict[str, FactSpec] = {}
TIME_ANCHORS: dict[str, str] = {}


def _fact(name: str, type_: type, doc: str, anchor: str | None = None, in_cents: bool = False) -> None:
    FACTS[name] = FactSpec(type_, doc, anchor, in_cents)


def _anchor(name: str, doc: str) -> None:
    TIME_ANCHORS[name] = doc


# --- the vocabulary rules may use (validated at load) ---------------------------------------
_fact("platform_kind", str, "intake platform kind")
_fact("platform_licensed", str, "yes / no / unknown, from the intake or a later licence check")
_fact("app_source", str, "where the app came from, or unknown")
_fact("amount", int, "the amount stuck, exactly, in cents; rules compare it in whole units",
      in_cents=True)
_fact("event_count", int, "events in the log")

_fact("notice_count", int, "notices seen")
_fact("notice_kind", str, "kind of the latest notice, or none")
_fact("notice_scope", str, "scope of the latest notice, or unknown")
_fact("notice_has_end", bool, "the latest notice names an expected end")
_fact("notice_has_reason", bool, "the latest notice gives a concrete reason")
_fact("notice_changed_count", int, "notices edited or removed after publication")
_fact("notice_screenshot_saved", bool, "a screenshot of the notice is kept")
_fact("notice_removed", bool, "the latest notice was taken down")

_fact("regulator_checked", bool, "the regulator's site was checked")
_fact("regulator_confirms", bool, "the regulator's site has a related notice")
_fact("peers_checked", bool, "other licensed platforms were checked")
_fact("peers_affected", bool, "other platforms are affected too")
_fact("license_checked", bool, "the licence was looked up")
_fact("impersonates_licensed_firm", bool, "the platform copies a licensed firm")

_fact("evidence_count", int, "evidence items kept")
_fact("communications_saved", bool, "a recording, chat log or email is kept")
_fact("transfer_records_saved", bool, "a transfer receipt is kept")

_fact("support_contact_count", int, "contacts with the platform's support")
_fact("details_refused_count", int, "contacts where support gave no details at all")
_fact("latest_details_complete", bool, "the latest contact gave every detail the guide asks for")
_fact("explanation_conflicts_notice", bool, "support explained something other than the notice")
_fact("explanation_kinds_seen", int, "distinct explanations support has given")
_fact("promise_count", int, "dated promises (support or notice end)")
_fact("open_promise", bool, "a dated promise is still in the future")
_fact("broken_promise_count", int, "dated promises passed without full payout")
_fact("latest_promise_in_writing", bool, "the latest promise was confirmed in writing")
_fact("undated_excuse_count", int, "contacts with an excuse but no date")
_fact("undated_excuse_count_besides_documents", int,
      "contacts with an excuse but no date, leaving out requests for documents")
_fact("undated_excuse_after_broken_promise", bool, "an undated excuse came after a broken promise")
_fact("undated_excuse_besides_documents_after_broken_promise", bool,
      "an undated excuse other than a request for documents came after a broken promise")
_fact("urgency_stated", bool, "the user told the platform why the money is urgent")

_fact("withdrawal_failed_count", int, "refused or failed withdrawals")
_fact("withdrawal_partial_count", int, "partly paid withdrawals")
_fact("funds_received_any", bool, "some money arrived")
_fact("paid_in_full", bool, "the whole amount arrived")
_fact("days_since_first_failure", int, "days since the first refused withdrawal (the request itself unless an earlier failure is logged)",
      anchor="first_failure_at")
_fact("days_since_request", int, "days since the withdrawal was requested",
      anchor="withdrawal_requested_at")

_fact("fee_demanded_count", int, "demands for money to release the withdrawal")
_fact("pay_to_personal_account", bool, "told to pay a personal account or a new one each time")
_fact("pay_to_crypto_or_cash", bool, "told to pay in crypto or hand over cash")
_fact("safe_account_requested", bool, "told to move money to a 'safe account'")
_fact("credentials_requested", bool, "asked for codes, passwords or screen sharing")
_fact("recovery_offer_count", int, "offers to recover the money")
_fact("recovery_offer_for_fee", bool, "a recovery offer asks for money (a fee or a deposit)")
_fact("refund_notice_suspicious", bool, "a 'refund' notice asks to join a group, scan or pay")
_fact("agent_solicitation_count", int, "surrender agents who approached the user")
_fact("agent_charges_or_coaches", bool, "an agent asks for a fee or coaches false claims")
for _r in ("frozen", "login_blocked", "app_removed", "website_down", "support_unreachable"):
    _fact(f"restriction_{_r}", bool, f"account or platform: {_r}")
for _t in ("guaranteed_returns", "small_withdrawals_only", "recruited_by_stranger",
           "installed_from_link", "needs_vpn", "betting_context", "pressure_or_secrecy",
           "mass_blocking"):
    _fact(f"trait_{_t}", bool, f"platform trait: {_t}")

_fact("complaint_count", int, "complaints filed, to any authority")
_fact("complaint_platform_filed", bool, "a formal complaint went to the firm")
_fact("complaint_regulator_filed", bool, "a complaint went to the regulator or 12378")
_fact("complaint_association_filed", bool, "a complaint went to the industry association")
_fact("complaint_12315_filed", bool, "a complaint went to 12315")
_fact("complaint_forwarded", bool, "the regulator forwarded the complaint to the firm")
_fact("extension_notified", bool, "the firm announced an extension with a new date")
_fact("decision_outcome", str, "the firm's decision: none, upheld, partially_upheld or rejected")
_fact("superior_review_requested", bool, "the decision was taken to the firm's superior")
_fact("superior_outcome", str, "the superior's answer: none, upheld, partially_upheld or rejected")
_fact("extension_span_days", int, "days from the complaint to the announced new date (-1: none)")
_fact("decision_incomplete", bool, "the decision lacks reasons or remedies")
_fact("days_since_decision", int, "days since the firm's decision (-1: none)", anchor="decision_at")
_fact("days_since_harm_known", int, "days since the user knew of the harm",
      anchor="harm_known_at")
_fact("days_since_regulator_complaint", int, "days since the regulator complaint (-1: none)",
      anchor="regulator_complaint_at")
_fact("mediation_active", bool, "industry mediation is under way")
_fact("mediation_failed", bool, "mediation ended without settlement")
_fact("mediation_settled", bool, "mediation ended with a settlement")
_fact("lawyer_consulted", bool, "a lawyer was consulted")
_fact("lawsuit_filed", bool, "a suit was filed")
_fact("police_report_filed", bool, "the police have a report")
_fact("case_closed", bool, "the user closed the case")
_fact("police_report_after_settled", bool,
      "a police report came after the case was last paid in full or closed")

_anchor("first_failure_at", "the first refused withdrawal")
_anchor("withdrawal_requested_at", "the intake's withdrawal request")
_anchor("latest_promise_at", "the date of the latest outstanding promise")
_anchor("notice_end_at", "the latest notice's expected end")
_anchor("platform_complaint_at", "the latest complaint to the firm (new material restarts it)")
_anchor("regulator_complaint_at", "the latest complaint to the regulator or 12378")
_anchor("decision_at", "the firm's decision")
_anchor("extension_due_at", "the new date the firm announced for its decision")
_anchor("superior_review_at", "when the decision was taken to the firm's superior")
_anchor("harm_known_at", "when the user knew of the harm (first refusal, else the request)")


@dataclass
class DerivedFacts:
    values: dict[str, Any]
    provenance: dict[str, frozenset[int]]
    times: dict[str, datetime]
    pauses: list[tuple[datetime, datetime]]  # mediation intervals, clipped to as_of
    # Instants after as_of at which a fact changes by time alone (a promise lapsing).
    transitions: set[datetime] = field(default_factory=set)
    promises: list[PromiseEntry] = field(default_factory=list)  # the ledger, in order made


class _Acc:
    """Mutable scratchpad for one fold; only `derive` uses it."""

    def __init__(self) -> None:
        self.v: dict[str, Any] = {}
        self.prov: dict[str, set[int]] = {}
        self.times: dict[str, datetime] = {}

    def set(self, name: str, value: Any, seq: int | None = None) -> None:
        self.v[name] = value
        if seq is not None:
            self.prov.setdefault(name, set()).add(seq)

    def add(self, name: str, seq: int, by: int = 1) -> None:
        self.set(name, self.v.get(name, 0) + by, seq)


def _defaults(case: CaseInput) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, spec in FACTS.items():
        values[name] = {bool: False, int: 0, float: 0.0, str: "unknown"}[spec.type]
    values.update(
        platform_kind=case.platform_kind,
        platform_licensed={True: "yes", False: "no", None: "unknown"}[case.platform_licensed],
        app_source=case.app_source or "unknown",
        # Cents as an integer: exact (50,000.50 is not 50,000), and a float this large would
        # reach durable-rules as "1e+16", which its JSON parser rejects.
        amount=int(case.amount * CENTS),
        notice_kind="none",
        decision_outcome="none",
        superior_outcome="none",
        extension_span_days=-1,
        days_since_first_failure=-1,
        days_since_decision=-1,
        days_since_regulator_complaint=-1,
        latest_promise_in_writing=False,
    )
    return values


_NOTICE_AS_EXPLANATION = {
    "channel_maintenance": "channel_maintenance",
    "risk_review": "risk_review",
    "system_upgrade": "system_fault",
}
_EXPLANATIONS = {"channel_maintenance", "risk_review", "system_fault"}
_DESTINATION_FACT = {
    "personal_account": "pay_to_personal_account",
    "crypto_wallet": "pay_to_crypto_or_cash",
    "cash_handover": "pay_to_crypto_or_cash",
    "safe_account": "safe_account_requested",
}
_REGULATOR = {"nfra_branch", "hotline_12378"}


def derive(case: CaseInput, events: Sequence[EventInput], as_of: datetime) -> DerivedFacts:
    """Fold the events that had happened by `as_of` into facts, their sources and times."""
    acc = _Acc()
    acc.v = _defaults(case)
    acc.times["withdrawal_requested_at"] = case.withdrawal_requested_at
    # A case is opened because the requested withdrawal did not arrive: the request is the
    # first refusal unless an earlier failed attempt is recorded.
    acc.times["first_failure_at"] = case.withdrawal_requested_at
    seen = sorted((e for e in events if e.occurred_at <= as_of), key=lambda e: (e.occurred_at, e.seq))
    acc.set("event_count", len(seen))

    promises: list[Promise] = []
    excuses: list[Excuse] = []
    explanations: set[str] = set()
    # What the notices and support said, compared once the whole log is read, so that a
    # contradiction is seen whichever of the two came first.
    notice_explanations: dict[str, int] = {}
    support_explanations: list[tuple[str, int]] = []
    received = Decimal(0)
    payouts: list[datetime] = []
    paid_in_full_at: datetime | None = None
    pauses: list[tuple[datetime, datetime]] = []
    mediation_start: datetime | None = None
    closed_at: datetime | None = None
    settled: list[tuple[datetime, int]] = []  # the moments the case was paid in full or closed
    police_reports: list[tuple[datetime, int]] = []

    for e in seen:
        d, s, t = e.data, e.seq, e.occurred_at
        if e.type == "notice_posted":
            acc.add("notice_count", s)
            acc.set("notice_kind", d["notice_kind"], s)
            acc.set("notice_scope", d.get("scope") or "unknown", s)
            acc.set("notice_has_end", d.get("expected_end_at") is not None, s)
            acc.set("notice_has_reason", bool(d.get("reason")), s)
            if d["notice_kind"] in _NOTICE_AS_EXPLANATION:
                notice_explanations.setdefault(_NOTICE_AS_EXPLANATION[d["notice_kind"]], s)
            if d.get("expected_end_at") is not None:
                end = _dt(d["expected_end_at"])
                acc.times["notice_end_at"] = end
                promises.append(Promise(t, end, s, True, "notice"))
        elif e.type == "notice_changed":
            acc.add("notice_changed_count", s)
            acc.set("notice_removed", d["change"] == "removed", s)
        elif e.type == "regulator_checked":
            acc.set("regulator_checked", True, s)
            acc.set("regulator_confirms", bool(d["found_related_notice"]), s)
        elif e.type == "peers_checked":
            acc.set("peers_checked", True, s)
            acc.set("peers_affected", bool(d["peers_affected"]), s)
        elif e.type == "license_checked":
            acc.set("license_checked", True, s)
            acc.set("platform_licensed", "yes" if d["licensed"] else "no", s)
            if d.get("impersonates_licensed_firm"):
                acc.set("impersonates_licensed_firm", True, s)
        elif e.type == "evidence_saved":
            acc.add("evidence_count", s)
            kind = d["kind"]
            if kind == "notice_screenshot":
                acc.set("notice_screenshot_saved", True, s)
            elif kind in ("call_recording", "chat_log", "email"):
                acc.set("communications_saved", True, s)
            elif kind == "transfer_receipt":
                acc.set("transfer_records_saved", True, s)
        elif e.type == "support_contacted":
            acc.add("support_contact_count", s)
            if d.get("recorded"):
                acc.set("communications_saved", True, s)
            explanation = d.get("explanation_kind")
            details = d.get("details_given") or {}
            complete = len(details) == 4 and all(details.values())
            acc.set("latest_details_complete", complete, s)
            if explanation == "none" or (details and not any(details.values())):
                acc.add("details_refused_count", s)
            if explanation in _EXPLANATIONS:
                explanations.add(explanation)
                acc.set("explanation_kinds_seen", len(explanations), s)
                support_explanations.append((explanation, s))
            if d.get("promised_resolution_at") is not None:
                promises.append(Promise(t, _dt(d["promised_resolution_at"]), s,
                                         d.get("in_writing"), "support"))
            elif explanation not in (None, "none"):
                # A request for documents is an excuse only where the firm is not licensed;
                # the rules decide that, so both counts are kept.
                documents = explanation == "documents_requested"
                acc.add("undated_excuse_count", s)
                if not documents:
                    acc.add("undated_excuse_count_besides_documents", s)
                excuses.append(Excuse(t, s, documents))
        elif e.type == "urgency_stated":
            acc.set("urgency_stated", True, s)
        elif e.type == "withdrawal_attempted":
            if d["result"] == "failed":
                acc.add("withdrawal_failed_count", s)
                if t < acc.times["first_failure_at"]:
                    acc.times["first_failure_at"] = t
                    acc.prov["days_since_first_failure"] = {s}
            elif d["result"] == "partial":
                acc.add("withdrawal_partial_count", s)
        elif e.type == "funds_received":
            received += Decimal(str(d["amount"]))
            payouts.append(t)
            acc.set("funds_received_any", True, s)
            if (d.get("full") or received >= case.amount) and paid_in_full_at is None:
                acc.set("paid_in_full", True, s)
                paid_in_full_at = t
                settled.append((t, s))
        elif e.type == "fee_demanded":
            acc.add("fee_demanded_count", s)
        elif e.type == "payment_instruction_received":
            acc.set(_DESTINATION_FACT[d["destination"]], True, s)
            if d.get("account_changes_each_time"):
                acc.set("pay_to_personal_account", True, s)
        elif e.type == "credentials_requested":
            acc.set("credentials_requested", True, s)
        elif e.type == "recovery_offer_received":
            acc.add("recovery_offer_count", s)
            if d["fee_requested"] or d.get("deposit_requested"):
                acc.set("recovery_offer_for_fee", True, s)
            if d.get("screen_share_requested"):
                acc.set("credentials_requested", True, s)
        elif e.type == "refund_notice_received":
            if d.get("asks_group_or_fee"):
                acc.set("refund_notice_suspicious", True, s)
        elif e.type == "agent_solicitation":
            acc.add("agent_solicitation_count", s)
            if d["fee_requested"] or d.get("coaching_false_claims"):
                acc.set("agent_charges_or_coaches", True, s)
        elif e.type == "account_restricted":
            acc.set(f"restriction_{d['restriction']}", True, s)
        elif e.type == "platform_trait_observed":
            acc.set(f"trait_{d['trait']}", True, s)
        elif e.type == "complaint_filed":
            authority = d["authority"]
            acc.add("complaint_count", s)
            if authority == "platform":
                acc.set("complaint_platform_filed", True, s)
                acc.times["platform_complaint_at"] = t
                acc.prov["platform_complaint_at"] = {s}
            elif authority in _REGULATOR:
                acc.set("complaint_regulator_filed", True, s)
                acc.times["regulator_complaint_at"] = t
                acc.prov["regulator_complaint_at"] = {s}
            elif authority == "platform_superior":
                acc.set("superior_review_requested", True, s)
                acc.times["superior_review_at"] = t
                acc.prov["superior_review_at"] = {s}
            elif authority == "insurance_association":
                acc.set("complaint_association_filed", True, s)
            elif authority == "consumer_12315":
                acc.set("complaint_12315_filed", True, s)
        elif e.type == "complaint_forwarded":
            acc.set("complaint_forwarded", True, s)
            # Forwarding hands the complaint to the firm: its decision clock starts here.
            acc.times["platform_complaint_at"] = t
            acc.prov["platform_complaint_at"] = {s}
        elif e.type == "extension_notified":
            acc.set("extension_notified", True, s)
            acc.times["extension_due_at"] = _dt(d["new_deadline_at"])
            acc.prov["extension_due_at"] = {s}
        elif e.type == "decision_received" and d.get("authority") == "platform_superior":
            acc.set("superior_outcome", d["outcome"], s)
        elif e.type == "decision_received":
            acc.set("decision_outcome", d["outcome"], s)
            acc.set("decision_incomplete",
                    d.get("reasons_given") is False or d.get("remedies_listed") is False, s)
            acc.times["decision_at"] = t
            acc.prov["days_since_decision"] = {s}
        elif e.type == "mediation_started":
            acc.set("mediation_active", True, s)
            mediation_start = t
        elif e.type == "mediation_ended":
            acc.set("mediation_active", False, s)
            acc.set("mediation_settled" if d["settled"] else "mediation_failed", True, s)
            if mediation_start is not None:
                pauses.append((mediation_start, t))
                mediation_start = None
        elif e.type == "lawyer_consulted":
            acc.set("lawyer_consulted", True, s)
        elif e.type == "lawsuit_filed":
            acc.set("lawsuit_filed", True, s)
        elif e.type == "police_report_filed":
            acc.set("police_report_filed", True, s)
            police_reports.append((t, s))
        elif e.type == "case_closed":
            acc.set("case_closed", True, s)
            closed_at = t if closed_at is None else closed_at
            settled.append((t, s))
    if mediation_start is not None:
        pauses.append((mediation_start, as_of))
    for explanation, seq in support_explanations:
        if notice_explanations and explanation not in notice_explanations:
            acc.set("explanation_conflicts_notice", True, seq)
            acc.prov["explanation_conflicts_notice"].update(notice_explanations.values())

    ledger = fold_ledger(promises, excuses, payouts, paid_in_full_at, closed_at, as_of)
    for name, (value, seqs) in ledger.facts.items():
        acc.v[name] = value
        acc.prov.setdefault(name, set()).update(seqs)
    if ledger.latest_due is not None:
        acc.times["latest_promise_at"], seq = ledger.latest_due
        acc.prov["latest_promise_at"] = {seq}
    if "extension_due_at" in acc.times and "platform_complaint_at" in acc.times:
        acc.v["extension_span_days"] = (acc.times["extension_due_at"] - acc.times["platform_complaint_at"]) // DAY
        acc.prov["extension_span_days"] = set(acc.prov.get("extension_due_at", set()))
    if settled:
        # The latest settling event: a red flag after it reopens the case (rules/status).
        acc.times["settled_at"], settled_seq = max(settled)
        acc.prov["settled_at"] = {settled_seq}
        for report in police_reports:
            if report > (acc.times["settled_at"], settled_seq):
                acc.set("police_report_after_settled", True, report[1])
    acc.times["harm_known_at"] = acc.times["first_failure_at"]
    acc.prov["days_since_harm_known"] = acc.prov.get("days_since_first_failure", set())
    for name, spec in FACTS.items():
        if spec.anchor and spec.anchor in acc.times:
            acc.v[name] = (as_of - acc.times[spec.anchor]) // DAY
            acc.prov.setdefault(name, acc.prov.get(spec.anchor, set()))
    return DerivedFacts(
        values=acc.v,
        provenance={k: frozenset(v) for k, v in acc.prov.items()},
        times=acc.times,
        pauses=pauses,
        transitions=ledger.transitions,
        promises=ledger.entries,
    )


def _dt(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)
