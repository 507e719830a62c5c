"""Rules: every scenario beside the rules passes, and every rule is proven both ways by them."""

from collections import Counter
from pathlib import Path

import pytest

from app.evaluation import CompiledRuleset, load_ruleset
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
    assert [n for n, c in numbers.items() if c > 1] == []


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
