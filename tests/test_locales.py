"""One list of languages: the Locale type, Accept-Language, ?lang=, and every text loader follow it."""

import json
import re
import shutil
from typing import get_args

import pytest

import app.dossier.texts as dossier_texts
from app.evaluation import rulebook, texts
from app.locales import DEFAULT_LOCALE, LOCALES, Locale, pick_locale
from app.settings import PROJECT_ROOT

WITH_JA = (*LOCALES, "ja")


def test_the_locale_type_is_the_list_of_locales():
    assert get_args(Locale) == LOCALES and DEFAULT_LOCALE == LOCALES[0]


@pytest.mark.parametrize(("header", "expected"), [
    (None, "zh-CN"), ("en-US,en;q=0.9", "en"), ("zh-TW", "zh-CN"), ("fr-FR", "zh-CN"),
    ("zh-CN;q=0.4, en;q=0.8", "en"), ("en;q=0.2, zh;q=0.9", "zh-CN"),
])
def test_accept_language_picks_one_of_the_locales(header, expected):
    assert pick_locale(header) == expected


def test_every_lang_parameter_and_locale_field_of_the_api_is_the_locale_list(api):
    spec = api.get("/openapi.json").json()
    langs = [p["schema"] for path in spec["paths"].values() for op in path.values()
             for p in op.get("parameters", []) if p["name"] == "lang"]
    assert len(langs) >= 2  # the dossier and the web app's labels
    for schema in langs:
        assert next(s for s in schema["anyOf"] if s.get("type") == "string")["enum"] == list(LOCALES)
    fields = [props["locale"] for s in spec["components"]["schemas"].values()
              for props in [s.get("properties", {})] if "locale" in props]
    assert len(fields) >= 5
    for field in fields:
        options = field.get("anyOf", [field])
        assert next(s for s in options if s.get("type") == "string")["enum"] == list(LOCALES)


# --- a new language is its files plus one line: each loader follows the list -----------------


def test_a_new_locale_with_its_dossier_file_loads(tmp_path, monkeypatch):
    for loc in LOCALES:
        shutil.copy(dossier_texts.LOCALES_DIR / f"{loc}.yaml", tmp_path / f"{loc}.yaml")
    shutil.copy(dossier_texts.LOCALES_DIR / "en.yaml", tmp_path / "ja.yaml")
    monkeypatch.setattr(dossier_texts, "LOCALES", WITH_JA)
    assert set(dossier_texts.load_texts(tmp_path)) == set(WITH_JA)
    (tmp_path / "ja.yaml").unlink()
    with pytest.raises(dossier_texts.TextsError, match=r"ja\.yaml: cannot be read"):
        dossier_texts.load_texts(tmp_path)


def test_a_new_locale_without_rule_texts_is_refused(monkeypatch):
    monkeypatch.setattr(texts, "LOCALES", WITH_JA)
    with pytest.raises(rulebook.RulesError, match=r"locales/ja\.yaml: missing"):
        rulebook.load_ruleset(PROJECT_ROOT / "rules")


def test_a_new_language_is_its_three_text_files_and_its_line(tmp_path, monkeypatch):
    """What CONVENTIONS.md lists for a new language is all it takes: a copy of the project's text
    folders gets only the new files, and every loader, driven by LOCALES, picks them up."""
    import app.webapp.router as webapp

    rules_dir = tmp_path / "rules"
    shutil.copytree(PROJECT_ROOT / "rules", rules_dir, ignore=shutil.ignore_patterns("scenarios"))
    dossier_dir = tmp_path / "dossier"
    shutil.copytree(dossier_texts.LOCALES_DIR, dossier_dir)
    i18n_dir = tmp_path / "i18n"
    shutil.copytree(webapp.STATIC_DIR / "i18n", i18n_dir)
    # The one line: app/locales.py's list, as each loader reads it.
    for module in (texts, dossier_texts, webapp):
        monkeypatch.setattr(module, "LOCALES", WITH_JA)
    # The files (copies of the English ones stand in for a translation).
    new_files = [rules_dir / "locales" / "ja.yaml", dossier_dir / "ja.yaml", i18n_dir / "ja.json"]
    for target in new_files:
        shutil.copy(target.with_name("en" + target.suffix), target)
    words = json.loads((i18n_dir / "ja.json").read_text(encoding="utf-8"))
    words.update(language_name="日本語", language_switch_label="日本語に切り替える")
    (i18n_dir / "ja.json").write_text(json.dumps(words, ensure_ascii=False), encoding="utf-8")

    ruleset = rulebook.load_ruleset(rules_dir)
    assert all(rule.explain["ja"] == rule.explain["en"] for rule in ruleset.rules)
    assert all(spec.title["ja"] for spec in ruleset.catalogue.actions.values())
    assert all(entry["label"]["ja"] for entry in ruleset.catalogue.statuses.values())
    assert dossier_texts.load_texts(dossier_dir)["ja"]["event_types"]["notice_posted"]
    offered = webapp.load_languages(i18n_dir)
    assert [lang.tag for lang in offered.languages] == list(WITH_JA)
    assert offered.languages[-1].name == "日本語"

    # And each of them is needed: without it, its loader refuses the listed language.
    for target, load in zip(new_files, (lambda: rulebook.load_ruleset(rules_dir),
                                        lambda: dossier_texts.load_texts(dossier_dir),
                                        lambda: webapp.load_languages(i18n_dir))):
        saved = target.read_bytes()
        target.unlink()
        with pytest.raises((rulebook.RulesError, dossier_texts.TextsError, RuntimeError), match="ja"):
            load()
        target.write_bytes(saved)


def _steps(title: str) -> list[str]:
    section = (PROJECT_ROOT / "CONVENTIONS.md").read_text(encoding="utf-8").split(f"## {title}\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    return [line for line in section.splitlines() if re.match(r"^\d+\. ", line)]


@pytest.mark.parametrize("title", ["Add a language", "Add an event type", "Add a rule", "Add a route",
                                   "Add a setting"])
def test_each_recipe_in_conventions_touches_at_most_four_files(title):
    assert 1 <= len(_steps(title)) <= 4
