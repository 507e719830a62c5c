"""Response edge: turn a stored evaluation into the localized shape clients read."""

from collections import defaultdict
from typing import Any

from app.cases.schemas import EvaluationRead, UpcomingRead
from app.evaluation.rulebook import Ruleset


def present_evaluation(evaluation: dict[str, Any], ruleset: Ruleset, locale: str) -> EvaluationRead:
    """Attach titles, details and reasons in `locale` to an evaluation's ids."""
    next_actions = _actions(evaluation["next_actions"], ruleset, locale)
    deadlines = [{**d, "because": _because(d["because"], ruleset, locale)} for d in evaluation["deadlines"]]
    regulator = _regulator(evaluation.get("regulator"), ruleset, locale)
    remedies = [_remedy(r, regulator, ruleset, locale) for r in evaluation.get("remedies", [])]
    return EvaluationRead.model_validate(
        {**evaluation, "next_actions": next_actions, "deadlines": deadlines, "remedies": remedies,
         "locale": locale, "regulator": regulator}
    )


def _remedy(item: dict[str, Any], regulator: dict[str, Any] | None, ruleset: Ruleset,
            locale: str) -> dict[str, Any]:
    spec = ruleset.catalogue.remedies.get(item["remedy"])
    # A remedy's text may name the body the route chose; it is filled in, never chosen, here.
    body = defaultdict(str, {k: regulator[k] for k in ("name", "hotline", "hotline_name")} if regulator else {})
    return {
        **item,
        "title": spec.title[locale].format_map(body) if spec else item["remedy"],
        "detail": spec.detail[locale].format_map(body) if spec else "",
        "sources": list(spec.sources) if spec else [],
        "because": _because(item["because"], ruleset, locale),
    }


def _regulator(route: dict[str, Any] | None, ruleset: Ruleset, locale: str) -> dict[str, Any] | None:
    # A projection stored before the route existed has none: it is shown as unknown, not guessed.
    if not route:
        return None
    names = ruleset.catalogue.regulators.get(route["body"], {})
    return {**route, "because": _because(route["because"], ruleset, locale),
            "name": names.get("name", {}).get(locale, route["body"]),
            "hotline": names.get("hotline", ""),
            "hotline_name": names.get("hotline_name", {}).get(locale, "")}


def present_upcoming(upcoming: dict[str, Any] | None, ruleset: Ruleset, locale: str) -> UpcomingRead | None:
    if upcoming is None:
        return None
    return UpcomingRead.model_validate(
        {**upcoming, "new_actions": _actions(upcoming["new_actions"], ruleset, locale)})


def _because(b: dict[str, Any], ruleset: Ruleset, locale: str) -> dict[str, Any]:
    rule = ruleset.rule(b["rule"])
    # A projection stored by an older ruleset may name a rule that is gone: keep the id.
    return {**b, "reason": rule.explain[locale] if rule else b["rule"]}


def _actions(advice: list[dict[str, Any]], ruleset: Ruleset, locale: str) -> list[dict[str, Any]]:
    out = []
    for item in advice:
        spec = ruleset.catalogue.actions.get(item["action"])
        out.append({
            **item,
            "title": spec.title[locale] if spec else item["action"],
            "detail": spec.detail[locale] if spec else "",
            "because": _because(item["because"], ruleset, locale),
        })
    return out
