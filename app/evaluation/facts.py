"""Evaluation, step 1: the facts rules may test, and `derive`, which folds the log into them.

Each event type has its own small fold in `app/evaluation/folds/`; `derive` runs them in
occurred_at order and then adds what only the whole log says (the promise ledger, day counters).

This is bookkeeping only (counts, latest values, times): no thresholds and no decisions live
here, so that a reader of `rules/` sees the whole policy. Facts are flat scalars because
durable-rules matches JSON messages; a missing value is spelt "unknown", never null.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from app.evaluation.folds import FOLDS, Fold
from app.evaluation.folds.registry import CENTS, FACTS, fact
from app.evaluation.ledger import fold_ledger
from app.evaluation.model import CaseInput, EventInput, PromiseEntry

DAY = timedelta(days=1)


TIME_ANCHORS: dict[str, str] = {}


def _anchor(name: str, doc: str) -> None:
    TIME_ANCHORS[name] = doc


# --- the vocabulary rules may use (validated at load) ---------------------------------------
# Here: the intake's facts and those only the whole log gives (the ledger, day counters); each
# fold's own facts are declared beside it in app/evaluation/folds/.
fact("platform_kind", str, "intake platform kind")
fact("platform_licensed", str, "yes / no / unknown, from the intake or a later licence check")
fact("app_source", str, "where the app came from, or unknown")
fact("amount", int, "the amount stuck, exactly, in cents; rules compare it in whole units",
     in_cents=True)
fact("event_count", int, "events in the log")

fact("explanation_conflicts_notice", bool, "support explained something other than the notice")
fact("promise_count", int, "dated promises (support or notice end)")
fact("open_promise", bool, "a dated promise is still in the future")
fact("broken_promise_count", int, "dated promises passed without full payout")
fact("latest_promise_in_writing", bool, "the latest promise was confirmed in writing")
fact("undated_excuse_after_broken_promise", bool, "an undated excuse came after a broken promise")
fact("undated_excuse_besides_documents_after_broken_promise", bool,
     "an undated excuse other than a request for documents came after a broken promise")

fact("days_since_first_failure", int, "days since the first refused withdrawal (the request itself unless an earlier failure is logged)",
     anchor="first_failure_at")
fact("days_since_request", int, "days since the withdrawal was requested",
     anchor="withdrawal_requested_at")
fact("extension_span_days", int, "days from the complaint to the announced new date (-1: none)")
fact("days_since_decision", int, "days since the firm's decision (-1: none)", anchor="decision_at")
fact("days_since_harm_known", int, "days since the user knew of the harm",
     anchor="harm_known_at")
fact("days_since_regulator_complaint", int, "days since the regulator complaint (-1: none)",
     anchor="regulator_complaint_at")
fact("police_report_after_settled", bool,
     "a police report came after the case was last paid in full or closed")

# Peer signals (app/evaluation/peers.py): other cases on the same platform, never this one,
# as bucket floors (0 = below the k cases / m clients thresholds, or signals off).
fact("peer_cases_stuck", int, "other open cases on this platform with a stuck withdrawal (bucket floor)")
fact("peer_same_excuse", int, "other open cases on this platform given the same kind of notice (bucket floor)")
fact("peer_fee_demands", int, "other cases on this platform reporting a demand for money to release it (bucket floor)")
fact("peer_hard_flags", int, "other cases on this platform with a hard red flag (bucket floor)")
fact("peer_paid_out", int, "other cases on this platform paid in full (bucket floor)")
fact("peer_clients", int, "distinct client apps behind the platform's peer signals (bucket floor)")

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


def _defaults(case: CaseInput) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, spec in FACTS.items():
        values[name] = (spec.default if spec.default is not None
                        else {bool: False, int: 0, float: 0.0, str: "unknown"}[spec.type])
    values.update(
        platform_kind=case.platform_kind,
        platform_licensed={True: "yes", False: "no", None: "unknown"}[case.platform_licensed],
        app_source=case.app_source or "unknown",
        # Cents as an integer: exact (50,000.50 is not 50,000), and a float this large would
        # reach durable-rules as "1e+16", which its JSON parser rejects.
        amount=int(case.amount * CENTS),
        extension_span_days=-1,
        days_since_first_failure=-1,
        days_since_decision=-1,
        days_since_regulator_complaint=-1,
        latest_promise_in_writing=False,
    )
    return values


class UnknownEventType(ValueError):
    """An event type without a fold: its model was added but not `app/evaluation/folds/`."""


def derive(case: CaseInput, events: Sequence[EventInput], as_of: datetime) -> DerivedFacts:
    """Fold the events that had happened by `as_of` into facts, their sources and times."""
    f = Fold(case=case, v=_defaults(case))
    f.times["withdrawal_requested_at"] = case.withdrawal_requested_at
    # A case is opened because the requested withdrawal did not arrive: the request is the
    # first refusal unless an earlier failed attempt is recorded.
    f.times["first_failure_at"] = case.withdrawal_requested_at
    seen = sorted((e for e in events if e.occurred_at <= as_of), key=lambda e: (e.occurred_at, e.seq))
    f.set("event_count", len(seen))
    for e in seen:
        try:
            fold_event = FOLDS[e.type]
        except KeyError:
            raise UnknownEventType(f"event {e.seq}: no fold for event type {e.type!r}") from None
        fold_event(f, e)
    return _conclude(f, as_of)


def _conclude(f: Fold, as_of: datetime) -> DerivedFacts:
    """What only the whole log says: open pauses, contradictions, the ledger, day counters."""
    pauses = list(f.pauses)
    if f.mediation_start is not None:
        pauses.append((f.mediation_start, as_of))
    for explanation, seq in f.support_explanations:
        if f.notice_explanations and explanation not in f.notice_explanations:
            f.set("explanation_conflicts_notice", True, seq)
            f.prov["explanation_conflicts_notice"].update(f.notice_explanations.values())

    ledger = fold_ledger(f.promises, f.excuses, f.payouts, f.paid_in_full_at, f.closed_at, as_of)
    for name, (value, seqs) in ledger.facts.items():
        f.v[name] = value
        f.prov.setdefault(name, set()).update(seqs)
    if ledger.latest_due is not None:
        f.times["latest_promise_at"], seq = ledger.latest_due
        f.prov["latest_promise_at"] = {seq}
    if "extension_due_at" in f.times and "platform_complaint_at" in f.times:
        f.v["extension_span_days"] = (f.times["extension_due_at"] - f.times["platform_complaint_at"]) // DAY
        f.prov["extension_span_days"] = set(f.prov.get("extension_due_at", set()))
    if f.settled:
        # The latest settling event: a red flag after it reopens the case (rules/status).
        f.times["settled_at"], settled_seq = max(f.settled)
        f.prov["settled_at"] = {settled_seq}
        for report in f.police_reports:
            if report > (f.times["settled_at"], settled_seq):
                f.set("police_report_after_settled", True, report[1])
    f.times["harm_known_at"] = f.times["first_failure_at"]
    f.prov["days_since_harm_known"] = f.prov.get("days_since_first_failure", set())
    for name, spec in FACTS.items():
        if spec.anchor and spec.anchor in f.times:
            f.v[name] = (as_of - f.times[spec.anchor]) // DAY
            f.prov.setdefault(name, f.prov.get(spec.anchor, set()))
    return DerivedFacts(
        values=f.v,
        provenance={k: frozenset(v) for k, v in f.prov.items()},
        times=f.times,
        pauses=pauses,
        transitions=ledger.transitions,
        promises=ledger.entries,
    )
