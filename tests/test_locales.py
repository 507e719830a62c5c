"""One list of languages: the Locale type, Accept-Language, ?lang=, and every text loader follow it."""

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
