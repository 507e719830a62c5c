"""Evaluation: folding the log — posting order, exact money and the promise ledger, on random logs."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from app.cases.intake import CaseCreate
from app.cases.service import intake_input
from app.evaluation import EventInput, evaluate
from tests.evaluation.test_properties import (  # noqa: F401  (ruleset is a fixture)
    ORIGIN, PROPERTY_SETTINGS, VALIDATION_CONTEXT, case_logs, ruleset,
)


def _renumber(dump: Any, seq_of: dict[int, int]) -> Any:
    """An evaluation's JSON with every event seq translated by `seq_of`."""
    if isinstance(dump, dict):
        return {k: (seq_of[v] if k in ("seq", "replaced_by") and v is not None
                    else sorted(seq_of[x] for x in v) if k == "events"
                    else _renumber(v, seq_of)) for k, v in dump.items()}
    if isinstance(dump, list):
        return [_renumber(item, seq_of) for item in dump]
    return dump


@PROPERTY_SETTINGS
@given(log=case_logs(min_events=2), data=st.data())
def test_the_fold_follows_occurred_at_whatever_the_posting_order(ruleset, log, data):
    case, events, as_of = log
    # Posting order decides `seq` and nothing else; only events at the very same instant keep it
    # as their tie-break, so those logs say nothing here.
    if len({e.occurred_at for e in events}) < len(events):
        return
    posted = data.draw(st.permutations(events), label="posting order")
    reposted = [EventInput(seq=i, type=e.type, occurred_at=e.occurred_at, data=e.data)
                for i, e in enumerate(posted, start=1)]
    back = {i: e.seq for i, e in enumerate(posted, start=1)}
    original = evaluate(case, events, as_of, ruleset).model_dump(mode="json")
    shuffled = evaluate(case, reposted, as_of, ruleset).model_dump(mode="json")
    assert _renumber(shuffled, back) == original


def _intake(amount: Decimal):
    body = {"platform": {"name": "p", "kind": "bank", "licensed": True, "app_source": "official_store"},
            "amount": str(amount), "withdrawal_requested_at": ORIGIN.isoformat()}
    return intake_input(CaseCreate.model_validate(body, context=VALIDATION_CONTEXT))


@PROPERTY_SETTINGS
@example(cents=0)
@example(cents=50)
@example(cents=-1)
@given(cents=st.integers(-10_000, 10_000))
def test_money_reaches_the_rules_exactly(ruleset, cents):
    threshold = Decimal(str(ruleset.ruleset.parameters["legal_consultation_min_amount"]))
    amount = threshold + Decimal(cents) / 100
    evaluation = evaluate(_intake(amount), [], ORIGIN + timedelta(hours=1), ruleset)
    assert ("lawyer" in [r.remedy for r in evaluation.remedies]) == (amount >= threshold)


@PROPERTY_SETTINGS
@given(log=case_logs())
def test_the_ledger_counts_what_the_rules_count(ruleset, log):
    case, events, as_of = log
    evaluation = evaluate(case, events, as_of, ruleset)
    ledger = evaluation.promises
    assert [p.seq for p in ledger] == sorted(
        (p.seq for p in ledger), key=lambda s: next(e.occurred_at for e in events if e.seq == s))
    unkept = [p for p in ledger if p.state in ("broken", "partly_paid")]
    assert all(p.due_at <= as_of for p in unkept)
    assert all(p.due_at > as_of for p in ledger if p.state == "open")
    assert ("promise_broken" in evaluation.flags) == bool(unkept)
    for entry in ledger:
        if entry.state == "replaced":
            newer = next(p for p in ledger if p.seq == entry.replaced_by)
            assert newer.made_at < entry.due_at
