"""Evaluation, loading: read `rules/`, validate it, and parse it into frozen typed objects.

Every problem is reported with the file and the rule it is in, at start-up and by
`stuckfunds rules check`, so a bad rule never reaches a running service.
"""

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jsonschema

from app.evaluation.calendar import (
    CALENDAR_FILE,
    CalendarError,
    WorkingCalendar,
    load_calendar,
)
from app.evaluation.catalogue import Catalogue, load_catalogue
from app.evaluation.facts import CENTS, FACTS, TIME_ANCHORS
from app.evaluation.files import read_mapping
from app.evaluation.model import REGULATOR_BODIES, RISK_LEVELS, STATUSES, RulesError
from app.evaluation.texts import TEXTS_DIR, explanations, load_texts

# The route (which regulator, whether the statutory clocks bind) needs the track, and the clocks
# need the route, so the clocks run after the gate: no flag or gate rule tests a deadline.
STAGES = ("flags", "gate", "route", "clocks", "status", "actions", "remedies")
# Outputs a stage may set, and the facts it adds for the stages after it.
STAGE_OUTPUTS = {
    "clocks": {"deadline", "anchor", "offset_days", "offset_years", "offset_working_days",
               "end_of_day", "paused_by_mediation", "ceiling"},
    "flags": {"flag"},
    "gate": {"track", "risk", "priority"},
    "route": {"regulator", "statutory_clocks", "priority"},
    "status": {"status", "priority"},
    "actions": {"recommend", "priority", "due"},
    "remedies": {"remedy", "priority"},
}
REQUIRED_OUTPUTS = {
    "clocks": {"deadline", "anchor"},
    "flags": {"flag"},
    "gate": {"priority"},
    "route": {"priority"},
    "status": {"status", "priority"},
    "actions": {"recommend", "priority"},
    "remedies": {"remedy", "priority"},
}
# Explanations say the number, not "the set number of days": `{param:name}` is its value.
_PARAM_TOKEN = re.compile(r"\{param:([A-Za-z0-9_]+)\}")
_SCHEMAS = Path(__file__).resolve().parent.parent.parent / "rules" / "schema"
_POLICY_SUFFIXES = (".yaml", ".yml", ".json")
# Scenarios test the policy and are not part of it: they sit in <stage>/scenarios/ and are
# checked against this schema, and neither they nor it count in the content hash.
SCENARIO_SCHEMA = "scenario.schema.json"


@dataclass(frozen=True)
class Leaf:
    fact: str
    op: str  # eq ne gt gte lt lte in
    value: Any


@dataclass(frozen=True)
class Group:
    op: str  # all | any
    items: tuple["Leaf | Group", ...]


Condition = Leaf | Group


@dataclass(frozen=True)
class Rule:
    id: str
    stage: str
    file: str
    description: str
    sources: tuple[str, ...]
    when: Condition
    then: Mapping[str, Any]
    explain: Mapping[str, str]

    @cached_property  # read for every fired rule: worked out once
    def priority(self) -> int:
        return int(self.then.get("priority", 0))

    def facts_used(self) -> tuple[str, ...]:
        out: list[str] = []

        def walk(c: Condition) -> None:
            if isinstance(c, Leaf):
                out.append(c.fact)
            else:
                for item in c.items:
                    walk(item)

        walk(self.when)
        return tuple(dict.fromkeys(out))


