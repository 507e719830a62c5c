"""Evaluation, step 1 (promises): fold the dated promises into the ledger every reader shares.

The evaluator decides here, once, what became of each promise; the rules read the counts it
yields (`broken_promise_count`, `open_promise`...) and the dossier states the same entries.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.evaluation.model import PromiseEntry


@dataclass(frozen=True)
class Promise:
    made: datetime
    due: datetime
    seq: int
    in_writing: bool | None
    source: str  # support | notice


@dataclass(frozen=True)
class Excuse:
    made: datetime
    seq: int
    documents: bool  # a request for documents, an excuse only where the firm is not licensed


@dataclass
class Ledger:
    entries: list[PromiseEntry] = field(default_factory=list)
    # Facts for the rules: name → (value, the events it rests on).
    facts: dict[str, tuple[Any, set[int]]] = field(default_factory=dict)
    latest_due: tuple[datetime, int] | None = None  # (date, seq) of the latest promise made
    transitions: set[datetime] = field(default_factory=set)  # open promises' dates, still ahead


def fold_ledger(promises: Sequence[Promise], excuses: Sequence[Excuse],
                payouts: Sequence[datetime], paid_in_full_at: datetime | None,
                closed_at: datetime | None, as_of: datetime, *, entries: bool = True) -> Ledger:
    """Each dated promise kept, broken, partly paid, replaced, closed or still open.

    A promise replaced by a newer one before it fell due is not broken; one that passes without
    the whole amount is broken (partly paid if some money came between the promise and its date).
    Once the money is all there, or the user closed the case, no promise can break any more.
    `entries=False` leaves `entries` empty (only the facts are wanted).
    """
    ordered = sorted(promises, key=lambda p: (p.made, p.seq))
    out = Ledger()
    count: set[int] = set()
    unkept: list[Promise] = []
    for i, p in enumerate(ordered):
        count.add(p.seq)
        later = ordered[i + 1] if i + 1 < len(ordered) else None
        replaced = later is not None and later.made < p.due
        paid = paid_in_full_at is not None and paid_in_full_at <= p.due
        if paid and (not replaced or paid_in_full_at <= later.made):
            state = "kept"
        elif replaced:
            state = "replaced"
        elif closed_at is not None and closed_at <= p.due:
            state = "closed"
        elif p.due <= as_of:
            state = "partly_paid" if any(p.made <= t <= p.due for t in payouts) else "broken"
            unkept.append(p)
        else:
            state = "open"
            out.transitions.add(p.due)
        if entries:
            out.entries.append(PromiseEntry(seq=p.seq, source=p.source, made_at=p.made, due_at=p.due,
                                            in_writing=p.in_writing, state=state,
                                            replaced_by=later.seq if state == "replaced" else None))
    if ordered:
        out.facts["promise_count"] = (len(ordered), count)
    if unkept:
        out.facts["broken_promise_count"] = (len(unkept), {p.seq for p in unkept})
    if ordered:
        last = ordered[-1]
        settled = min((t for t in (paid_in_full_at, closed_at) if t is not None), default=None)
        out.latest_due = (last.due, last.seq)
        out.facts["latest_promise_in_writing"] = (bool(last.in_writing), {last.seq})
        out.facts["open_promise"] = (last.due > as_of and settled is None, {last.seq})
    if unkept:
        first_broken = min(p.due for p in unkept)
        late = [e for e in excuses if e.made > first_broken]
        if late:
            out.facts["undated_excuse_after_broken_promise"] = (True, {e.seq for e in late})
        late = [e for e in late if not e.documents]
        if late:
            out.facts["undated_excuse_besides_documents_after_broken_promise"] = (
                True, {e.seq for e in late})
    return out
