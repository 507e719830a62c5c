"""Rules catalogue, HTTP edge: what the service knows and why, localized."""

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.edge.auth import CurrentCaller
from app.edge.deps import CurrentRuleset, Locale
from app.evaluation.catalogue import render
from app.locales import DEFAULT_LOCALE, Locale as Language

router = APIRouter(prefix="/v1", tags=["rules"])


class ActionEntry(BaseModel):
    action: str
    guide_step: int | None
    guide_step_title: str | None
    track: str = Field(description="dispute, fraud or any: the track the action belongs to")
    sources: list[str]
    title: str
    detail: str


class ActionCatalogue(BaseModel):
    locale: Language
    items: list[ActionEntry]


class RuleEntry(BaseModel):
    id: str
    stage: str
    file: str
    description: str
    sources: list[str] = Field(description="Guide sections (guide.N.M) and FACTS.md ids")
    guide_steps: list[int] = Field(description="The guide steps the rule's sources belong to")
    outputs: dict[str, str | int | float | bool]
    explain: str


class RulesetRead(BaseModel):
    name: str
    version: str
    hash: str
    locale: Language
    parameters: dict[str, float]
    ladder: dict[str, int | None]
    flags: dict[str, list[str]]
    rules: list[RuleEntry]


@router.get("/actions", response_model=ActionCatalogue)
def list_actions(caller: CurrentCaller, ruleset: CurrentRuleset, locale: Locale) -> ActionCatalogue:
    """Every action the service can recommend, with its texts in the response language."""
    lang = locale or DEFAULT_LOCALE
    catalogue = ruleset.ruleset.catalogue
    items = [
        ActionEntry(
            action=spec.id, guide_step=spec.guide_step,
            guide_step_title=(catalogue.guide_steps.get(spec.guide_step, {}).get("title", {}).get(lang)
                              if spec.guide_step else None),
            track=spec.track, sources=list(spec.sources),
            # No case here, so no route: texts that name a regulator list the options instead.
            title=render(spec.title[lang], catalogue, None, lang),
            detail=render(spec.detail[lang], catalogue, None, lang),
        )
        for spec in catalogue.actions.values()
    ]
    return ActionCatalogue(locale=lang, items=items)


@router.get("/rules", response_model=RulesetRead)
def get_ruleset(caller: CurrentCaller, ruleset: CurrentRuleset, locale: Locale) -> RulesetRead:
    """The loaded ruleset: version, content hash, parameters and every rule with its sources."""
    lang = locale or DEFAULT_LOCALE
    rs = ruleset.ruleset
    rules = [
        RuleEntry(
            id=rule.id, stage=rule.stage, file=rule.file, description=rule.description,
            sources=list(rule.sources),
            guide_steps=sorted({int(s.split(".")[1]) for s in rule.sources if s.startswith("guide.")}),
            outputs=dict(rule.then), explain=rule.explain[lang],
        )
        for rule in rs.rules
    ]
    return RulesetRead(
        name=rs.name, version=rs.version, hash=rs.hash, locale=lang,
        parameters=dict(rs.parameters), ladder=dict(rs.ladder),
        flags={"hard": list(rs.hard_flags), "soft": list(rs.soft_flags),
               "warnings": list(rs.warning_flags)},
        rules=rules,
    )