@dataclass(frozen=True)
class Ruleset:
    name: str
    version: str
    hash: str
    parameters: Mapping[str, float]
    ladder: Mapping[str, int | None]
    hard_flags: tuple[str, ...]
    soft_flags: tuple[str, ...]
    warning_flags: tuple[str, ...]
    rules: tuple[Rule, ...]
    catalogue: Catalogue
    # Working days for the clocks counted in them; read from the same rules directory, so the
    # content hash covers it and evaluate() needs nothing beyond its arguments.
    calendar: WorkingCalendar
    deadline_kinds: tuple[str, ...] = field(default=())

    @cached_property
    def _by_id(self) -> dict[str, Rule]:
        return {rule.id: rule for rule in self.rules}

    @cached_property
    def day_counter_leaves(self) -> tuple[Leaf, ...]:
        """Numeric tests on day counters (days since X, days left before Y): they move with time."""
        out = []
        for rule in self.rules:
            stack = [rule.when]
            while stack:
                node = stack.pop()
                if isinstance(node, Group):
                    stack.extend(node.items)
                elif (isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
                      and ((FACTS.get(node.fact) and FACTS[node.fact].anchor)
                           or node.fact.endswith("_days_left"))):
                    out.append(node)
        return tuple(dict.fromkeys(out))

    def rule(self, rule_id: str) -> Rule | None:
        return self._by_id.get(rule_id)

    def stage(self, name: str) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.stage == name)

    @property
    def all_flags(self) -> tuple[str, ...]:
        return self.hard_flags + self.soft_flags + self.warning_flags

    def facts_for(self, stage: str) -> dict[str, type]:
        """The facts a rule of `stage` may test: derived ones plus earlier stages' outputs."""
        known: dict[str, type] = {name: spec.type for name, spec in FACTS.items()}
        earlier = STAGES[:STAGES.index(stage)]
        if "flags" in earlier:
            known.update({flag: bool for flag in self.all_flags})
            known["hard_flag_count"] = int
            known["soft_flag_count"] = int
            known["hard_flag_after_settled"] = bool
        if "gate" in earlier:
            known["track"] = str
            known["risk_level"] = str
        if "route" in earlier:
            known["regulator"] = str
            known["statutory_clocks"] = bool
        if "clocks" in earlier:
            for kind in self.deadline_kinds:
                known[f"deadline_{kind}_open"] = bool
                known[f"deadline_{kind}_lapsed"] = bool
                known[f"deadline_{kind}_days_left"] = int
            known["open_deadline_count"] = int
        if "status" in earlier:
            known["status"] = str
            known["escalation_level"] = int
        return known


def load_ruleset(rules_dir: Path) -> Ruleset:
    """Load, validate and parse every policy file under `rules_dir`."""
    rules_dir = Path(rules_dir)
    manifest_path = rules_dir / "ruleset.yaml"
    manifest = read_mapping(manifest_path)
    validate_document(manifest, "ruleset.schema.json", manifest_path)
    parameters = {k: v["value"] for k, v in manifest["parameters"].items()}
    texts = load_texts(rules_dir)
    catalogue = load_catalogue(rules_dir / "catalogue" / "actions.yaml", texts)
    try:
        calendar = load_calendar(rules_dir / CALENDAR_FILE)
    except CalendarError as exc:
        raise RulesError(str(exc)) from exc

    documents = []
    for path in sorted(rules_dir.glob("*/*.yaml")):
        if path.parent.name in ("catalogue", "calendar", "schema", TEXTS_DIR):
            continue
        document = read_mapping(path)
        for raw in document.get("rules") or []:
            if isinstance(raw, dict) and "explain" in raw:
                raise RulesError(f"{path}: rule {raw.get('id')}: its explanation goes in "
                                 f"rules/{TEXTS_DIR}/<locale>.yaml, under explain: {raw.get('id')}")
        validate_document(document, "rule-file.schema.json", path)
        documents.append((str(path.relative_to(rules_dir)), document))
    explain = explanations(texts, [raw["id"] for _, document in documents for raw in document["rules"]])
    rules: list[Rule] = [_parse_rule(raw, document["stage"], rel, parameters, explain[raw["id"]])
                         for rel, document in documents for raw in document["rules"]]

    flags = manifest["flags"]
    deadline_kinds = tuple(sorted({r.then["deadline"] for r in rules if r.stage == "clocks"}))
    ruleset = Ruleset(
        name=manifest["name"],
        version=manifest["version"],
        hash=content_hash(rules_dir),
        parameters=MappingProxyType(parameters),
        ladder=MappingProxyType(dict(manifest["ladder"])),
        hard_flags=tuple(flags["hard"]),
        soft_flags=tuple(flags["soft"]),
        warning_flags=tuple(flags["warnings"]),
        rules=tuple(sorted(rules, key=lambda r: (STAGES.index(r.stage), r.id))),
        catalogue=catalogue,
        calendar=calendar,
        deadline_kinds=deadline_kinds,
    )
    _check_semantics(ruleset)
    return ruleset


