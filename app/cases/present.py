"""Response edge: turn a stored evaluation into the localized shape clients read."""

from typing import Any

from app.cases.schemas import EvaluationRead
from app.evaluation.rulebook import Ruleset


def present_evaluation(evaluation: dict[str, Any], ruleset: Ruleset, locale: str) -> EvaluationRead:
    """Attach titles, details and reasons in `locale` to an evaluation's ids."""
    rules = {rule.id: rule for rule in ruleset.rules}
    actions = ruleset.catalogue.actions

    def because(b: dict[str, Any]) -> dict[str, Any]:
        rule = rules.get(b["rule"])
        # A projection stored by an older ruleset may name a rule that is gone: keep the id.
        return {**b, "reason": rule.explain[locale] if rule else b["rule"]}

    next_actions = []
    for advice in evaluation["next_actions"]:
        spec = actions.get(advice["action"])
        next_actions.append({
            **advice,
            "title": spec.title[locale] if spec else advice["action"],
            "detail": spec.detail[locale] if spec else "",
            "because": because(advice["because"]),
        })
    deadlines = [{**d, "because": because(d["because"])} for d in evaluation["deadlines"]]
    return EvaluationRead.model_validate(
        {**evaluation, "next_actions": next_actions, "deadlines": deadlines, "locale": locale}
    )
