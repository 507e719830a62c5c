"""Dossier, words: every text of the dossier, read from one file per locale (app/dossier/locales/).

The files are checked when the module is imported (at start), like the rules' catalogue: one file per locale in
app.locales.LOCALES, the same keys in each, the same {placeholders} in each text, no empty text.
A language is added by adding its file and its line in app/locales.py.
"""

import string
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from app.locales import LOCALES, Locale

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
# Mainland China keeps one offset all year; a fixed zone needs no tz database on the host.
CHINA = timezone(timedelta(hours=8), "UTC+8")


class TextsError(ValueError):
    """A locale file is missing, malformed, or differs from the others in keys or placeholders."""


def placeholders(text: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


def _shape(node: Any, path: str, out: dict[str, Any]) -> None:
    """Flatten a locale file into {dotted key: placeholders of the text, or a list's length}."""
    if isinstance(node, Mapping):
        if not node:
            raise TextsError(f"{path}: empty section")
        for key, child in node.items():
            if not isinstance(key, str):  # YAML reads a bare yes/no as a boolean
                raise TextsError(f"{path}: key {key!r} is not a string (quote it)")
            _shape(child, f"{path}.{key}" if path else key, out)
    elif isinstance(node, list):
        out[path] = ("list", len(node))
        for index, child in enumerate(node):
            _shape(child, f"{path}[{index}]", out)
    elif isinstance(node, str) and node:
        try:
            out[path] = placeholders(node)
        except ValueError as exc:  # an unbalanced brace
            raise TextsError(f"{path}: {exc}") from exc
    else:
        raise TextsError(f"{path}: missing text (got {node!r})")


def load_texts(directory: Path = LOCALES_DIR) -> Mapping[str, Mapping[str, Any]]:
    """Every locale's texts, checked against the first locale's keys and placeholders."""
    texts, shapes = {}, {}
    for locale in LOCALES:
        path = directory / f"{locale}.yaml"
        try:
            texts[locale] = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise TextsError(f"{path}: cannot be read: {exc}") from exc
        shapes[locale] = {}
        try:
            _shape(texts[locale], "", shapes[locale])
        except TextsError as exc:
            raise TextsError(f"{path}: {exc}") from exc
    reference, first = shapes[LOCALES[0]], LOCALES[0]
    for locale in LOCALES[1:]:
        shape = shapes[locale]
        for key in sorted(reference.keys() - shape.keys()):
            raise TextsError(f"{locale}.yaml: no text for {key} (in {first}.yaml)")
        for key in sorted(shape.keys() - reference.keys()):
            raise TextsError(f"{locale}.yaml: {key} is not in {first}.yaml")
        for key in sorted(reference):
            if reference[key] != shape[key]:
                raise TextsError(f"{locale}.yaml: {key} has {_show(shape[key])}, {first}.yaml has "
                                 f"{_show(reference[key])}")
    return texts


def _show(shape: Any) -> str:
    if isinstance(shape, tuple):
        return f"a list of {shape[1]}"
    return "placeholders {" + ", ".join(sorted(shape)) + "}" if shape else "no placeholders"


# Read and checked once, when the app imports the dossier: a broken file stops the start, not a request.
_TEXTS = load_texts()


def texts(locale: Locale) -> Mapping[str, Any]:
    """The whole locale file: headings, labels, values, sentences, fragments, paragraphs, format."""
    return _TEXTS[locale]


def text(locale: Locale, section: str, key: str, **values: object) -> str:
    """One text of a section, its placeholders filled."""
    raw = _TEXTS[locale][section][key]
    return raw.format(**values) if values else raw


def heading(locale: Locale, key: str, **values: object) -> str:
    return text(locale, "headings", key, **values)


def label(locale: Locale, group: str, value: str | None) -> str:
    if value is None:
        return heading(locale, "unknown")
    return _TEXTS[locale]["labels"][group].get(value, value)


def when(moment: datetime | None, locale: Locale) -> str:
    """A time as a Chinese office reads it: Beijing time (the dossier says so once, up front)."""
    if moment is None:
        return heading(locale, "unknown")
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def day(moment: datetime | None, locale: Locale) -> str:
    if moment is None:
        return heading(locale, "unknown")
    return moment.astimezone(CHINA).strftime("%Y-%m-%d")


def money(amount: Decimal | str | None, currency: str, locale: Locale) -> str:
    if amount is None:
        return heading(locale, "unknown")
    value = f"{Decimal(amount):,.2f}"
    if currency == "CNY":
        return text(locale, "format", "money_cny", value=value)
    return text(locale, "format", "money_other", value=value, currency=currency)
