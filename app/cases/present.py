"""Response edge: turn a stored evaluation into the localized shape clients read.

The hot answers (an appended event, a case) are built here as plain JSON values in the order of
their read models (app/cases/schemas.py) and serialized once by pydantic-core's own encoder, so
their bytes are the models' without validating our own output again; the texts come from a
table localized once per ruleset, locale and regulator body. The read models stay the contract
(OpenAPI) and the reference: tests/cases/test_present.py compares the two renderings byte for byte.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from pydantic_core import to_json

from app.cases.schemas import (
    ActionRead, BecauseRead, CaseRead, DeadlineRead, EvaluationRead, EventRead, PeersRead, PlatformRead,
    PromiseRead, RegulatorRead, RemedyRead, UpcomingRead,
)
from app.evaluation.catalogue import render
from app.evaluation.peers import bucket_label
from app.evaluation.rulebook import Ruleset
from app.locales import Locale


@dataclass(frozen=True, slots=True)
class _Texts:
    """A ruleset's texts in one locale, with {regulator_*} filled for one body."""

    reasons: dict[str, str]  # rule id → its explanation
    actions: dict[str, tuple[str, str]]  # action id → title, detail
    remedies: dict[str, tuple[str, str, tuple[str, ...], bool]]  # → title, detail, sources, names the body
    regulators: dict[str, tuple[str, str, str]]  # body → name, hotline, hotline_name


# Keyed by the ruleset object (kept in the entry, so its id cannot be reused while cached): a
# ruleset loaded again, even with the same hash, gets its own texts.
_TABLES: dict[tuple[int, str, str | None], tuple[Ruleset, _Texts]] = {}
_MAX_TABLES = 64


def _texts(ruleset: Ruleset, locale: Locale, body: str | None) -> _Texts:
    key = (id(ruleset), locale, body)
    entry = _TABLES.get(key)
    if entry is not None and entry[0] is ruleset:
        return entry[1]
    catalogue = ruleset.catalogue
    texts = _Texts(
        reasons={rule.id: rule.explain[locale] for rule in ruleset.rules},
        actions={action_id: (render(spec.title[locale], catalogue, body, locale),
                             render(spec.detail[locale], catalogue, body, locale))
                 for action_id, spec in catalogue.actions.items()},
        remedies={remedy_id: (render(spec.title[locale], catalogue, body, locale),
                              render(spec.detail[locale], catalogue, body, locale), spec.sources,
                              any("{regulator_" in text[locale] for text in (spec.title, spec.detail)))
                  for remedy_id, spec in catalogue.remedies.items()},
        regulators={each: (names.get("name", {}).get(locale, each), names.get("hotline", ""),
                           names.get("hotline_name", {}).get(locale, ""))
                    for each, names in catalogue.regulators.items()},
    )
    if len(_TABLES) >= _MAX_TABLES:
        _TABLES.clear()
    _TABLES[key] = (ruleset, texts)
    return texts


# pydantic's own JSON form of an aware datetime: what Evaluation.model_dump(mode="json") stored.
# Such a string reads back to the same bytes; any other form goes through the model's type.
_CANONICAL_TIME = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.(?!000000)\d{6})?(Z|[+-](?!00:00)\d\d:\d\d)")
_DATETIME: TypeAdapter[datetime] = TypeAdapter(datetime)


def _time(value: Any) -> Any:
    if value is None or (value.__class__ is str and _CANONICAL_TIME.fullmatch(value)):
        return value
    return _DATETIME.validate_python(value)


def _because(b: dict[str, Any], texts: _Texts) -> dict[str, Any]:
    rule = b["rule"]
    # A projection stored by an older ruleset may name a rule that is gone: keep the id.
    return {"rule": rule, "events": b["events"], "sources": b["sources"],
            "reason": texts.reasons.get(rule, rule), "peer_signal": b.get("peer_signal")}


def _actions(advice: list[dict[str, Any]], texts: _Texts) -> list[dict[str, Any]]:
    out = []
    for item in advice:
        action = item["action"]
        title, detail = texts.actions.get(action) or (action, "")
        out.append({"action": action, "priority": item["priority"], "title": title, "detail": detail,
                    "guide_step": item["guide_step"], "due_at": _time(item["due_at"]),
                    "because": _because(item["because"], texts)})
    return out


