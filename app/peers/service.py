"""Peer signals, use cases: a case's snapshot before it is evaluated, its contribution after; a platform's signals.

The flow of an event post: `take_snapshot` reads the window's counters for the case's platform
keys (one SELECT), leaves the case itself out, thresholds and buckets what is left, and hands
the evaluator a PeerSnapshot; once the evaluation is stored, `record_contribution` compares what
the evaluation says the case adds (`peer_contribution`) with what it added before and writes
only the difference. Most posts change nothing the case contributes: they cost that one SELECT.
The case's mark (which day each signal was counted in) is read only when something changes, or
for a case older than the window, whose own signals may have left it.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.db.models import Case, PeerMark
from app.evaluation.model import Evaluation, PeerSnapshot
from app.evaluation.peers import bucket_floor
from app.peers import repository
from app.peers.cache import WINDOWS, Counts
from app.peers.identity import platform_keys


@dataclass(frozen=True)
class PeerPolicy:
    """The thresholds of STUCKFUNDS_PEER_*; None where peer signals are switched off."""

    min_cases: int = 5
    min_clients: int = 2
    window_days: int = 30
    cache_seconds: float = 0
    scope: str = ""  # the database the counts come from (the cache's scope)

    @classmethod
    def from_settings(cls, settings: Any) -> "PeerPolicy | None":
        if not settings.peer_signals:
            return None
        return cls(min_cases=settings.peer_min_cases, min_clients=settings.peer_min_clients,
                   window_days=settings.peer_window_days, cache_seconds=settings.peer_cache_seconds,
                   scope=settings.database_url)


@dataclass
class PeerReading:
    """What `take_snapshot` read, kept for `record_contribution` in the same transaction."""

    snapshot: PeerSnapshot
    keys: list[str]
    mark: PeerMark | None = None
    policy: PeerPolicy = field(default_factory=PeerPolicy)
    # What the case contributed after its previous evaluation, when that evaluation was made with
    # peer signals on (so the counters hold exactly it); None when the mark must be read instead.
    previous: frozenset[str] | None = None
    mark_read: bool = True


def keys_of_case(case: Case) -> list[str]:
    return platform_keys(case.platform_name, case.platform_app_id, case.platform_domain)


def _stored_contribution(case: Case) -> frozenset[str] | None:
    """What the case's stored evaluation said it adds, if that evaluation had signals on."""
    if case.stored_peers is None:
        return None
    return frozenset(case.stored_peer_contribution or ())


def take_snapshot(*, session: Session, case: Case, policy: PeerPolicy | None,
                  now: datetime) -> PeerReading | None:
    """The peer snapshot for one case (itself left out); None while peer signals are off."""
    if policy is None:
        return None
    keys = keys_of_case(case)
    since = _since(now, policy)
    reading = PeerReading(snapshot=PeerSnapshot(), keys=keys, policy=policy)
    own: set[tuple[str, str]] = set()
    if case.id is not None:
        previous = _stored_contribution(case)
        if previous is not None and case.created_at.date() >= since:
            # Recorded with signals on, and every signal of it counted since the case opened,
            # inside the window: its own counts are known without reading its mark.
            reading.previous = previous
            reading.mark_read = False
            own = {(key, signal) for key in keys for signal in reading.previous}
        else:
            reading.mark = mark = repository.get_mark(session, case.id)
            if mark is not None:
                own = {(key, signal) for key in mark.keys for signal, day in mark.signals.items()
                       if date.fromisoformat(day) >= since}
    reading.snapshot = _snapshot_without(_counts(session, keys, since, policy), own,
                                         case.client_id, policy)
    return reading


def _snapshot_without(counts: dict[str, Counts], own: set[tuple[str, str]], client_id: uuid.UUID,
                      policy: PeerPolicy) -> PeerSnapshot:
    """The snapshot of `counts` less the case's own signals (`own`: platform key, signal).

    The counts may be the ones app.peers.cache remembers: a signal the case added is replaced by a
    copy less its own count, never changed in place.
    """
    others = dict(counts)
    for key, signal in own:
        per_client = others.get(key, {}).get(signal)
        if per_client and per_client.get(client_id, 0) > 0:
            others[key] = {**others[key], signal: {**per_client, client_id: per_client[client_id] - 1}}
    return _snapshot(others, policy)