def content_hash(rules_dir: Path) -> str:
    """SHA-256 over every policy file (rules, manifest, catalogue, texts, calendar, schemas; not
    scenarios, their schema or notes), so any edit to what evaluate() reads changes it."""
    digest = hashlib.sha256()
    for path in sorted(Path(rules_dir).rglob("*")):
        rel = path.relative_to(rules_dir)
        if (not path.is_file() or "scenarios" in rel.parts or rel.name == SCENARIO_SCHEMA
                or path.suffix not in _POLICY_SUFFIXES):
            continue
        digest.update(str(rel).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def validate_document(document: Any, schema_name: str, path: Path) -> None:
    """Check `document` against rules/schema/`schema_name`; raise RulesError naming the file."""
    schema = json.loads((_SCHEMAS / schema_name).read_text(encoding="utf-8"))
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(document),
                    key=lambda e: list(e.absolute_path))
    if errors:
        error = errors[0]
        where = _where(document, list(error.absolute_path))
        raise RulesError(f"{path}: {where}{error.message}")


def _where(document: Any, path: list[Any]) -> str:
    """Name the rule an error sits in, by id when the rule has one."""
    if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
        rule = document["rules"][path[1]]
        rule_id = rule.get("id") if isinstance(rule, dict) else None
        rest = "/".join(str(p) for p in path[2:])
        return f"rule {rule_id or '#' + str(path[1])}{' at ' + rest if rest else ''}: "
    return f"at {'/'.join(str(p) for p in path)}: " if path else ""


