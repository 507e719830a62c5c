"""Evaluation, the pipeline: facts → flags → gate → route → clocks → status → actions → remedies.

`evaluate` is a pure function of (case, events, as_of, ruleset, peers): it reads no clock, no
database and no settings, so the same inputs always give the same Evaluation; the peer snapshot
it was given is recorded on it, so it can be evaluated again the same way. Each stage's
rules are matched by durable-rules; this module only applies the declared outputs, with one
conflict policy everywhere: the highest `priority` wins (the loader refuses ties).
"""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any, NamedTuple

from app.evaluation.calendar import CHINA_TZ
from app.evaluation.durable_adapter import CompiledRuleset
from app.evaluation.facts import FACTS, DerivedFacts, FoldedLog, conclude, fold_log
from app.evaluation.memo import DECISIONS, rule_index
from app.evaluation.peers import contribution, peer_facts, peer_reason
from app.evaluation.model import (
    ActionAdvice,
    Because,
    CaseInput,
    Deadline,
    Evaluation,
    EventInput,
    PeerSnapshot,
    RegulatorRoute,
    RemedyAdvice,
)
from app.evaluation.rulebook import Rule, Ruleset

DAY = timedelta(days=1)
NO_DEADLINE = 99_999  # days_left of a deadline that does not exist
MAX_PROBES = 12
_TICK = timedelta(microseconds=1)
_PRIORITY = attrgetter("priority")
# A probe's deadlines need a reason only to be built; it never leaves the probe.
_PROBE_REASON = Because(rule="probe", events=[], sources=[])


class _ProbeDeadline(NamedTuple):
    """A deadline as a probe sees it: what `_run` reads of one, without building the model."""

    kind: str
    due_at: datetime
    lapsed: bool
    because: Because


class EvaluationError(Exception):
    """The ruleset produced no decision where one is required (a gap in the rules)."""


def evaluate(case: CaseInput, events: Sequence[EventInput], as_of: datetime,
             ruleset: CompiledRuleset, peers: PeerSnapshot | None = None) -> Evaluation:
    """Evaluate a case's event log as it stood at `as_of`, with what other cases say (`peers`)."""
    # Events after as_of had not happened yet; the later probes must not see them either.
    events = [e for e in events if e.occurred_at <= as_of]
    # Folded once: the probes see the same events, only later (facts.conclude).
    folded = fold_log(case, events)
    evaluation, candidates = _run(folded, events, as_of, ruleset, peers)
    if evaluation.escalation_level is None:  # resolved or closed: time changes nothing any more
        return evaluation
    return evaluation.model_copy(update={"next_transition_at": _next_transition(
        evaluation, candidates, lambda at: _run(folded, events, at, ruleset, peers, probe=True))})