def record_contribution(*, session: Session, case: Case, reading: PeerReading | None,
                        evaluation: Evaluation, now: datetime) -> None:
    """Bring the platform's counters in line with what this evaluation says the case adds."""
    if reading is None:
        return
    new = set(evaluation.peer_contribution)
    if not reading.mark_read:
        if new == reading.previous:
            return
        reading.mark = repository.get_mark(session, case.id)
    mark = reading.mark
    old: dict[str, str] = dict(mark.signals) if mark is not None else {}
    moved = mark is not None and list(mark.keys) != reading.keys
    today = now.date()
    deltas: repository.Deltas = defaultdict(int)
    kept: dict[str, str] = {}
    for signal, day in old.items():
        if signal in new and not moved:
            kept[signal] = day
            continue
        for key in mark.keys:
            deltas[(key, date.fromisoformat(day), signal, case.client_id)] -= 1
    for signal in sorted(new - set(kept)):
        kept[signal] = today.isoformat()
        for key in reading.keys:
            deltas[(key, today, signal, case.client_id)] += 1
    if not deltas:
        return
    repository.apply(session, deltas)
    WINDOWS.forget(reading.policy.scope, {key for key, *_ in deltas})
    if mark is None:
        session.add(PeerMark(case_id=case.id, client_id=case.client_id, keys=reading.keys, signals=kept))
    else:
        mark.keys, mark.signals = reading.keys, kept


def platform_signals(*, session: Session, name: str | None, app_id: str | None, domain: str | None,
                     policy: PeerPolicy | None, now: datetime) -> PeerSnapshot | None:
    """A platform's signals as anyone may see them: thresholded and bucketed; None when off."""
    if policy is None:
        return None
    since = _since(now, policy)
    return _snapshot(_counts(session, platform_keys(name, app_id, domain), since, policy), policy)


def _since(now: datetime, policy: PeerPolicy) -> date:
    return now.date() - timedelta(days=policy.window_days - 1)


def _counts(session: Session, keys: list[str], since: date, policy: PeerPolicy) -> dict[str, Counts]:
    """Each key's counts over the window, as app.peers.cache remembers them: read, never changed."""
    def load(missing: list[str]) -> dict[str, Counts]:
        loaded: dict[str, Counts] = defaultdict(lambda: defaultdict(dict))
        for key, signal, client, n in repository.window_counts(session, keys=missing, since=since):
            loaded[key][signal][client] = n
        return loaded

    return WINDOWS.get(policy.scope, keys, since, policy.cache_seconds, load) if keys else {}


def _usable(per_client: dict[uuid.UUID, int], policy: PeerPolicy) -> int:
    """Cases behind one signal as far as they may be used: 0 below k cases or m clients.

    No client counts for more than all the others together, so one client flooding a platform
    with cases can at most double what the others report, never make a signal by itself.
    """
    counts = sorted((n for n in per_client.values() if n > 0), reverse=True)
    if len(counts) < policy.min_clients:
        return 0
    total = min(counts[0], sum(counts[1:])) + sum(counts[1:])
    return bucket_floor(total, policy.min_cases)


def _snapshot(counts: dict[str, Counts], policy: PeerPolicy) -> PeerSnapshot:
    """Per platform key, each signal thresholded and bucketed; across keys the highest of each."""
    best: dict[str, int] = defaultdict(int)
    excuses: dict[str, int] = {}
    for signals in counts.values():
        clients: set[uuid.UUID] = set()
        for signal, per_client in signals.items():
            floor = _usable(per_client, policy)
            if not floor:
                continue
            clients |= {client for client, n in per_client.items() if n > 0}
            if signal.startswith("excuse:"):
                kind = signal.removeprefix("excuse:")
                excuses[kind] = max(excuses.get(kind, 0), floor)
            else:
                best[signal] = max(best[signal], floor)
        best["clients"] = max(best["clients"], bucket_floor(len(clients), policy.min_clients))
    return PeerSnapshot(cases_stuck=best["stuck"], same_excuse=dict(sorted(excuses.items())),
                        fee_demands=best["fee_demand"], hard_flags=best["hard_flag"],
                        paid_out=best["paid_out"], clients=best["clients"],
                        window_days=policy.window_days)
