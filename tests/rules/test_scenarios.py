"""Rules: every scenario beside the rules passes, and every rule is proven both ways by them."""

from collections import Counter
from pathlib import Path

import pytest
import yaml

from app.evaluation import CompiledRuleset, RulesError, load_ruleset
from app.evaluation.rulebook import STAGES
from app.scenarios import check, load_scenario, scenario_paths
from app.settings import PROJECT_ROOT

RULES = PROJECT_ROOT / "rules"
PATHS = scenario_paths(RULES)
MIN_SCENARIOS = 80


@pytest.fixture(scope="module")
def compiled() -> CompiledRuleset:
    return CompiledRuleset(load_ruleset(RULES))


@pytest.fixture(scope="module")
def outcomes(compiled) -> dict[Path, list[str]]:
    """Each scenario's fired rules, from one run of them all."""
    fired = {}
    for path in PATHS:
        scenario = load_scenario(path)
        check(scenario, compiled)
        fired[path] = scenario.evaluation.rules_fired
    return fired


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_scenario(path, compiled):
    problems = check(load_scenario(path), compiled)
    assert not problems, "\n".join(problems)


def test_there_are_enough_scenarios():
    assert len(PATHS) >= MIN_SCENARIOS


def test_scenario_names_are_unique_and_numbered():
    numbers = Counter(p.name.split("_", 1)[0] for p in PATHS)
    assert all(n.isdigit() for n in numbers), "scenario files are named NNN_what.yaml"
    assert [n for n, c in numbers.items() if c > 1] == [], "numbers are unique across every stage"


def test_scenarios_sit_beside_the_rules_of_a_stage():
    assert sorted({p.parent.parent.name for p in PATHS}) == sorted(STAGES)
    assert all(p.parent.name == "scenarios" and p.parent.parent.parent == RULES for p in PATHS)
    # Nothing is left where the scenario runner would not look.
    stray = sorted(str(p.relative_to(RULES)) for p in RULES.rglob("*.yaml")
                   if "scenarios" in p.parts and p not in PATHS)
    assert stray == []


def _write_scenario(tmp_path, **changes) -> Path:
    document = yaml.safe_load(PATHS[0].read_text(encoding="utf-8"))
    for dotted, value in changes.items():
        target, *keys, last = [document, *dotted.split(".")]
        for key in keys:
            target = target[key]
        target[last] = value
    path = tmp_path / "status" / "scenarios" / "999_broken.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("changes, message", [
    ({"expect.status_is": "new"}, r"at expect: Additional properties are not allowed \('status_is'"),
    ({"expect.rules_fired": []}, r"at expect/rules_fired: \[\] should be non-empty"),
    ({"as_of": "next monday"}, r"at as_of: 'next monday' does not match"),
    ({"events": [{"type": "urgency_stated", "data": {"reason": "medical"}}]},
     r"at events/0: 'occurred_at' is a required property"),
])
def test_a_malformed_scenario_is_refused_naming_the_file_and_the_place(tmp_path, changes, message):
    path = _write_scenario(tmp_path, **changes)
    with pytest.raises(RulesError, match=message) as info:
        load_scenario(path)
    assert str(path) in str(info.value)


def test_an_unquoted_date_is_refused_because_yaml_would_make_it_a_datetime(tmp_path):
    path = _write_scenario(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace(
        "as_of: '2026-03-01T10:00:00+08:00'", "as_of: 2026-03-01T10:00:00+08:00"), encoding="utf-8")
    with pytest.raises(RulesError, match="at as_of: datetime.datetime"):
        load_scenario(path)


def test_a_well_formed_scenario_still_meets_the_api_models(tmp_path):
    path = _write_scenario(tmp_path, events=[{"type": "urgency_stated",
                                              "occurred_at": "2026-03-01T10:00:00+08:00",
                                              "data": {"reason": "bored"}}])
    with pytest.raises(ValueError, match="999_broken.yaml"):
        load_scenario(path)


def test_every_rule_is_named_by_a_scenario(compiled):
    named = set()
    for path in PATHS:
        expect = load_scenario(path).expect
        named |= set(expect.get("rules_fired", [])) | set(expect.get("rules_not_fired", []))
    missing = [r.id for r in compiled.ruleset.rules if r.id not in named]
    assert missing == [], f"rules no scenario names in rules_fired/rules_not_fired: {missing}"


def test_every_rule_fires_somewhere(compiled, outcomes):
    fired = set().union(*outcomes.values())
    never = [r.id for r in compiled.ruleset.rules if r.id not in fired]
    assert never == [], f"rules that fire in no scenario: {never}"


def test_every_rule_stays_silent_somewhere(compiled, outcomes):
    always = [r.id for r in compiled.ruleset.rules
              if all(r.id in fired for fired in outcomes.values())]
    assert always == [], f"rules that fire in every scenario: {always}"


def test_every_scenario_says_which_rules_fire_and_which_do_not():
    vague = [p.name for p in PATHS
             if not load_scenario(p).expect.get("rules_fired") or "status" not in load_scenario(p).expect]
    assert vague == [], f"scenarios without rules_fired or status: {vague}"


def test_scenarios_name_only_rules_that_exist(compiled):
    known = {r.id for r in compiled.ruleset.rules}
    unknown = {}
    for path in PATHS:
        expect = load_scenario(path).expect
        named = set(expect.get("rules_fired", [])) | set(expect.get("rules_not_fired", []))
        if named - known:
            unknown[path.name] = sorted(named - known)
    assert unknown == {}, f"scenarios naming rules that do not exist: {unknown}"
