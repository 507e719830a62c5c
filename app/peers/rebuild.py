"""Peer signals, repair: recompute every counter and mark from the cases' event logs (`stuckfunds peers rebuild`).

Each case is evaluated as it stood when it was opened and after each of its events (at the time
the event was recorded), which is when the live path records a change: what a case contributes
is read from its status and flags, which time alone does not change. The result replaces the
counters and marks in one transaction.
"""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Case, CaseEvent, PeerMark
from app.evaluation import CaseInput, CompiledRuleset, EventInput, evaluate
from app.peers import repository
from app.peers.cache import WINDOWS
from app.peers.service import keys_of_case

BATCH = 500


def rebuild(*, session: Session, ruleset: CompiledRuleset) -> int:
    """Replace the counters and marks with what the event logs say; returns the cases read."""
    repository.clear(session)
    deltas: repository.Deltas = defaultdict(int)
    seen = 0
    last_id = None
    while True:
        query = select(Case).order_by(Case.id).limit(BATCH)
        if last_id is not None:
            query = query.where(Case.id > last_id)
        cases = session.scalars(query).all()
        if not cases:
            break
        for case in cases:
            signals = _replay(session, case, ruleset)
            keys = keys_of_case(case)
            if signals:
                session.add(PeerMark(case_id=case.id, client_id=case.client_id, keys=keys,
                                     signals={s: d.isoformat() for s, d in signals.items()}))
            for signal, day in signals.items():
                for key in keys:
                    deltas[(key, day, signal, case.client_id)] += 1
        seen += len(cases)
        last_id = cases[-1].id
        session.flush()
    repository.apply(session, deltas)
    session.flush()
    WINDOWS.clear()  # this process's remembered counts; other processes' lapse within seconds
    return seen


def _replay(session: Session, case: Case, ruleset: CompiledRuleset) -> dict[str, date]:
    """Signal → the day it was last counted from, as the live path would have recorded it."""
    intake = CaseInput(platform_name=case.platform_name, platform_kind=case.platform_kind,
                       platform_licensed=case.platform_licensed, app_source=case.app_source,
                       amount=Decimal(case.amount), currency=case.currency,
                       withdrawal_requested_at=case.withdrawal_requested_at, province=case.province)
    events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)
                             .order_by(CaseEvent.seq)).all()
    inputs = [EventInput(seq=e.seq, type=e.type, occurred_at=e.occurred_at, data=e.data) for e in events]
    signals: dict[str, date] = {}
    moments = [(case.created_at, 0)] + [(e.recorded_at, i + 1) for i, e in enumerate(events)]
    for at, count in moments:
        now = set(evaluate(intake, inputs[:count], at, ruleset).peer_contribution)
        signals = {s: d for s, d in signals.items() if s in now}
        for signal in now - set(signals):
            signals[signal] = at.date()
    return signals
