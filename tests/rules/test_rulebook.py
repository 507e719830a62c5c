"""Rules loading: every malformed or ambiguous rule is refused, naming its file and rule."""

from pathlib import Path

import pytest
import yaml

from app.evaluation import RulesError, load_ruleset
from app.evaluation.durable_adapter import compile_condition
from app.evaluation.rulebook import Group, Leaf, content_hash
from app.settings import PROJECT_ROOT

RULES = PROJECT_ROOT / "rules"


def write_rule(rules_dir: Path, stage: str, rule: dict, name: str = "zz_test.yaml") -> Path:
    """Write one rule file, and the rule's explanation into each locale's texts, as an author would."""
    rule = dict(rule)
    explain = rule.pop("explain")
    path = rules_dir / stage / name
    path.write_text(yaml.safe_dump({"stage": stage, "rules": [rule]}, allow_unicode=True), encoding="utf-8")
    for locale, text in explain.items():
        texts_path = rules_dir / "locales" / f"{locale}.yaml"
        texts = yaml.safe_load(texts_path.read_text(encoding="utf-8"))
        texts["explain"][rule["id"]] = text
        texts_path.write_text(yaml.safe_dump(texts, allow_unicode=True), encoding="utf-8")
    return path


def remove_rule(rules_dir: Path, stage: str, rule_id: str, name: str = "zz_test.yaml") -> None:
    """Take a rule written by write_rule away again, with its explanations."""
    (rules_dir / stage / name).unlink()
    for texts_path in (rules_dir / "locales").glob("*.yaml"):
        texts = yaml.safe_load(texts_path.read_text(encoding="utf-8"))
        del texts["explain"][rule_id]
        texts_path.write_text(yaml.safe_dump(texts, allow_unicode=True), encoding="utf-8")


def rule(**overrides) -> dict:
    base = {
        "id": "status.test_rule", "description": "a test rule", "sources": ["guide.1.1"],
        "when": {"fact": "event_count", "gte": 1}, "then": {"status": "verifying", "priority": 250},
        "explain": {"zh-CN": "测试", "en": "test"},
    }
    base.update(overrides)
    return base


def test_the_shipped_ruleset_loads_with_a_version_and_hash():
    ruleset = load_ruleset(RULES)
    assert ruleset.version.count(".") == 2 and len(ruleset.hash) == 64
    assert len(ruleset.rules) > 50


def test_a_schema_error_names_the_file_and_the_rule(rules_copy):
    write_rule(rules_copy, "status", rule(when={"fact": "event_count", "bigger": 1}))
    with pytest.raises(RulesError, match=r"status/zz_test.yaml: rule status.test_rule"):
        load_ruleset(rules_copy)


def test_an_unknown_fact_is_refused(rules_copy):
    write_rule(rules_copy, "status", rule(when={"fact": "no_such_fact", "eq": True}))
    with pytest.raises(RulesError, match=r"zz_test.yaml: rule status.test_rule: fact 'no_such_fact'"):
        load_ruleset(rules_copy)


def test_a_fact_from_a_later_stage_is_refused(rules_copy):
    write_rule(rules_copy, "flags", rule(id="flag.test", then={"flag": "R1"},
                                         when={"fact": "status", "eq": "new"}))
    with pytest.raises(RulesError, match="not available in the flags stage"):
        load_ruleset(rules_copy)


def test_a_wrongly_typed_comparison_is_refused(rules_copy):
    write_rule(rules_copy, "status", rule(when={"fact": "paid_in_full", "eq": "yes"}))
    with pytest.raises(RulesError, match="paid_in_full is bool"):
        load_ruleset(rules_copy)


def test_two_status_rules_with_one_priority_are_ambiguous(rules_copy):
    write_rule(rules_copy, "status", rule(then={"status": "verifying", "priority": 200}))
    with pytest.raises(RulesError, match=r"priority 200 for status is also used by status\.(test_rule|verifying)"):
        load_ruleset(rules_copy)


def test_unknown_outputs_are_refused(rules_copy):
    write_rule(rules_copy, "actions", rule(id="action.test", then={"recommend": "no.such", "priority": 1}))
    with pytest.raises(RulesError, match="action 'no.such' is not in the catalogue"):
        load_ruleset(rules_copy)


def test_an_unknown_parameter_is_refused(rules_copy):
    write_rule(rules_copy, "status", rule(when={"fact": "event_count", "gte": {"param": "nope"}}))
    with pytest.raises(RulesError, match="unknown parameter 'nope'"):
        load_ruleset(rules_copy)