def _regulator(route: dict[str, Any] | None, texts: _Texts) -> dict[str, Any] | None:
    # A projection stored before the route existed has none: it is shown as unknown, not guessed.
    if not route:
        return None
    body = route["body"]
    name, hotline, hotline_name = texts.regulators.get(body) or (body, "", "")
    return {"body": body, "statutory_clocks": route["statutory_clocks"], "name": name,
            "hotline": hotline, "hotline_name": hotline_name, "because": _because(route["because"], texts)}


def _remedy(item: dict[str, Any], regulator: dict[str, Any] | None, texts: _Texts) -> dict[str, Any]:
    remedy = item["remedy"]
    spec = texts.remedies.get(remedy)
    if spec is None:  # a projection stored by an older ruleset: keep the id
        return {"remedy": remedy, "title": remedy, "detail": "", "sources": [],
                "because": _because(item["because"], texts)}
    # A remedy's text may name the body the route chose: filled in here, never chosen here.
    title, detail, sources, names_body = spec
    route_sources = regulator["because"]["sources"] if regulator and names_body else []
    return {"remedy": remedy, "title": title, "detail": detail,
            "sources": list(dict.fromkeys([*sources, *route_sources])),
            "because": _because(item["because"], texts)}


def _peers(snapshot: dict[str, Any] | None) -> dict[str, Any] | None:
    """Bucket floors as the ranges people read ("5–9"); null for a signal below the thresholds."""
    if snapshot is None:
        return None
    return {"cases_stuck": _range(snapshot["cases_stuck"]),
            "same_excuse": {kind: bucket_label(value) for kind, value in snapshot["same_excuse"].items()},
            "fee_demands": _range(snapshot["fee_demands"]), "hard_flags": _range(snapshot["hard_flags"]),
            "paid_out": _range(snapshot["paid_out"]), "clients": _range(snapshot["clients"]),
            "window_days": snapshot["window_days"]}


def _range(floor: int) -> str | None:
    return bucket_label(floor) if floor else None


def _promise(p: dict[str, Any]) -> dict[str, Any]:
    return {"seq": p["seq"], "source": p["source"], "made_at": _time(p["made_at"]),
            "due_at": _time(p["due_at"]), "in_writing": p["in_writing"], "state": p["state"],
            "replaced_by": p.get("replaced_by")}


def evaluation_answer(evaluation: dict[str, Any], ruleset: Ruleset, locale: Locale) -> dict[str, Any]:
    """An evaluation as EvaluationRead shows it, as JSON values: titles, details and reasons in `locale`."""
    route = evaluation.get("regulator")
    texts = _texts(ruleset, locale, route.get("body") if route else None)
    regulator = _regulator(route, texts)
    return {
        "status": evaluation["status"], "escalation_level": evaluation["escalation_level"],
        "risk_level": evaluation["risk_level"], "track": evaluation["track"],
        "next_actions": _actions(evaluation["next_actions"], texts),
        "flags": evaluation["flags"],
        "deadlines": [{"kind": d["kind"], "due_at": _time(d["due_at"]), "lapsed": d["lapsed"],
                       "because": _because(d["because"], texts)} for d in evaluation["deadlines"]],
        "regulator": regulator,
        "next_transition_at": _time(evaluation["next_transition_at"]),
        "promises": [_promise(p) for p in evaluation.get("promises", ())],
        "remedies": [_remedy(r, regulator, texts) for r in evaluation.get("remedies", ())],
        "rules_fired": evaluation["rules_fired"],
        "peers": _peers(evaluation.get("peers")),
        "peer_contribution": evaluation.get("peer_contribution", []),
        "ruleset_version": evaluation["ruleset_version"], "ruleset_hash": evaluation["ruleset_hash"],
        "as_of": _time(evaluation["as_of"]),
        "locale": locale,
    }


def upcoming_answer(upcoming: dict[str, Any] | None, ruleset: Ruleset, locale: Locale,
                    body: str | None = None) -> dict[str, Any] | None:
    """What service.upcoming_change found, as UpcomingRead shows it, as JSON values."""
    if upcoming is None:
        return None
    return {"at": _time(upcoming["at"]), "status": upcoming["status"], "risk_level": upcoming["risk_level"],
            "new_actions": _actions(upcoming["new_actions"], _texts(ruleset, locale, body)),
            "deadlines_lapsing": upcoming["deadlines_lapsing"]}


