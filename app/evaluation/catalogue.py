"""Evaluation, loading: the catalogue (actions, flags, regulators, labels), with its texts from
rules/locales/<tag>.yaml (app/evaluation/texts.py) in every locale of app.locales."""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from app.evaluation.files import read_mapping
from app.evaluation.model import RulesError
from app.evaluation.texts import Texts, localize_catalogue
from app.locales import Locale

# A text names the body the route rules chose through these fields of `regulators`; `none` is
# the entry for a case without a route (the platform's kind is not known).
REGULATOR_FIELDS = ("name", "hotline_name", "site", "how")
NO_ROUTE = "none"
_PLACEHOLDER = re.compile(r"\{regulator_([a-z_]+)\}")


@dataclass(frozen=True)
class ActionSpec:
    id: str
    guide_step: int | None
    track: str
    sources: tuple[str, ...]
    title: Mapping[str, str]
    detail: Mapping[str, str]


@dataclass(frozen=True)
class RemedySpec:
    """A route to redress the dossier lists; which ones apply is decided by remedies rules."""

    id: str
    sources: tuple[str, ...]
    title: Mapping[str, str]
    detail: Mapping[str, str]


@dataclass(frozen=True)
class Catalogue:
    actions: Mapping[str, ActionSpec]
    flags: Mapping[str, Mapping[str, Any]]
    statuses: Mapping[str, Mapping[str, str]]
    risk_levels: Mapping[str, Mapping[str, str]]
    guide_steps: Mapping[int, Mapping[str, str]]
    remedies: Mapping[str, RemedySpec] = field(default_factory=lambda: MappingProxyType({}))
    # body → name, hotline, hotline_name (FACTS B3); the route stage picks the body.
    regulators: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))


def load_catalogue(path: Path, texts: Texts) -> Catalogue:
    """Read the catalogue's ids and data from `path` and put its texts, from `texts`, beside them."""
    try:
        document = localize_catalogue(read_mapping(path), texts)
        actions = {
            action_id: ActionSpec(
                id=action_id,
                guide_step=spec.get("guide_step"),
                track=spec["track"],
                sources=tuple(spec.get("sources") or ()),
                title=MappingProxyType(dict(spec["title"])),
                detail=MappingProxyType(dict(spec["detail"])),
            )
            for action_id, spec in document["actions"].items()
        }
        remedies = {
            remedy_id: RemedySpec(
                id=remedy_id,
                sources=tuple(spec.get("sources") or ()),
                title=MappingProxyType(dict(spec["title"])),
                detail=MappingProxyType(dict(spec["detail"])),
            )
            for remedy_id, spec in (document.get("remedies") or {}).items()
        }
        regulators = document.get("regulators") or {}
        # Every locale has every text (checked by localize_catalogue); here, that the
        # placeholders a text names can be filled.
        for kind, entries in (("action", actions), ("remedy", remedies)):
            for entry in entries.values():
                for text in (*entry.title.values(), *entry.detail.values()):
                    for name in _PLACEHOLDER.findall(text):
                        if name not in REGULATOR_FIELDS or NO_ROUTE not in regulators:
                            raise RulesError(
                                f"{path}: {kind} {entry.id}: unknown placeholder {{regulator_{name}}}")
        return Catalogue(
            actions=MappingProxyType(actions),
            flags=MappingProxyType(document.get("flags") or {}),
            statuses=MappingProxyType(document.get("statuses") or {}),
            risk_levels=MappingProxyType(document.get("risk_levels") or {}),
            guide_steps=MappingProxyType({int(k): v for k, v in (document.get("guide_steps") or {}).items()}),
            remedies=MappingProxyType(remedies),
            regulators=MappingProxyType(regulators),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise RulesError(f"{path}: not a valid catalogue: {exc!r}") from exc


def render(text: str, catalogue: Catalogue, body: str | None, locale: Locale) -> str:
    """Fill a text's {regulator_*} placeholders with the body the route rules chose."""
    entry = catalogue.regulators.get(body or NO_ROUTE) or catalogue.regulators.get(NO_ROUTE, {})
    return _PLACEHOLDER.sub(lambda m: (entry.get(m.group(1)) or {}).get(locale, ""), text)


def regulator_text(catalogue: Catalogue, body: str | None, field: str, locale: Locale) -> str:
    """One field (name, hotline_name, site, how) of a body's entry; `none` when there is no route."""
    return render("{regulator_" + field + "}", catalogue, body, locale)
