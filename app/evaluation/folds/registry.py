"""Evaluation, step 1 (folding): the registry of event types (model and fold), their facts, and the scratchpad.

A fold reads one event and updates the `Fold` for the log so far: counts, latest values, times,
and the few lists that are only judged once the whole log is read (promises, pauses...). It
decides nothing; thresholds and decisions stay in `rules/`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, get_args

from app.evaluation.ledger import Excuse, Promise
from app.evaluation.model import CaseInput, EventInput


@dataclass
class Fold:
    """The state of one fold over a case's log, in occurred_at order."""

    case: CaseInput
    v: dict[str, Any]
    prov: dict[str, set[int]] = field(default_factory=dict)
    times: dict[str, datetime] = field(default_factory=dict)
    promises: list[Promise] = field(default_factory=list)
    excuses: list[Excuse] = field(default_factory=list)
    explanations: set[str] = field(default_factory=set)
    # What the notices and support said, compared once the whole log is read, so that a
    # contradiction is seen whichever of the two came first.
    notice_explanations: dict[str, int] = field(default_factory=dict)
    support_explanations: list[tuple[str, int]] = field(default_factory=list)
    received: Decimal = Decimal(0)
    payouts: list[datetime] = field(default_factory=list)
    paid_in_full_at: datetime | None = None
    pauses: list[tuple[datetime, datetime]] = field(default_factory=list)
    mediation_start: datetime | None = None
    closed_at: datetime | None = None
    settled: list[tuple[datetime, int]] = field(default_factory=list)  # paid in full or closed
    police_reports: list[tuple[datetime, int]] = field(default_factory=list)

    def set(self, name: str, value: Any, seq: int | None = None) -> None:
        self.v[name] = value
        if seq is not None:
            self.prov.setdefault(name, set()).add(seq)

    def add(self, name: str, seq: int, by: int = 1) -> None:
        self.set(name, self.v.get(name, 0) + by, seq)

    def mark(self, anchor: str, at: datetime, seq: int) -> None:
        """A time anchor set by one event (a clock starts there)."""
        self.times[anchor] = at
        self.prov[anchor] = {seq}


FoldFn = Callable[[Fold, EventInput], None]
FOLDS: dict[str, FoldFn] = {}
# The models clients post, by type, in the order registered: the API's union is read off this.
EVENT_MODELS: dict[str, type] = {}


def fold(event: type | str) -> Callable[[FoldFn], FoldFn]:
    """Register the fold of an event model (its `type` literal names it), and so the model itself;
    a type registered twice is a bug, refused at import."""
    event_type = event if isinstance(event, str) else get_args(event.model_fields["type"].annotation)[0]

    def register(fn: FoldFn) -> FoldFn:
        if event_type in FOLDS:
            raise RuntimeError(f"event type {event_type!r} has two folds")
        FOLDS[event_type] = fn
        if not isinstance(event, str):
            EVENT_MODELS[event_type] = event
        return fn

    return register


@dataclass(frozen=True)
class FactSpec:
    type: type
    doc: str
    anchor: str | None = None  # for day counters: the time they count from
    # Money is held in cents (fen) so that no comparison rounds it; rules still write whole
    # units (50000), which the loader scales by CENTS before they reach durable-rules.
    in_cents: bool = False
    default: Any = None  # before any event says otherwise; None: False, 0 or "unknown" by type


CENTS = 100
# The vocabulary rules may test (validated at load): declared with `fact` in facts.py, or beside
# the fold that sets it.
FACTS: dict[str, FactSpec] = {}


def fact(name: str, type_: type, doc: str, anchor: str | None = None, in_cents: bool = False,
         default: Any = None) -> None:
    """Declare a fact rules may test; a name declared twice is a bug, refused at import."""
    if name in FACTS:
        raise RuntimeError(f"fact {name!r} is declared twice")
    FACTS[name] = FactSpec(type_, doc, anchor, in_cents, default)


def dt(value: Any) -> datetime:
    """An event's datetime field, stored as ISO text in the log."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)
