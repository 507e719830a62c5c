"""Evaluation, loading: the rules' user texts, one file per locale (rules/locales/<tag>.yaml).

Each file holds, for one locale of app/locales.py, why each rule fired (`explain`, by rule id)
and the catalogue's texts (actions, flags, regulators, statuses, risk levels, guide steps,
remedies, by id). The rules and the catalogue say which ids exist; every locale file must have
exactly those texts, with the same {placeholders} as the default locale's, or loading fails.
"""

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from app.evaluation.files import read_mapping
from app.evaluation.model import RulesError
from app.locales import DEFAULT_LOCALE, LOCALES

TEXTS_DIR = "locales"
# The text fields of each catalogue section; every entry of a section has all of them.
CATALOGUE_TEXTS: Mapping[str, tuple[str, ...]] = {
    "actions": ("title", "detail"),
    "flags": ("title", "detail"),
    "regulators": ("name", "hotline_name", "site", "how"),
    "statuses": ("label",),
    "risk_levels": ("label", "detail"),
    "guide_steps": ("title",),
    "remedies": ("title", "detail"),
}
EXPLAIN = "explain"
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")

Texts = Mapping[str, Mapping[str, Any]]  # locale -> that locale's file


def load_texts(rules_dir: Path) -> Texts:
    """Read rules/locales/<tag>.yaml for every locale listed, and refuse a file for one not listed."""
    directory = Path(rules_dir) / TEXTS_DIR
    found = {path.stem: path for path in directory.glob("*.yaml")}
    for tag in sorted(set(found) - set(LOCALES)):
        raise RulesError(f"{found[tag]}: {tag!r} is not a locale of app/locales.py")
    texts = {}
    for locale in LOCALES:
        path = directory / f"{locale}.yaml"
        document = read_mapping(path)  # every locale listed has its file
        extra = set(document) - {EXPLAIN, *CATALOGUE_TEXTS}
        if extra:
            raise RulesError(f"{path}: unknown sections {sorted(extra)}")
        texts[locale] = document
    return texts


def localize_catalogue(document: Mapping[str, Any], texts: Texts) -> dict[str, Any]:
    """The catalogue with each text field as {locale: text}, its ids checked against every locale file."""
    merged = dict(document)
    for section, fields in CATALOGUE_TEXTS.items():
        entries = document.get(section) or {}
        ids = list(entries)  # a mapping of ids to their data, or a list of ids (texts only)
        localized = _entries(texts, section, ids, fields)
        merged[section] = {
            key: {**(entries[key] if isinstance(entries, dict) and entries[key] else {}),
                  **localized[key]}
            for key in ids
        }
    return merged


def explanations(texts: Texts, rule_ids: Iterable[str]) -> dict[str, dict[str, str]]:
    """Each rule's explanation as {locale: text}; a rule without one, or a text without a rule, fails."""
    ids = list(rule_ids)
    out: dict[str, dict[str, str]] = {key: {} for key in ids}
    for locale, document in texts.items():
        have = document.get(EXPLAIN) or {}
        _same_ids(locale, EXPLAIN, ids, have)
        for key in ids:
            out[key][locale] = _text(locale, f"{EXPLAIN}: {key}", have[key])
    for key, by_locale in out.items():
        _same_placeholders(f"{EXPLAIN}: {key}", by_locale)
    return out


def _entries(texts: Texts, section: str, ids: list[Any], fields: tuple[str, ...]) -> dict[Any, dict]:
    out: dict[Any, dict[str, dict[str, str]]] = {key: {name: {} for name in fields} for key in ids}
    for locale, document in texts.items():
        have = document.get(section) or {}
        _same_ids(locale, section, ids, have)
        for key in ids:
            entry = have[key]
            where = f"{section}: {key}"
            if not isinstance(entry, dict) or set(entry) != set(fields):
                raise RulesError(f"{_file(locale)}: {where}: needs exactly {list(fields)}")
            for name in fields:
                out[key][name][locale] = _text(locale, f"{where}: {name}", entry[name])
    for key, entry in out.items():
        for name, by_locale in entry.items():
            _same_placeholders(f"{section}: {key}: {name}", by_locale)
    return out


def _same_ids(locale: str, section: str, ids: list[Any], have: Any) -> None:
    if not isinstance(have, dict):
        raise RulesError(f"{_file(locale)}: {section}: expected a mapping of ids to texts")
    missing = [key for key in ids if key not in have]
    extra = [key for key in have if key not in ids]
    if missing:
        raise RulesError(f"{_file(locale)}: {section}: no text for {missing}")
    if extra:
        raise RulesError(f"{_file(locale)}: {section}: texts for unknown ids {extra}")


def _text(locale: str, where: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RulesError(f"{_file(locale)}: {where}: expected a non-empty text")
    return value


def _same_placeholders(where: str, by_locale: Mapping[str, str]) -> None:
    """Every locale's text names the same {placeholders} as the default locale's."""
    want = sorted(set(_PLACEHOLDER.findall(by_locale[DEFAULT_LOCALE])))
    for locale, text in by_locale.items():
        have = sorted(set(_PLACEHOLDER.findall(text)))
        if have != want:
            raise RulesError(f"{_file(locale)}: {where}: placeholders {have} differ from "
                             f"{DEFAULT_LOCALE}'s {want}")


def _file(locale: str) -> str:
    return f"{TEXTS_DIR}/{locale}.yaml"
