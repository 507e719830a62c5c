"""Evaluation memo: stage decisions reused across evaluations never show in what is evaluated.

Every scenario beside the rules is evaluated with the memo cold (emptied before each) and warm
(filled by every scenario before): the evaluations are the same, byte for byte. A ruleset that
differs only in one rule gets its own decisions, never those remembered for another hash.
"""

import shutil
from pathlib import Path

import pytest

from app.evaluation import CompiledRuleset, evaluate, load_ruleset
from app.evaluation.memo import DECISIONS, DecisionMemo
from app.scenarios import load_scenario, scenario_paths

RULES = Path(__file__).resolve().parents[2] / "rules"


@pytest.fixture(scope="module")
def compiled() -> CompiledRuleset:
    return CompiledRuleset(load_ruleset(RULES))


def test_every_scenario_evaluates_the_same_with_the_memo_cold_and_warm(compiled):
    scenarios = [load_scenario(path) for path in scenario_paths(RULES)]
    cold = []
    for s in scenarios:
        DECISIONS.clear()
        cold.append(evaluate(s.case, s.events, s.as_of, compiled).model_dump_json())
        assert DECISIONS.misses > 0, "a cold evaluation asks durable-rules"
    DECISIONS.clear()
    for s in scenarios:  # fill the memo with every scenario's decisions
        evaluate(s.case, s.events, s.as_of, compiled)
    DECISIONS.hits = DECISIONS.misses = 0
    warm = [evaluate(s.case, s.events, s.as_of, compiled).model_dump_json() for s in scenarios]
    assert DECISIONS.misses == 0 and DECISIONS.hits > 0, "the warm run is answered by the memo"
    assert len(scenarios) > 50
    for s, c, w in zip(scenarios, cold, warm):
        assert w == c


def test_a_decision_is_never_reused_for_another_ruleset_hash(compiled, tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    status = rules / "status" / "ladder.yaml"
    text = status.read_text(encoding="utf-8")
    closed = "when: {fact: case_closed, eq: true}\n    then: {status: closed"
    assert closed in text
    # The other ruleset closes every open case: same stage, same fact values, another answer.
    status.write_text(text.replace(closed, closed.replace("eq: true", "eq: false")), encoding="utf-8")
    other = CompiledRuleset(load_ruleset(rules))
    assert other.ruleset.hash != compiled.ruleset.hash
    scenario = load_scenario(scenario_paths(RULES)[0])
    DECISIONS.clear()
    mine = evaluate(scenario.case, scenario.events, scenario.as_of, compiled)
    theirs = evaluate(scenario.case, scenario.events, scenario.as_of, other)
    assert mine.status != "closed" and theirs.status == "closed"
    assert evaluate(scenario.case, scenario.events, scenario.as_of, compiled).status == mine.status
    assert {key[0] for key in DECISIONS._entries} == {compiled.ruleset.hash, other.ruleset.hash}


def test_true_and_one_are_different_values_and_the_memo_stays_bounded():
    memo = DecisionMemo(max_entries=3)
    assert memo.decide("h", "gate", [True], lambda: ["a"]) == ("a",)
    assert memo.decide("h", "gate", [1], lambda: ["b"]) == ("b",)
    assert memo.decide("h", "gate", [True], lambda: ["never asked"]) == ("a",)
    for n in range(10):
        memo.decide("h", "gate", [n + 2], list)
    assert len(memo) == 3
    assert memo.decide("h", "gate", [True], lambda: ["asked again"]) == ("asked again",)
