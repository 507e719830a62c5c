"""Rules tooling: run the scenarios kept beside the rules (intake + events + as_of → expected).

Each stage's scenarios sit in rules/<stage>/scenarios/NNN_what.yaml, numbered uniquely across
all stages. A scenario file is checked against rules/schema/scenario.schema.json when loaded;
its intake and events then go through the same strict models as the API, so a scenario cannot
test an event the API would refuse. Used by `stuckfunds rules check` and by the test suite.
"""

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from app.cases.event_data import CaseEventCreate
from app.cases.intake import CaseCreate
from app.evaluation import CaseInput, CompiledRuleset, Evaluation, EventInput, Ruleset, evaluate
from app.evaluation.model import PeerSnapshot
from app.evaluation.rulebook import SCENARIO_SCHEMA, validate_document

_EVENTS = TypeAdapter(list[CaseEventCreate])


@dataclass
class Scenario:
    path: Path
    name: str
    case: CaseInput
    events: list[EventInput]
    as_of: datetime
    expect: dict[str, Any]
    evaluation: Evaluation | None = field(default=None)
    peers: PeerSnapshot | None = None  # what other cases on the platform say, if anything


def load_scenario(path: Path) -> Scenario:
    """Read one scenario file, checked against the scenario schema and the API's models."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    validate_document(document, SCENARIO_SCHEMA, path)
    try:
        intake = CaseCreate.model_validate(document["intake"])
        peers = PeerSnapshot.model_validate(document["peers"]) if "peers" in document else None
        events = _EVENTS.validate_python(document.get("events") or [])
    except ValidationError as exc:
        raise ValueError(f"{path.name}: {exc}") from exc
    p = intake.platform
    case = CaseInput(platform_name=p.name, platform_kind=p.kind, platform_licensed=p.licensed,
                     app_source=p.app_source, amount=intake.amount, currency=intake.currency,
                     withdrawal_requested_at=intake.withdrawal_requested_at,
                     province=intake.province)
    inputs = [EventInput(seq=i, type=e.type, occurred_at=e.occurred_at,
                         data=e.data.model_dump(mode="json", exclude_none=True))
              for i, e in enumerate(events, start=1)]
    as_of = document["as_of"]
    as_of = as_of if isinstance(as_of, datetime) else datetime.fromisoformat(str(as_of))
    return Scenario(path=path, name=document.get("name", path.stem), case=case, events=inputs,
                    as_of=as_of, expect=document["expect"], peers=peers)


def scenario_paths(rules_dir: Path) -> list[Path]:
    """Every scenario file in rules/<stage>/scenarios/, in number order across the stages."""
    return sorted(Path(rules_dir).glob("*/scenarios/*.yaml"), key=lambda p: (p.name, str(p)))


def check(scenario: Scenario, compiled: CompiledRuleset) -> list[str]:
    """Run one scenario; return what did not match (empty when it passes)."""
    ev = evaluate(scenario.case, scenario.events, scenario.as_of, compiled, peers=scenario.peers)
    scenario.evaluation = ev
    x = scenario.expect
    problems: list[str] = []
    actions = [a.action for a in ev.next_actions]
    for key in ("status", "risk_level", "track", "escalation_level"):
        if key in x and getattr(ev, key) != x[key]:
            problems.append(f"{key} is {getattr(ev, key)!r}, expected {x[key]!r}")
    remedies = [r.remedy for r in ev.remedies]
    for key, have in (("flags", ev.flags), ("actions", actions), ("rules", ev.rules_fired),
                      ("remedies", remedies)):
        want_in = x.get(f"{key}_include" if key != "rules" else "rules_fired", [])
        want_out = x.get(f"{key}_exclude" if key != "rules" else "rules_not_fired", [])
        missing = [w for w in want_in if w not in have]
        present = [w for w in want_out if w in have]
        if missing:
            problems.append(f"{key} lack {missing} (have {have})")
        if present:
            problems.append(f"{key} should not have {present}")
    if "actions_first" in x and actions[: len(x["actions_first"])] != x["actions_first"]:
        problems.append(f"actions start {actions[:len(x['actions_first'])]}, expected {x['actions_first']}")
    for want in x.get("deadlines", []):
        match = [d for d in ev.deadlines if d.kind == want["kind"]]
        if not match:
            problems.append(f"no deadline {want['kind']} (have {[d.kind for d in ev.deadlines]})")
        elif "lapsed" in want and match[0].lapsed != want["lapsed"]:
            problems.append(f"deadline {want['kind']} lapsed={match[0].lapsed}")
        elif "due_at" in want and match[0].due_at != _dt(want["due_at"]):
            problems.append(f"deadline {want['kind']} due {match[0].due_at}, expected {want['due_at']}")
    if "promises" in x:
        problems += _promise_problems(x["promises"], ev)
    if "regulator" in x:
        have = ev.regulator and {"body": ev.regulator.body, "statutory_clocks": ev.regulator.statutory_clocks}
        want = x["regulator"]
        if want is None and have is not None or want is not None and (
                have is None or any(have[k] != v for k, v in want.items())):
            problems.append(f"regulator is {have}, expected {want}")
    if "next_transition_at" in x:
        want = _dt(x["next_transition_at"]) if x["next_transition_at"] else None
        if ev.next_transition_at != want:
            problems.append(f"next_transition_at is {ev.next_transition_at}, expected {want}")
    return problems


def _promise_problems(want: list[dict[str, Any]], ev: Evaluation) -> list[str]:
    """The ledger, entry by entry in the order the promises were made: every key given matches."""
    have = [p.model_dump() for p in ev.promises]
    if len(have) != len(want):
        return [f"{len(have)} promises in the ledger, expected {len(want)}: {have}"]
    problems = []
    for index, (got, expected) in enumerate(zip(have, want)):
        for key, value in expected.items():
            value = _dt(value) if key.endswith("_at") else value
            if got.get(key) != value:
                problems.append(f"promise {index + 1} {key} is {got.get(key)!r}, expected {value!r}")
    return problems


def _dt(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def run_all_scenarios(rules_dir: Path, ruleset: Ruleset) -> tuple[list[str], int]:
    """Every scenario under rules/<stage>/scenarios; returns the failures and the number run."""
    compiled = CompiledRuleset(ruleset)
    failures: list[str] = []
    paths = scenario_paths(rules_dir)
    for path in paths:
        try:
            problems = check(load_scenario(path), compiled)
        except Exception as exc:  # a broken scenario is a failure to report, not a crash
            problems = [f"{type(exc).__name__}: {exc}"]
        failures += [f"{path.name}: {p}" for p in problems]
    return failures, len(paths)
