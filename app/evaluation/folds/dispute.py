"""Evaluation, step 1 (folding): the folds of the dispute events (models: app/cases/event_data.py)."""

from decimal import Decimal

from app.evaluation.folds.registry import Fold, dt, fold
from app.evaluation.ledger import Excuse, Promise
from app.evaluation.model import EventInput

_NOTICE_AS_EXPLANATION = {
    "channel_maintenance": "channel_maintenance",
    "risk_review": "risk_review",
    "system_upgrade": "system_fault",
}
_EXPLANATIONS = {"channel_maintenance", "risk_review", "system_fault"}
_REGULATOR = {"nfra_branch", "hotline_12378"}


# --- Step 1, verify -----------------------------------------------------------------------------


@fold("notice_posted")
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


@fold("notice_changed")
def _notice_changed(f: Fold, e: EventInput) -> None:
    f.add("notice_changed_count", e.seq)
    f.set("notice_removed", e.data["change"] == "removed", e.seq)


@fold("regulator_checked")
def _regulator_checked(f: Fold, e: EventInput) -> None:
    f.set("regulator_checked", True, e.seq)
    f.set("regulator_confirms", bool(e.data["found_related_notice"]), e.seq)


@fold("peers_checked")
def _peers_checked(f: Fold, e: EventInput) -> None:
    f.set("peers_checked", True, e.seq)
    f.set("peers_affected", bool(e.data["peers_affected"]), e.seq)


@fold("license_checked")
def _license_checked(f: Fold, e: EventInput) -> None:
    f.set("license_checked", True, e.seq)
    f.set("platform_licensed", "yes" if e.data["licensed"] else "no", e.seq)
    if e.data.get("impersonates_licensed_firm"):
        f.set("impersonates_licensed_firm", True, e.seq)


# --- Step 2, evidence ---------------------------------------------------------------------------


@fold("evidence_saved")
def _evidence_saved(f: Fold, e: EventInput) -> None:
    f.add("evidence_count", e.seq)
    kind = e.data["kind"]
    if kind == "notice_screenshot":
        f.set("notice_screenshot_saved", True, e.seq)
    elif kind in ("call_recording", "chat_log", "email"):
        f.set("communications_saved", True, e.seq)
    elif kind == "transfer_receipt":
        f.set("transfer_records_saved", True, e.seq)


# --- Steps 3 and 4, talk and follow up ----------------------------------------------------------


@fold("support_contacted")
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


@fold("urgency_stated")
def _urgency_stated(f: Fold, e: EventInput) -> None:
    f.set("urgency_stated", True, e.seq)


@fold("withdrawal_attempted")
def _withdrawal_attempted(f: Fold, e: EventInput) -> None:
    if e.data["result"] == "failed":
        f.add("withdrawal_failed_count", e.seq)
        if e.occurred_at < f.times["first_failure_at"]:
            f.times["first_failure_at"] = e.occurred_at
            f.prov["days_since_first_failure"] = {e.seq}
    elif e.data["result"] == "partial":
        f.add("withdrawal_partial_count", e.seq)


@fold("funds_received")
def _funds_received(f: Fold, e: EventInput) -> None:
    f.received += Decimal(str(e.data["amount"]))
    f.payouts.append(e.occurred_at)
    f.set("funds_received_any", True, e.seq)
    if (e.data.get("full") or f.received >= f.case.amount) and f.paid_in_full_at is None:
        f.set("paid_in_full", True, e.seq)
        f.paid_in_full_at = e.occurred_at
        f.settled.append((e.occurred_at, e.seq))


# --- Step 5, escalate ---------------------------------------------------------------------------


@fold("complaint_filed")
def _complaint_filed(f: Fold, e: EventInput) -> None:
    authority = e.data["authority"]
    f.add("complaint_count", e.seq)
    if authority == "platform":
        f.set("complaint_platform_filed", True, e.seq)
        f.mark("platform_complaint_at", e.occurred_at, e.seq)
    elif authority in _REGULATOR:
        f.set("complaint_regulator_filed", True, e.seq)
        f.mark("regulator_complaint_at", e.occurred_at, e.seq)
    elif authority == "platform_superior":
        f.set("superior_review_requested", True, e.seq)
        f.mark("superior_review_at", e.occurred_at, e.seq)
    elif authority == "insurance_association":
        f.set("complaint_association_filed", True, e.seq)
    elif authority == "consumer_12315":
        f.set("complaint_12315_filed", True, e.seq)


@fold("complaint_forwarded")
def _complaint_forwarded(f: Fold, e: EventInput) -> None:
    f.set("complaint_forwarded", True, e.seq)
    # Forwarding hands the complaint to the firm: its decision clock starts here.
    f.mark("platform_complaint_at", e.occurred_at, e.seq)


@fold("extension_notified")
def _extension_notified(f: Fold, e: EventInput) -> None:
    f.set("extension_notified", True, e.seq)
    f.mark("extension_due_at", dt(e.data["new_deadline_at"]), e.seq)


@fold("decision_received")
def _decision_received(f: Fold, e: EventInput) -> None:
    d, s = e.data, e.seq
    if d.get("authority") == "platform_superior":
        f.set("superior_outcome", d["outcome"], s)
        return
    f.set("decision_outcome", d["outcome"], s)
    f.set("decision_incomplete", d.get("reasons_given") is False or d.get("remedies_listed") is False, s)
    f.times["decision_at"] = e.occurred_at
    f.prov["days_since_decision"] = {s}


@fold("mediation_started")
def _mediation_started(f: Fold, e: EventInput) -> None:
    f.set("mediation_active", True, e.seq)
    f.mediation_start = e.occurred_at


@fold("mediation_ended")
def _mediation_ended(f: Fold, e: EventInput) -> None:
    f.set("mediation_active", False, e.seq)
    f.set("mediation_settled" if e.data["settled"] else "mediation_failed", True, e.seq)
    if f.mediation_start is not None:
        f.pauses.append((f.mediation_start, e.occurred_at))
        f.mediation_start = None


@fold("lawyer_consulted")
def _lawyer_consulted(f: Fold, e: EventInput) -> None:
    f.set("lawyer_consulted", True, e.seq)


@fold("lawsuit_filed")
def _lawsuit_filed(f: Fold, e: EventInput) -> None:
    f.set("lawsuit_filed", True, e.seq)


# --- Housekeeping -------------------------------------------------------------------------------


@fold("case_closed")
def _case_closed(f: Fold, e: EventInput) -> None:
    f.set("case_closed", True, e.seq)
    f.closed_at = e.occurred_at if f.closed_at is None else f.closed_at
    f.settled.append((e.occurred_at, e.seq))


@fold("note_added")
def _note_added(f: Fold, e: EventInput) -> None:
    """A note is for people: it changes no fact (it still counts in `event_count`)."""