def test_a_duplicate_id_is_refused(rules_copy):
    write_rule(rules_copy, "status", rule(id="status.verifying", then={"status": "new", "priority": 123}))
    with pytest.raises(RulesError, match="id already used"):
        load_ruleset(rules_copy)


def test_every_edit_to_a_policy_file_changes_the_hash_but_scenarios_do_not(rules_copy):
    before = content_hash(rules_copy)
    assert before == content_hash(RULES)  # the shipped scenarios do not count either
    (rules_copy / "status" / "scenarios").mkdir(exist_ok=True)
    (rules_copy / "status" / "scenarios" / "999_x.yaml").write_text("name: x\n")
    schema = rules_copy / "schema" / "scenario.schema.json"
    schema.write_text(schema.read_text().replace('"minLength": 1', '"minLength": 2', 1))
    assert content_hash(rules_copy) == before
    manifest = rules_copy / "ruleset.yaml"
    manifest.write_text(manifest.read_text().replace("value: 14", "value: 15", 1))
    after_manifest = content_hash(rules_copy)
    assert after_manifest != before
    calendar = rules_copy / "calendar" / "cn-working-days.yaml"
    calendar.write_text(calendar.read_text(encoding="utf-8") + "\n# noted\n", encoding="utf-8")
    assert content_hash(rules_copy) != after_manifest


def test_conditions_compile_to_durable_expressions():
    condition = Group("all", (Leaf("a", "gte", 2), Group("any", (Leaf("b", "eq", True), Leaf("c", "in", ("x", "y"))))))
    assert compile_condition(condition) == {"$and": [
        {"$gte": {"a": 2}},
        {"$or": [{"b": True}, {"$or": [{"c": "x"}, {"c": "y"}]}]},
    ]}


def test_money_thresholds_are_written_in_whole_units_and_compared_in_cents(rules_copy):
    write_rule(rules_copy, "status", rule(when={"fact": "amount", "gt": 50000.5}))
    [loaded] = [r for r in load_ruleset(rules_copy).rules if r.id == "status.test_rule"]
    assert loaded.when == Leaf("amount", "gt", 5000050)
    shipped = {r.id: r for r in load_ruleset(RULES).rules}
    ceiling = load_ruleset(RULES).parameters["small_claims_max_amount"]
    assert Leaf("amount", "lte", ceiling * 100) in shipped["action.escalate.small_claims"].when.items


def test_a_money_threshold_finer_than_a_cent_is_refused(rules_copy):
    write_rule(rules_copy, "status", rule(when={"fact": "amount", "gte": 100.005}))
    with pytest.raises(RulesError, match=r"zz_test.yaml: rule status.test_rule: amount 100.005"):
        load_ruleset(rules_copy)


def test_a_remedy_missing_from_the_catalogue_is_refused(rules_copy):
    write_rule(rules_copy, "remedies", rule(id="remedy.test", then={"remedy": "no_such_remedy", "priority": 1},
                                            when={"fact": "track", "eq": "dispute"}))
    with pytest.raises(RulesError, match=r"rule remedy.test: remedy 'no_such_remedy' is not in the catalogue"):
        load_ruleset(rules_copy)


def test_an_unknown_regulator_is_refused(rules_copy):
    write_rule(rules_copy, "route", rule(id="route.test", then={"regulator": "fbi", "priority": 5}))
    with pytest.raises(RulesError, match="route/zz_test.yaml: rule route.test"):
        load_ruleset(rules_copy)


def test_two_route_rules_with_one_priority_are_ambiguous(rules_copy):
    write_rule(rules_copy, "route", rule(id="route.test", then={"regulator": "market", "priority": 100}))
    with pytest.raises(RulesError, match=r"priority 100 for regulator is also used by route\.(test|nfra)"):
        load_ruleset(rules_copy)


def test_the_clocks_may_read_the_route_but_the_gate_may_not(rules_copy):
    write_rule(rules_copy, "gate", rule(id="gate.test", then={"risk": "high", "priority": 77},
                                        when={"fact": "statutory_clocks", "eq": True}))
    with pytest.raises(RulesError, match="not available in the gate stage"):
        load_ruleset(rules_copy)
    remove_rule(rules_copy, "gate", "gate.test")
    write_rule(rules_copy, "clocks", rule(
        id="clock.test", when={"fact": "statutory_clocks", "eq": True},
        then={"deadline": "firm_decision", "anchor": "platform_complaint_at", "offset_days": 90,
              "ceiling": True}))
    assert load_ruleset(rules_copy).rule("clock.test").then["ceiling"] is True
