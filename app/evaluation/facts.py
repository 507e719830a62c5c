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


# Every fact's value before any event, by declaration: worked out once (the registry only grows
# at import), then copied per evaluation.
_DEFAULTS: dict[str, Any] = {}
_DAY_COUNTERS: list[tuple[str, str]] = []  # (day counter, the time it counts from)


def _fact_defaults() -> dict[str, Any]:
    if len(_DEFAULTS) != len(FACTS):
        _DEFAULTS.clear()
        _DAY_COUNTERS.clear()
        for name, spec in FACTS.items():
            _DEFAULTS[name] = (spec.default if spec.default is not None
                               else {bool: False, int: 0, float: 0.0, str: "unknown"}[spec.type])
            if spec.anchor:
                _DAY_COUNTERS.append((name, spec.anchor))
    return _DEFAULTS


def _defaults(case: CaseInput) -> dict[str, Any]:
    values = dict(_fact_defaults())
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


@dataclass
class FoldedLog:
    """A log folded event by event, before anything that depends on `as_of`: one fold serves
    every instant the evaluator looks at (`as_of` and the next_transition_at probes)."""

    fold: Fold
    provenance: dict[str, frozenset[int]]  # the fold's, frozen once


def derive(case: CaseInput, events: Sequence[EventInput], as_of: datetime) -> DerivedFacts:
    """Fold the events that had happened by `as_of` into facts, their sources and times."""
    return conclude(fold_log(case, [e for e in events if e.occurred_at <= as_of]), as_of)


def fold_log(case: CaseInput, events: Sequence[EventInput]) -> FoldedLog:
    """Run each event's fold over `events` (all of them: the caller leaves out the later ones),
    in occurred_at order."""
    f = Fold(case=case, v=_defaults(case))
    f.times["withdrawal_requested_at"] = case.withdrawal_requested_at
    # A case is opened because the requested withdrawal did not arrive: the request is the
    # first refusal unless an earlier failed attempt is recorded.
    f.times["first_failure_at"] = case.withdrawal_requested_at
    seen = sorted(events, key=lambda e: (e.occurred_at, e.seq))
    f.set("event_count", len(seen))
    for e in seen:
        try:
            fold_event = FOLDS[e.type]
        except KeyError:
            raise UnknownEventType(f"event {e.seq}: no fold for event type {e.type!r}") from None
        fold_event(f, e)
    return FoldedLog(fold=f, provenance={k: frozenset(v) for k, v in f.prov.items()})


def conclude(folded: FoldedLog, as_of: datetime, *, promises: bool = True) -> DerivedFacts:
    """What only the whole log says, at `as_of`: open pauses, contradictions, the ledger, day
    counters. `folded` is left as it was (its sets are replaced here, never changed).
    `promises=False` leaves the ledger's entries out (`promises` is empty): the facts are the same."""
    f = folded.fold
    v = dict(f.v)
    prov: dict[str, frozenset[int]] = dict(folded.provenance)
    times = dict(f.times)
    pauses = list(f.pauses)
    if f.mediation_start is not None:
        pauses.append((f.mediation_start, as_of))
    if f.notice_explanations:
        conflicts = {seq for explanation, seq in f.support_explanations
                     if explanation not in f.notice_explanations}
        if conflicts:
            v["explanation_conflicts_notice"] = True
            prov["explanation_conflicts_notice"] = prov.get("explanation_conflicts_notice", frozenset()) \
                | conflicts | set(f.notice_explanations.values())

    ledger = fold_ledger(f.promises, f.excuses, f.payouts, f.paid_in_full_at, f.closed_at, as_of,
                         entries=promises)
    for name, (value, seqs) in ledger.facts.items():
        v[name] = value
        prov[name] = prov.get(name, frozenset()) | seqs
    if ledger.latest_due is not None:
        times["latest_promise_at"], seq = ledger.latest_due
        prov["latest_promise_at"] = frozenset({seq})
    if "extension_due_at" in times and "platform_complaint_at" in times:
        v["extension_span_days"] = (times["extension_due_at"] - times["platform_complaint_at"]) // DAY
        prov["extension_span_days"] = prov.get("extension_due_at", frozenset())
    if f.settled:
        # The latest settling event: a red flag after it reopens the case (rules/status).
        times["settled_at"], settled_seq = max(f.settled)
        prov["settled_at"] = frozenset({settled_seq})
        late = {report[1] for report in f.police_reports if report > (times["settled_at"], settled_seq)}
        if late:
            v["police_report_after_settled"] = True
            prov["police_report_after_settled"] = prov.get("police_report_after_settled", frozenset()) | late
    times["harm_known_at"] = times["first_failure_at"]
    prov["days_since_harm_known"] = prov.get("days_since_first_failure", frozenset())
    for name, anchor in _DAY_COUNTERS:
        if anchor in times:
            v[name] = (as_of - times[anchor]) // DAY
            prov.setdefault(name, prov.get(anchor, frozenset()))
    return DerivedFacts(
        values=v,
        provenance=prov,
        times=times,
        pauses=pauses,
        transitions=ledger.transitions,
        promises=ledger.entries,
    )
