"""Response edge: turn a stored evaluation into the localized shape clients read."""

from typing import Any

from app.cases.schemas import EvaluationRead, UpcomingRead
from app.evaluation.catalogue import render
from app.evaluation.peers import bucket_label
from app.evaluation.rulebook import Ruleset
from app.locales import Locale


def present_evaluation(evaluation: dict[str, Any], ruleset: Ruleset, locale: Locale) -> EvaluationRead:
    """Attach titles, details and reasons in `locale` to an evaluation's ids."""
    body = (evaluation.get("regulator") or {}).get("body")
    next_actions = _actions(evaluation["next_actions"], ruleset, locale, body)
    deadlines = [{**d, "because": _because(d["because"], ruleset, locale)} for d in evaluation["deadlines"]]
    regulator = _regulator(evaluation.get("regulator"), ruleset, locale)
    remedies = [_remedy(r, regulator, ruleset, locale) for r in evaluation.get("remedies", [])]
    return EvaluationRead.model_validate(
        {**evaluation, "next_actions": next_actions, "deadlines": deadlines, "remedies": remedies,
         "locale": locale, "regulator": regulator, "peers": _peers(evaluation.get("peers"))}
    )


def _peers(snapshot: dict[str, Any] | None) -> dict[str, Any] | None:
    """Bucket floors as the ranges people read ("5–9"); null for a signal below the thresholds."""
    if snapshot is None:
        return None
    shown = {name: bucket_label(value) if value else None for name, value in snapshot.items()
             if name not in ("same_excuse", "window_days")}
    return {**shown, "window_days": snapshot["window_days"],
            "same_excuse": {kind: bucket_label(value) for kind, value in snapshot["same_excuse"].items()}}


def _remedy(item: dict[str, Any], regulator: dict[str, Any] | None, ruleset: Ruleset,
            locale: Locale) -> dict[str, Any]:
    spec = ruleset.catalogue.remedies.get(item["remedy"])
    if spec is None:  # a projection stored by an older ruleset: keep the id
        return {**item, "title": item["remedy"], "detail": "", "sources": [],
                "because": _because(item["because"], ruleset, locale)}
    # A remedy's text may name the body the route chose: filled in here, never chosen here.
    body = regulator["body"] if regulator else None
    title, detail = (render(text[locale], ruleset.catalogue, body, locale) for text in (spec.title, spec.detail))
    names_body = any("{regulator_" in text[locale] for text in (spec.title, spec.detail))
    route_sources = regulator["because"]["sources"] if regulator and names_body else []
    return {**item, "title": title, "detail": detail,
            "sources": list(dict.fromkeys([*spec.sources, *route_sources])),
            "because": _because(item["because"], ruleset, locale)}


def _regulator(route: dict[str, Any] | None, ruleset: Ruleset, locale: Locale) -> dict[str, Any] | None:
    # A projection stored before the route existed has none: it is shown as unknown, not guessed.
    if not route:
        return None
    names = ruleset.catalogue.regulators.get(route["body"], {})
    return {**route, "because": _because(route["because"], ruleset, locale),
            "name": names.get("name", {}).get(locale, route["body"]),
            "hotline": names.get("hotline", ""),
            "hotline_name": names.get("hotline_name", {}).get(locale, "")}


def present_upcoming(upcoming: dict[str, Any] | None, ruleset: Ruleset, locale: Locale,
                     body: str | None = None) -> UpcomingRead | None:
    if upcoming is None:
        return None
    return UpcomingRead.model_validate(
        {**upcoming, "new_actions": _actions(upcoming["new_actions"], ruleset, locale, body)})


def _because(b: dict[str, Any], ruleset: Ruleset, locale: Locale) -> dict[str, Any]:
    rule = ruleset.rule(b["rule"])
    # A projection stored by an older ruleset may name a rule that is gone: keep the id.
    return {**b, "reason": rule.explain[locale] if rule else b["rule"]}


def _actions(advice: list[dict[str, Any]], ruleset: Ruleset, locale: Locale,
             body: str | None) -> list[dict[str, Any]]:
    """Texts in `locale`, naming the body the route rules chose (`body`) where a text names one."""
    catalogue = ruleset.catalogue
    out = []
    for item in advice:
        spec = catalogue.actions.get(item["action"])
        out.append({
            **item,
            "title": render(spec.title[locale], catalogue, body, locale) if spec else item["action"],
            "detail": render(spec.detail[locale], catalogue, body, locale) if spec else "",
            "because": _because(item["because"], ruleset, locale),
        })
    return out
