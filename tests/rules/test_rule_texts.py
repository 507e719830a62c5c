"""The rules' texts (rules/locales/<tag>.yaml): every rule and catalogue entry has its text in each
locale, no text without its rule or entry, the same placeholders in each, and the hash covers them."""

import shutil
from pathlib import Path

import pytest
import yaml

from app.evaluation import RulesError, load_ruleset
from app.evaluation.rulebook import content_hash
from app.locales import LOCALES
from app.settings import PROJECT_ROOT

RULES = PROJECT_ROOT / "rules"


def edit(rules_dir: Path, locale: str, change) -> None:
    path = rules_dir / "locales" / f"{locale}.yaml"
    texts = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(texts)
    path.write_text(yaml.safe_dump(texts, allow_unicode=True), encoding="utf-8")


def test_every_rule_is_explained_in_every_locale_from_the_locale_files():
    ruleset = load_ruleset(RULES)
    for locale in LOCALES:
        texts = yaml.safe_load((RULES / "locales" / f"{locale}.yaml").read_text(encoding="utf-8"))
        assert set(texts["explain"]) == {rule.id for rule in ruleset.rules}
        for rule in ruleset.rules:
            assert rule.explain[locale]
        assert set(texts["actions"]) == set(ruleset.catalogue.actions)
        for action_id, spec in ruleset.catalogue.actions.items():
            assert spec.title[locale] == texts["actions"][action_id]["title"]


@pytest.mark.parametrize("locale", LOCALES)
def test_a_rule_without_an_explanation_is_refused(rules_copy, locale):
    edit(rules_copy, locale, lambda t: t["explain"].pop("flag.S1.guaranteed_returns"))
    with pytest.raises(RulesError, match=rf"locales/{locale}\.yaml: explain: no text for \['flag\.S1"):
        load_ruleset(rules_copy)


def test_an_explanation_without_a_rule_is_refused(rules_copy):
    edit(rules_copy, "en", lambda t: t["explain"].update({"flag.gone": "An old text."}))
    with pytest.raises(RulesError, match=r"locales/en\.yaml: explain: texts for unknown ids \['flag\.gone'\]"):
        load_ruleset(rules_copy)


@pytest.mark.parametrize(("section", "key"), [("actions", "verify.read_notice"), ("statuses", "new"),
                                              ("guide_steps", 1), ("regulators", "nfra")])
def test_a_catalogue_entry_without_its_text_is_refused(rules_copy, section, key):
    edit(rules_copy, "en", lambda t: t[section].pop(key))
    with pytest.raises(RulesError, match=rf"locales/en\.yaml: {section}: no text for"):
        load_ruleset(rules_copy)


def test_a_text_for_an_unknown_catalogue_entry_or_field_is_refused(rules_copy):
    edit(rules_copy, "zh-CN", lambda t: t["actions"].update({"verify.gone": {"title": "标题", "detail": "说明。"}}))
    with pytest.raises(RulesError, match=r"actions: texts for unknown ids \['verify\.gone'\]"):
        load_ruleset(rules_copy)
    edit(rules_copy, "zh-CN", lambda t: t["actions"].pop("verify.gone"))
    edit(rules_copy, "zh-CN", lambda t: t["actions"]["verify.read_notice"].update(note="多余"))
    with pytest.raises(RulesError, match=r"actions: verify\.read_notice: needs exactly \['title', 'detail'\]"):
        load_ruleset(rules_copy)


def test_placeholders_must_match_across_locales(rules_copy):
    def drop(texts):
        remedy = texts["remedies"]["regulator_complaint"]
        remedy["title"] = remedy["title"].replace("{regulator_name}", "the regulator")
    edit(rules_copy, "en", drop)
    with pytest.raises(RulesError, match=r"remedies: regulator_complaint: title: placeholders \[\] differ"):
        load_ruleset(rules_copy)


def test_an_explanation_left_in_a_rule_file_points_to_the_locale_files(rules_copy):
    path = rules_copy / "flags" / "fraud_soft.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["rules"][0]["explain"] = {"zh-CN": "旧格式", "en": "old format"}
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RulesError, match=r"goes in rules/locales/<locale>\.yaml"):
        load_ruleset(rules_copy)


def test_a_locale_file_for_an_unlisted_language_or_a_missing_one_is_refused(rules_copy):
    shutil.copy(rules_copy / "locales" / "en.yaml", rules_copy / "locales" / "xx.yaml")
    with pytest.raises(RulesError, match=r"'xx' is not a locale"):
        load_ruleset(rules_copy)
    (rules_copy / "locales" / "xx.yaml").unlink()
    (rules_copy / "locales" / "en.yaml").unlink()
    with pytest.raises(RulesError, match=r"en\.yaml: missing"):
        load_ruleset(rules_copy)


def test_the_content_hash_covers_the_texts(rules_copy):
    before = content_hash(rules_copy)
    edit(rules_copy, "en", lambda t: t["explain"].update({"flag.S1.guaranteed_returns": "Reworded."}))
    assert content_hash(rules_copy) != before
    assert load_ruleset(rules_copy).rule("flag.S1.guaranteed_returns").explain["en"] == "Reworded."


def test_texts_written_the_old_way_are_moved_by_the_script(rules_copy):
    """A branch written before the texts moved (an `explain` in the rule, texts in the catalogue
    entry) is brought over by scripts/move_rule_texts.py, with the same texts as before."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("move_rule_texts", PROJECT_ROOT / "scripts" / "move_rule_texts.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    before = load_ruleset(rules_copy)
    rule = before.rule("flag.S1.guaranteed_returns")
    action = before.catalogue.actions["verify.read_notice"]
    path = rules_copy / "flags" / "fraud_soft.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "    then: {flag: S1}\n",
        "    then: {flag: S1}\n    explain:\n" + "".join(
            f"      {loc}: {rule.explain[loc]}\n" for loc in LOCALES), 1), encoding="utf-8")
    catalogue = rules_copy / "catalogue" / "actions.yaml"
    catalogue.write_text(catalogue.read_text(encoding="utf-8").replace(
        "    sources: [guide.1.1]\n",
        "    sources: [guide.1.1]\n" + "".join(
            f"    {field}:\n" + "".join(f"      {loc}: \"{getattr(action, field)[loc]}\"\n" for loc in LOCALES)
            for field in ("title", "detail")), 1), encoding="utf-8")
    for locale in LOCALES:
        edit(rules_copy, locale, lambda t: (t["explain"].pop(rule.id), t["actions"].pop(action.id)))
    with pytest.raises(RulesError):
        load_ruleset(rules_copy)

    script.main(rules_copy)
    after = load_ruleset(rules_copy)
    assert after.rule(rule.id).explain == rule.explain
    assert after.catalogue.actions[action.id].title == action.title
    assert after.catalogue.actions[action.id].detail == action.detail
    assert "explain" not in path.read_text(encoding="utf-8")