def _parse_rule(raw: dict[str, Any], stage: str, rel: str, parameters: Mapping[str, float],
                explain: Mapping[str, str]) -> Rule:
    def param(value: Any) -> Any:
        if isinstance(value, dict):
            name = value["param"]
            if name not in parameters:
                raise RulesError(f"{rel}: rule {raw['id']}: unknown parameter {name!r}")
            return parameters[name]
        return value

    def condition(c: dict[str, Any]) -> Condition:
        if "all" in c or "any" in c:
            op = "all" if "all" in c else "any"
            return Group(op, tuple(condition(item) for item in c[op]))
        (op, value), = ((k, v) for k, v in c.items() if k != "fact")
        value = tuple(value) if op == "in" else param(value)
        spec = FACTS.get(c["fact"])
        if spec is not None and spec.in_cents:
            value = tuple(cents(c["fact"], v) for v in value) if op == "in" else cents(c["fact"], value)
        return Leaf(c["fact"], op, value)

    def cents(fact: str, value: Any) -> Any:
        """A whole-unit amount as the cents the fact holds; a value that is not money is left
        for the type check to refuse."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return value
        try:
            scaled = Decimal(str(value)) * CENTS
        except InvalidOperation:
            return value
        if scaled != scaled.to_integral_value():
            raise RulesError(f"{rel}: rule {raw['id']}: {fact} {value!r} has more than "
                             "two decimal places")
        return int(scaled)

    def text(value: str) -> str:
        def number(match: re.Match) -> str:
            value = param({"param": match.group(1)})
            return str(int(value)) if float(value).is_integer() else str(value)

        return _PARAM_TOKEN.sub(number, value)

    then = {k: param(v) for k, v in raw["then"].items()}
    return Rule(
        id=raw["id"], stage=stage, file=rel, description=raw["description"],
        sources=tuple(raw["sources"]), when=condition(raw["when"]),
        then=MappingProxyType(then),
        explain=MappingProxyType({locale: text(t) for locale, t in explain.items()}),
    )


def _check_semantics(rs: Ruleset) -> None:
    seen: dict[str, str] = {}
    priorities: dict[tuple[str, str, int], str] = {}
    for rule in rs.rules:
        where = f"{rule.file}: rule {rule.id}"
        if rule.id in seen:
            raise RulesError(f"{where}: id already used in {seen[rule.id]}")
        seen[rule.id] = rule.file
        keys = set(rule.then)
        if not keys <= STAGE_OUTPUTS[rule.stage] or not REQUIRED_OUTPUTS[rule.stage] <= keys:
            raise RulesError(
                f"{where}: a {rule.stage} rule sets {sorted(REQUIRED_OUTPUTS[rule.stage])} "
                f"and may set {sorted(STAGE_OUTPUTS[rule.stage])}; found {sorted(keys)}")
        known = rs.facts_for(rule.stage)
        for fact in rule.facts_used():
            if fact not in known:
                raise RulesError(f"{where}: fact {fact!r} is not available in the {rule.stage} stage")
        _check_values(rule, known, where)
        _check_outputs(rs, rule, where)
        # Which rule wins must never depend on file order: equal priorities are refused.
        for output in ("track", "risk", "status", "regulator", "statutory_clocks"):
            if output in rule.then:
                key = (rule.stage, output, rule.priority)
                if key in priorities:
                    raise RulesError(f"{where}: priority {rule.priority} for {output} is also used "
                                     f"by {priorities[key]}; make the winner explicit")
                priorities[key] = rule.id
    for status in STATUSES:
        if status not in rs.ladder:
            raise RulesError(f"ruleset.yaml: ladder lacks status {status!r}")


def _check_values(rule: Rule, known: dict[str, type], where: str) -> None:
    def walk(c: Condition) -> None:
        if isinstance(c, Group):
            for item in c.items:
                walk(item)
            return
        expected = known[c.fact]
        values = c.value if c.op == "in" else (c.value,)
        for value in values:
            ok = (isinstance(value, bool) if expected is bool
                  else isinstance(value, (int, float)) and not isinstance(value, bool)
                  if expected in (int, float) else isinstance(value, str))
            if not ok:
                raise RulesError(f"{where}: {c.fact} is {expected.__name__}, compared with {value!r}")
        if c.op in ("gt", "gte", "lt", "lte") and expected not in (int, float):
            raise RulesError(f"{where}: {c.op} needs a number, {c.fact} is {expected.__name__}")

    walk(rule.when)


def _check_outputs(rs: Ruleset, rule: Rule, where: str) -> None:
    then = rule.then
    if "flag" in then and then["flag"] not in rs.all_flags:
        raise RulesError(f"{where}: flag {then['flag']!r} is not declared in ruleset.yaml")
    if "status" in then and then["status"] not in STATUSES:
        raise RulesError(f"{where}: unknown status {then['status']!r}")
    if "regulator" in then and then["regulator"] not in REGULATOR_BODIES:
        raise RulesError(f"{where}: unknown regulator {then['regulator']!r}")
    if "risk" in then and then["risk"] not in RISK_LEVELS:
        raise RulesError(f"{where}: unknown risk {then['risk']!r}")
    if "recommend" in then and then["recommend"] not in rs.catalogue.actions:
        raise RulesError(f"{where}: action {then['recommend']!r} is not in the catalogue")
    if "remedy" in then and then["remedy"] not in rs.catalogue.remedies:
        raise RulesError(f"{where}: remedy {then['remedy']!r} is not in the catalogue")
    if "due" in then and then["due"] != "now" and then["due"] not in rs.deadline_kinds:
        raise RulesError(f"{where}: due {then['due']!r} is neither 'now' nor a deadline kind")
    if "anchor" in then and then["anchor"] not in TIME_ANCHORS:
        raise RulesError(f"{where}: unknown anchor {then['anchor']!r}")