def _run(folded: FoldedLog, events: Sequence[EventInput], as_of: datetime,
         ruleset: CompiledRuleset, peers: PeerSnapshot | None = None, *, probe: bool = False):
    """One pass of every stage at `as_of`; also the instants at which a time-based fact moves.

    A probe (`probe=True`) only asks whether the answer differs at `as_of`: it returns the
    answer's `_signature` alone, without building the output models.
    """
    rs = ruleset.ruleset
    derived = conclude(folded, as_of, promises=not probe)
    facts = derived.values  # conclude's own copy
    shown = peer_facts(peers, facts["notice_kind"])
    facts.update(shown)
    # A reason names a peer signal only when one it read is above zero (peer_reason): with none
    # above zero, no reason has one, and the peer facts behind flags need not be traced.
    traced = peers is not None and any(value > 0 for value in shown.values())
    # Provenance is never changed in place, only replaced, so derive's sets are shared, not copied.
    prov = dict(derived.provenance)
    by_id, facts_of = rule_index(rs)

    def seqs_of(rule: Rule) -> set[int]:
        seqs: set[int] = set()
        for fact in facts_of[rule.id]:
            seqs |= prov.get(fact, set())
        return seqs

    def because(rule: Rule, also: frozenset[int] = frozenset()) -> Because:
        if probe:
            return _PROBE_REASON
        return Because(
            rule=rule.id, events=sorted(seqs_of(rule) | also), sources=list(rule.sources),
            peer_signal=peer_reason(peer_facts_of(rule), facts) if traced else None)

    # The peer facts behind a flag set by a rule that read them, so that a rule reading the
    # flag (or the soft-flag count) says "peer signal" too.
    peer_behind: dict[str, tuple[str, ...]] = {}

    def peer_facts_of(rule: Rule) -> tuple[str, ...]:
        used = facts_of[rule.id]
        return tuple(dict.fromkeys([*used, *(f for fact in used for f in peer_behind.get(fact, ()))]))

    fired_all: list[str] = []

    def fire(stage: str) -> list[Rule]:
        values = ruleset.stage_values(stage, facts)
        # Only the facts the stage tests: its decision depends on them alone (memo.py), and
        # durable copies the message into every firing.
        decided = DECISIONS.decide(rs.hash, stage, values, lambda: ruleset.fire(
            stage, dict(zip(ruleset.stage_facts(stage), values))))
        fired_all.extend(decided)
        return [by_id[rule_id] for rule_id in decided]

    # A probe keeps only the provenance a fact is made of (a hard flag's events, read just
    # below); the rest only ever becomes an answer's `because`, which a probe does not build.
    hard_flags = rs.hard_flags
    no_flags, no_deadlines = _blank_outputs(rs)
    facts.update(no_flags)
    for rule in fire("flags"):
        facts[rule.then["flag"]] = True
        if not probe or rule.then["flag"] in hard_flags:
            prov[rule.then["flag"]] = prov.get(rule.then["flag"], frozenset()) | seqs_of(rule)
        if traced and not probe:
            peer_behind[rule.then["flag"]] = facts_of[rule.id]
            if rule.then["flag"] in rs.soft_flags:
                peer_behind["soft_flag_count"] = peer_behind.get("soft_flag_count", ()) + facts_of[rule.id]
    facts["hard_flag_count"] = sum(facts[f] for f in rs.hard_flags)
    facts["soft_flag_count"] = sum(facts[f] for f in rs.soft_flags)
    if not probe:
        prov["hard_flag_count"] = set().union(*(prov.get(f, set()) for f in rs.hard_flags if facts[f]))
        prov["soft_flag_count"] = set().union(*(prov.get(f, set()) for f in rs.soft_flags if facts[f]))
    late = _hard_flag_events_after_settled(rs, facts, prov, derived, events)
    facts["hard_flag_after_settled"] = bool(late)
    prov["hard_flag_after_settled"] = late

    gate = fire("gate")
    facts["track"] = _winner(gate, "track", "dispute")
    facts["risk_level"] = _winner(gate, "risk", "low")
    for output in () if probe else ("track", "risk"):
        for rule in _by_priority(gate, output)[:1]:
            prov["track" if output == "track" else "risk_level"] = seqs_of(rule)

    route = fire("route")
    facts["regulator"] = _winner(route, "regulator", "none")
    facts["statutory_clocks"] = _winner(route, "statutory_clocks", False)
    regulator = None
    if not probe:
        for rule in _by_priority(route, "regulator")[:1]:
            prov["regulator"] = seqs_of(rule)
            regulator = RegulatorRoute(body=facts["regulator"], statutory_clocks=facts["statutory_clocks"],
                                       because=because(rule))
        for rule in _by_priority(route, "statutory_clocks")[:1]:
            prov["statutory_clocks"] = seqs_of(rule)

    deadlines = _clocks(fire("clocks"), derived, as_of, rs, because)
    facts.update(no_deadlines)  # every kind closed, not lapsed, NO_DEADLINE days left; then the real ones
    for deadline in deadlines:
        facts[f"deadline_{deadline.kind}_{'lapsed' if deadline.lapsed else 'open'}"] = True
        if not probe:
            prov[f"deadline_{deadline.kind}_open"] = prov[f"deadline_{deadline.kind}_lapsed"] = \
                set(deadline.because.events)
    facts["open_deadline_count"] = sum(not d.lapsed for d in deadlines)
    for deadline in deadlines:
        facts[f"deadline_{deadline.kind}_days_left"] = (
            -1 if deadline.lapsed else (deadline.due_at - as_of) // DAY)
        if not probe:
            prov[f"deadline_{deadline.kind}_days_left"] = set(deadline.because.events)

    status_rules = fire("status")
    if not status_rules:
        raise EvaluationError("no status rule fired: the ruleset needs a default status rule")
    status_rule = _by_priority(status_rules, "status")[0]
    facts["status"] = status_rule.then["status"]
    if not probe:
        prov["status"] = seqs_of(status_rule)
    level = rs.ladder[facts["status"]]
    facts["escalation_level"] = -1 if level is None else level
    if probe:
        chosen: dict[str, int] = {}
        for rule in sorted(fire("actions"), key=lambda r: (-r.priority, r.id)):
            chosen.setdefault(rule.then["recommend"], rule.priority)
        return (facts["status"], facts["risk_level"], facts["track"],
                tuple(flag for flag in rs.all_flags if facts[flag]),
                tuple(sorted(chosen.items(), key=lambda a: (-a[1], a[0]))),
                tuple((d.kind, d.lapsed) for d in deadlines))

    due_by_kind = {d.kind: d.due_at for d in deadlines}
    advice: dict[str, ActionAdvice] = {}
    for rule in sorted(fire("actions"), key=lambda r: (-r.priority, r.id)):
        action = rule.then["recommend"]
        if action in advice:
            continue
        due = rule.then.get("due")
        advice[action] = ActionAdvice(
            action=action,
            priority=rule.priority,
            guide_step=rs.catalogue.actions[action].guide_step,
            due_at=as_of if due == "now" else due_by_kind.get(due) if due else None,
            because=because(rule),
        )

    remedies: dict[str, RemedyAdvice] = {}
    for rule in sorted(fire("remedies"), key=lambda r: (-r.priority, r.id)):
        if rule.then["remedy"] not in remedies:
            remedies[rule.then["remedy"]] = RemedyAdvice(remedy=rule.then["remedy"],
                                                                         because=because(rule))

    evaluation = Evaluation(
        status=facts["status"],
        escalation_level=level,
        risk_level=facts["risk_level"],
        track=facts["track"],
        next_actions=sorted(advice.values(), key=lambda a: (-a.priority, a.action)),
        flags=[flag for flag in rs.all_flags if facts[flag]],
        deadlines=deadlines,
        regulator=regulator,
        next_transition_at=None,
        promises=derived.promises,
        remedies=list(remedies.values()),
        rules_fired=fired_all,
        peers=peers,
        peer_contribution=contribution(facts, open_case=level is not None, hard_flags=rs.hard_flags),
        ruleset_version=rs.version,
        ruleset_hash=rs.hash,
        as_of=as_of,
    )
    return evaluation, _time_candidates(rs, derived, deadlines)


def _hard_flag_events_after_settled(rs: Ruleset, facts: dict, prov: dict, derived: DerivedFacts,
                                    events: Sequence[EventInput]) -> set[int]:
    """The events behind a present hard flag that came after the case was last settled.

    Bookkeeping only: which flags are hard is declared in ruleset.yaml, and what a late flag
    does to the case (it reopens it on the fraud track) is for the status rules to say.
    """
    settled = derived.times.get("settled_at")
    if settled is None:
        return set()
    settled_key = (settled, max(derived.provenance.get("settled_at", frozenset({0}))))
    order = {e.seq: (e.occurred_at, e.seq) for e in events}
    return {seq for flag in rs.hard_flags if facts[flag] for seq in prov.get(flag, ())
            if seq in order and order[seq] > settled_key}


def _by_priority(rules: Iterable[Rule], output: str) -> list[Rule]:
    ranked = [r for r in rules if output in r.then]
    if len(ranked) > 1:
        ranked.sort(key=_PRIORITY, reverse=True)  # stable: equal priorities keep their order
    return ranked


def _winner(rules: Iterable[Rule], output: str, default: Any) -> Any:
    ranked = _by_priority(rules, output)
    return ranked[0].then[output] if ranked else default


def _clocks(fired: list[Rule], derived: DerivedFacts, as_of: datetime, rs: Ruleset,
            because) -> list[Deadline]:
    """Turn fired clock rules into dated deadlines; for one kind, the latest date wins, but
    never past the earliest `ceiling` rule of that kind (an extension cannot outrun the law)."""
    chosen: dict[str, tuple[datetime, Rule]] = {}  # kind → (due date, the rule that set it)
    ceilings: dict[str, tuple[datetime, Rule]] = {}
    for rule in fired:
        then = rule.then
        anchor = derived.times.get(then["anchor"])
        if anchor is None:
            continue
        due = _add_years(anchor, int(then.get("offset_years", 0)))
        due += DAY * float(then.get("offset_days", 0))
        if then.get("offset_working_days"):
            due = rs.calendar.add_working_days(due, int(then["offset_working_days"]))
        if then.get("end_of_day"):
            # "Within N days" includes the last day (B1.13): the window closes at the end of it.
            local = due.astimezone(CHINA_TZ).date() + DAY
            due = datetime(local.year, local.month, local.day, tzinfo=CHINA_TZ).astimezone(anchor.tzinfo)
        if then.get("paused_by_mediation"):
            due = _paused(derived.pauses, anchor, due)
        pool = ceilings if then.get("ceiling") else chosen
        current = pool.get(then["deadline"])
        if current is None or (due < current[0] if pool is ceilings else due > current[0]):
            pool[then["deadline"]] = (due, rule)
    for kind, ceiling in ceilings.items():
        if kind in chosen and ceiling[0] < chosen[kind][0]:
            chosen[kind] = ceiling
    # Only the deadlines kept get a reason (a probe's is a constant, and no model is built).
    deadlines = []
    for kind, (due, rule) in chosen.items():
        reason = because(rule, derived.provenance.get(rule.then["anchor"], frozenset()))
        deadlines.append((Deadline if reason is not _PROBE_REASON else _ProbeDeadline)(
            kind=kind, due_at=due, lapsed=due <= as_of, because=reason))
    return sorted(deadlines, key=lambda d: (d.due_at, d.kind))


def _paused(pauses: list[tuple[datetime, datetime]], start: datetime, due: datetime) -> datetime:
    """The due date once mediation time inside the window is left out (FACTS B1.2).

    The window's running time is spent between pauses; a pause that starts before the time
    runs out pushes the end past it, however long the pause lasts.
    """
    remaining = due - start
    cursor = start
    for begin, end in sorted(pauses):
        if end <= cursor:
            continue
        begin = max(begin, cursor)
        if begin - cursor >= remaining:
            break
        remaining -= begin - cursor
        cursor = end
    return cursor + remaining


def _add_years(moment: datetime, years: int) -> datetime:
    """Same day and time `years` later; 29 February becomes 28 February."""
    if not years:
        return moment
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def _time_candidates(rs: Ruleset, derived: DerivedFacts, deadlines: list[Deadline]) -> set[datetime]:
    """Instants at which a date-based fact a rule tests may change: promise dates, deadlines,
    and every threshold on a day counter (days since X, days left before a deadline)."""
    candidates = set(derived.transitions) | {d.due_at for d in deadlines}
    due = {f"deadline_{d.kind}_days_left": d.due_at for d in deadlines if not d.lapsed}
    times = derived.times
    for fact, anchor, steps in _counter_steps(rs):
        if anchor in times:
            # days_since = floor((t - anchor) / day): it reaches n at anchor + n days.
            for step in steps:
                candidates.add(times[anchor] + step)
        elif fact in due:
            # days_left = floor((due - t) / day): it drops to n just after due - (n + 1) days.
            for step in steps:
                candidates.add(due[fact] - step + _TICK)
    return candidates


_STEPS: dict[str, tuple] = {}
_BLANKS: dict[str, tuple[dict[str, bool], dict[str, Any]]] = {}


def _blank_outputs(rs: Ruleset) -> tuple[dict[str, bool], dict[str, Any]]:
    """The flag facts before the flags stage (all False) and the deadline facts before the clocks
    (no deadline of any kind): worked out once per ruleset hash."""
    blanks = _BLANKS.get(rs.hash)
    if blanks is None:
        deadlines: dict[str, Any] = {}
        for kind in rs.deadline_kinds:
            deadlines[f"deadline_{kind}_open"] = False
            deadlines[f"deadline_{kind}_lapsed"] = False
            deadlines[f"deadline_{kind}_days_left"] = NO_DEADLINE
        blanks = (dict.fromkeys(rs.all_flags, False), deadlines)
        if len(_BLANKS) >= 64:  # rulesets are few; a test suite loading many stays bounded
            _BLANKS.clear()
        _BLANKS[rs.hash] = blanks
    return blanks


def _counter_steps(rs: Ruleset) -> tuple[tuple[str, str | None, tuple[timedelta, ...]], ...]:
    """Each day-counter test of the ruleset as (counter, the time it counts from or None, the
    spans at which it can flip): worked out once per ruleset hash."""
    steps = _STEPS.get(rs.hash)
    if steps is None:
        steps = tuple(
            (leaf.fact, spec.anchor if spec and spec.anchor else None,
             tuple(DAY * n for n in _crossings(leaf.op, leaf.value)))
            for leaf in rs.day_counter_leaves for spec in (FACTS.get(leaf.fact),))
        if len(_STEPS) >= 64:  # rulesets are few; a test suite loading many stays bounded
            _STEPS.clear()
        _STEPS[rs.hash] = steps
    return steps


def _crossings(op: str, value: float) -> tuple[float, ...]:
    """The counter values at which `counter <op> value` can flip."""
    return {"gte": (value,), "gt": (value + 1,), "lt": (value,), "lte": (value + 1,),
            "eq": (value, value + 1), "ne": (value, value + 1)}.get(op, ())


def _signature(e: Evaluation) -> tuple:
    """What a client sees change; times that move with as_of itself are left out."""
    return (e.status, e.risk_level, e.track, tuple(e.flags),
            tuple((a.action, a.priority) for a in e.next_actions),
            tuple((d.kind, d.lapsed) for d in e.deadlines))


def _next_transition(current: Evaluation, candidates: set[datetime], probe) -> datetime | None:
    """The earliest later instant at which evaluating again gives a different answer.

    Deadlines lapsing always change the answer; other candidates are checked by evaluating at
    them. Past MAX_PROBES unchanged candidates the next one is returned unchecked, so a case is
    woken up early rather than late.
    """
    lapsing = {d.due_at for d in current.deadlines if not d.lapsed}
    signature = _signature(current)
    for index, at in enumerate(sorted(c for c in candidates if c > current.as_of)):
        if at in lapsing or index >= MAX_PROBES or probe(at) != signature:
            return at
    return None
