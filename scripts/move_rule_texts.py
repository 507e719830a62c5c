"""Tooling: move texts written in the old inline format (an `explain: {zh-CN, en}` in a rule, or
`{zh-CN, en}` texts in rules/catalogue/actions.yaml) into the per-locale files rules/locales/<tag>.yaml.

For a branch written before the texts moved: run it, then `stuckfunds rules check`. It edits the
files as text, so their comments and layout stay; a text already in a locale file is left alone
and reported. Each new text goes at the end of its section (`explain`, `actions`, `flags`, ...).
Catalogue entries written on one line (`new: {label: {zh-CN: ..., en: ...}}`) are not moved: move
those by hand (statuses, risk levels and guide steps become a list of ids in the catalogue).

    .venv/bin/python scripts/move_rule_texts.py [rules-dir]
"""

import re
import sys
from pathlib import Path

import yaml

from app.evaluation.texts import CATALOGUE_TEXTS, EXPLAIN, TEXTS_DIR
from app.locales import LOCALES
from app.settings import PROJECT_ROOT


def scalar(text: str) -> str:
    return yaml.safe_dump(text, allow_unicode=True, width=10**6).rstrip("\n").removesuffix("\n...")


def strip_block(lines: list[str], start: int) -> int:
    """The index after the block that starts at `start` (its more indented lines)."""
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = start + 1
    while end < len(lines) and lines[end].strip() and len(lines[end]) - len(lines[end].lstrip()) > indent:
        end += 1
    return end


def add_to_section(text: str, section: str, new_lines: list[str]) -> str:
    """Append lines at the end of a top-level section (before the blank lines that end it)."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line == f"{section}:")
    end = start + 1
    while end < len(lines) and (not lines[end] or lines[end].startswith((" ", "#"))):
        end += 1
    while lines[end - 1].strip() == "" or lines[end - 1].startswith("#"):
        end -= 1
    return "\n".join(lines[:end] + new_lines + lines[end:])


def main(rules_dir: Path) -> None:
    texts_paths = {loc: rules_dir / TEXTS_DIR / f"{loc}.yaml" for loc in LOCALES}
    locale_text = {loc: path.read_text(encoding="utf-8") for loc, path in texts_paths.items()}
    known = {loc: yaml.safe_load(text) for loc, text in locale_text.items()}
    moved = 0
    for path in sorted(rules_dir.glob("*/*.yaml")):
        if path.parent.name in ("catalogue", "calendar", "schema", TEXTS_DIR):
            continue
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        found = [(r["id"], r["explain"]) for r in document.get("rules") or [] if "explain" in r]
        if not found:
            continue
        lines = path.read_text(encoding="utf-8").split("\n")
        i = 0
        while i < len(lines):
            if re.match(r"^\s*explain:", lines[i]):
                del lines[i:strip_block(lines, i)]
                continue
            i += 1
        path.write_text("\n".join(lines), encoding="utf-8")
        rel = path.relative_to(rules_dir)
        for loc in LOCALES:
            new = [f"  {rid}: {scalar(explain[loc])}" for rid, explain in found
                   if rid not in (known[loc].get(EXPLAIN) or {})]
            if new:
                locale_text[loc] = add_to_section(locale_text[loc], EXPLAIN, [f"  # {rel}", *new])
        moved += len(found)
        print(f"{rel}: {len(found)} explanations moved")

    catalogue_path = rules_dir / "catalogue" / "actions.yaml"
    catalogue = yaml.safe_load(catalogue_path.read_text(encoding="utf-8"))
    lines = catalogue_path.read_text(encoding="utf-8").split("\n")
    for section, fields in CATALOGUE_TEXTS.items():
        entries = catalogue.get(section) or {}
        for key, entry in (entries.items() if isinstance(entries, dict) else ()):
            inline = {f: entry[f] for f in fields if isinstance(entry, dict) and isinstance(entry.get(f), dict)}
            if not inline:
                continue
            for loc in LOCALES:
                if key in (known[loc].get(section) or {}):
                    print(f"{section}: {key}: already has {loc} texts; left alone")
                    continue
                new = [f"  {key}:"] + [f"    {f}: {scalar(inline[f][loc])}" for f in fields if f in inline]
                locale_text[loc] = add_to_section(locale_text[loc], section, new)
            # drop the inline texts from the catalogue entry
            head = next(i for i, line in enumerate(lines) if re.match(rf"^  {re.escape(str(key))}:", line))
            stop = strip_block(lines, head)
            keep = []
            i = head + 1
            while i < stop:
                if re.match(rf"^\s+({'|'.join(fields)}):", lines[i]):
                    i = strip_block(lines, i)
                    continue
                keep.append(lines[i])
                i += 1
            lines[head + 1:stop] = keep
            moved += 1
            print(f"catalogue {section}: {key}: texts moved")
    catalogue_path.write_text("\n".join(lines), encoding="utf-8")
    for loc, path in texts_paths.items():
        path.write_text(locale_text[loc], encoding="utf-8")
    print(f"{moved} moved; now run: stuckfunds rules check")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else PROJECT_ROOT / "rules")
