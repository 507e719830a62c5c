"""One text system: the dossier's words come from one file per locale, checked like the catalogue."""

import shutil
from pathlib import Path

import pytest
import yaml

from app.cases.event_data import EVENT_MODELS, EVENT_TYPES
from app.dossier import narrative
from app.dossier.texts import LOCALES_DIR, TextsError, load_texts, placeholders
from app.locales import DEFAULT_LOCALE, LOCALES


def _shapes(node, path=""):
    if isinstance(node, dict):
        for key, child in node.items():
            yield from _shapes(child, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        yield path, len(node)
        for i, child in enumerate(node):
            yield from _shapes(child, f"{path}[{i}]")
    else:
        yield path, placeholders(node)


def test_every_locale_file_has_the_same_keys_and_placeholders():
    files = {loc: yaml.safe_load((LOCALES_DIR / f"{loc}.yaml").read_text(encoding="utf-8")) for loc in LOCALES}
    shapes = {loc: dict(_shapes(doc)) for loc, doc in files.items()}
    first = shapes[LOCALES[0]]
    assert len(first) > 300  # every heading, label, sentence and paragraph of the dossier
    for loc in LOCALES[1:]:
        assert shapes[loc] == first, loc
    assert load_texts().keys() == set(LOCALES)


def test_the_locale_files_are_exactly_the_listed_locales():
    assert sorted(p.stem for p in LOCALES_DIR.glob("*.yaml")) == sorted(LOCALES)


def test_every_event_type_has_its_name_for_the_web_app_in_every_locale():
    texts = load_texts()
    for loc in LOCALES:
        assert list(texts[loc]["event_types"]) == list(texts[DEFAULT_LOCALE]["event_types"]), loc
        assert set(texts[loc]["event_types"]) == set(EVENT_TYPES), loc


def test_every_event_type_has_a_sentence_in_every_locale():
    texts = load_texts()
    for loc in LOCALES:
        assert set(EVENT_TYPES) <= set(texts[loc]["sentences"]), loc
        assert set(narrative.DEMANDS) == set(texts[loc]["demands"]), loc
    # Each fill has a sentence; a sentence without a fill of its own names only its data's fields.
    assert set(narrative._FILLS) <= set(texts[DEFAULT_LOCALE]["sentences"])
    for event_type in set(EVENT_TYPES) - set(narrative._FILLS) - {"notice_posted", "support_contacted"}:
        fields = set(EVENT_MODELS[event_type].model_fields["data"].annotation.model_fields)
        for loc in LOCALES:
            assert placeholders(texts[loc]["sentences"][event_type]) <= fields, (loc, event_type)


def test_a_sentence_without_code_of_its_own_is_filled_from_its_fields():
    assert narrative.sentence("note_added", {"text": "客服挂断了。"}, "en", "CNY") == "Note: 客服挂断了。"


@pytest.fixture
def texts_dir(tmp_path: Path) -> Path:
    for loc in LOCALES:
        shutil.copy(LOCALES_DIR / f"{loc}.yaml", tmp_path / f"{loc}.yaml")
    return tmp_path


def _edit(directory: Path, locale: str, change) -> None:
    path = directory / f"{locale}.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")


def test_a_copy_of_the_files_loads(texts_dir):
    assert load_texts(texts_dir) == load_texts()


def test_a_missing_text_is_refused_at_load(texts_dir):
    _edit(texts_dir, "en", lambda d: d["headings"].pop("disclaimer"))
    with pytest.raises(TextsError, match=r"en\.yaml: no text for headings\.disclaimer"):
        load_texts(texts_dir)


def test_a_text_only_one_locale_has_is_refused_at_load(texts_dir):
    _edit(texts_dir, "en", lambda d: d["paragraphs"].update(extra="more"))
    with pytest.raises(TextsError, match=r"paragraphs\.extra is not in zh-CN\.yaml"):
        load_texts(texts_dir)


def test_an_empty_text_is_refused_at_load(texts_dir):
    _edit(texts_dir, "zh-CN", lambda d: d["labels"]["channel"].update(phone=""))
    with pytest.raises(TextsError, match=r"labels\.channel\.phone: missing text"):
        load_texts(texts_dir)


def test_a_different_placeholder_is_refused_at_load(texts_dir):
    _edit(texts_dir, "en", lambda d: d["headings"].update(days="{count} days"))
    with pytest.raises(TextsError, match=r"headings\.days has placeholders \{count\}, zh-CN\.yaml has placeholders \{n\}"):
        load_texts(texts_dir)


def test_a_list_of_another_length_is_refused_at_load(texts_dir):
    _edit(texts_dir, "en", lambda d: d["paragraphs"]["police_notes"].pop())
    with pytest.raises(TextsError, match=r"no text for paragraphs\.police_notes\[3\]"):
        load_texts(texts_dir)


def test_an_unquoted_yes_key_is_refused_at_load(texts_dir):
    path = texts_dir / "en.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("    'yes': licensed (checked)", "    yes: licensed (checked)"),
                    encoding="utf-8")
    with pytest.raises(TextsError, match="not a string"):
        load_texts(texts_dir)


def test_a_locale_without_its_file_is_refused_at_load(texts_dir):
    (texts_dir / "en.yaml").unlink()
    with pytest.raises(TextsError, match=r"en\.yaml: cannot be read"):
        load_texts(texts_dir)