def present_evaluation(evaluation: dict[str, Any], ruleset: Ruleset, locale: Locale) -> EvaluationRead:
    """Attach titles, details and reasons in `locale` to an evaluation's ids."""
    return EvaluationRead.model_validate(evaluation_answer(evaluation, ruleset, locale))


def present_upcoming(upcoming: dict[str, Any] | None, ruleset: Ruleset, locale: Locale,
                     body: str | None = None) -> UpcomingRead | None:
    answer = upcoming_answer(upcoming, ruleset, locale, body)
    return None if answer is None else UpcomingRead.model_validate(answer)


def event_answer(event: Any) -> dict[str, Any]:
    """A stored event (a CaseEvent or StoredEvent) as EventRead shows it."""
    return {"id": event.id, "seq": event.seq, "type": event.type, "occurred_at": event.occurred_at,
            "recorded_at": event.recorded_at, "data": event.data, "note": event.note}


def render_appended(event: Any, evaluation: dict[str, Any], ruleset: Ruleset, locale: Locale) -> bytes:
    """The body of an event post's answer (EventAppended): the event and the evaluation after it."""
    return to_json({"event": event_answer(event), "evaluation": evaluation_answer(evaluation, ruleset, locale)})


def render_case(case: Any, evaluation: dict[str, Any], ruleset: Ruleset, locale: Locale,
                upcoming: dict[str, Any] | None = None, case_token: str | None = None) -> bytes:
    """The body of a case (CaseRead) from its row and evaluation; `upcoming` as upcoming_change
    gives it, `case_token` the one a case opening issued."""
    answer = evaluation_answer(evaluation, ruleset, locale)
    regulator = answer["regulator"]
    return to_json({
        "id": case.id, "external_ref": case.external_ref,
        "platform": {"name": case.platform_name, "kind": case.platform_kind,
                     "licensed": case.platform_licensed, "app_source": case.app_source},
        "amount": f"{case.amount:.2f}", "currency": case.currency,
        "withdrawal_requested_at": case.withdrawal_requested_at, "province": case.province,
        "locale": case.locale, "created_at": case.created_at, "updated_at": case.updated_at,
        "version": case.version, "last_seq": case.last_seq,
        "status": evaluation["status"], "risk_level": evaluation["risk_level"], "track": evaluation["track"],
        "escalation_level": evaluation["escalation_level"],
        "next_transition_at": _time(evaluation["next_transition_at"]),
        "evaluation": answer,
        "upcoming": upcoming_answer(upcoming, ruleset, locale, regulator and regulator["body"]),
        "case_token": case_token,
    })


# The answers above are written in their models' field order; a field added to a model and not
# here would be missing from the answer, so a difference stops the import.
for _model, _keys in (
        (BecauseRead, ("rule", "events", "sources", "reason", "peer_signal")),
        (ActionRead, ("action", "priority", "title", "detail", "guide_step", "due_at", "because")),
        (DeadlineRead, ("kind", "due_at", "lapsed", "because")),
        (PromiseRead, ("seq", "source", "made_at", "due_at", "in_writing", "state", "replaced_by")),
        (RemedyRead, ("remedy", "title", "detail", "sources", "because")),
        (RegulatorRead, ("body", "statutory_clocks", "name", "hotline", "hotline_name", "because")),
        (PeersRead, ("cases_stuck", "same_excuse", "fee_demands", "hard_flags", "paid_out", "clients",
                     "window_days")),
        (EvaluationRead, ("status", "escalation_level", "risk_level", "track", "next_actions", "flags",
                          "deadlines", "regulator", "next_transition_at", "promises", "remedies",
                          "rules_fired", "peers", "peer_contribution", "ruleset_version", "ruleset_hash",
                          "as_of", "locale")),
        (UpcomingRead, ("at", "status", "risk_level", "new_actions", "deadlines_lapsing")),
        (EventRead, ("id", "seq", "type", "occurred_at", "recorded_at", "data", "note")),
        (PlatformRead, ("name", "kind", "licensed", "app_source")),
        (CaseRead, ("id", "external_ref", "platform", "amount", "currency", "withdrawal_requested_at",
                    "province", "locale", "created_at", "updated_at", "version", "last_seq", "status",
                    "risk_level", "track", "escalation_level", "next_transition_at", "evaluation",
                    "upcoming", "case_token")),
):
    if tuple(_model.model_fields) != _keys:
        raise RuntimeError(f"app.cases.present renders {_model.__name__} as {_keys}, "
                           f"the model has {tuple(_model.model_fields)}")
