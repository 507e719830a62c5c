"""The answers built from plain values (app.cases.present) are byte for byte what the read models give.

The reference is the rendering the answers had before: the stored evaluation localized and
validated into EvaluationRead (EventAppended, CaseRead), then dumped by pydantic. Compared over
every scenario at several instants (times with and without offsets, peer signals on and off),
both locales, generated logs, and stored projections of older forms.
"""

import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from app.cases.present import render_appended, render_case
from app.cases.repository import StoredEvent
from app.cases.schemas import CaseRead, EvaluationRead, EventAppended, EventRead, UpcomingRead
from app.evaluation import CompiledRuleset, evaluate, load_ruleset
from app.evaluation.catalogue import render
from app.evaluation.model import PeerSnapshot
from app.evaluation.peers import bucket_label
from app.locales import LOCALES
from app.scenarios import load_scenario, scenario_paths
from app.settings import PROJECT_ROOT
from tests.evaluation.test_properties import case_logs

RULESET = CompiledRuleset(load_ruleset(PROJECT_ROOT / "rules"))
SCENARIOS = [load_scenario(path) for path in scenario_paths(PROJECT_ROOT / "rules")]
PEERS = PeerSnapshot(cases_stuck=10, same_excuse={"risk_review": 5, "system_upgrade": 50}, fee_demands=5,
                     hard_flags=0, paid_out=50, clients=5, window_days=30)
EAST = timezone(timedelta(hours=8))


# --- the reference: the rendering through the read models -----------------------------------------

def _because(b: dict[str, Any], locale: str) -> dict[str, Any]:
    rule = RULESET.ruleset.rule(b["rule"])
    return {**b, "reason": rule.explain[locale] if rule else b["rule"]}


def _actions(advice: list[dict[str, Any]], locale: str, body: str | None) -> list[dict[str, Any]]:
    catalogue = RULESET.ruleset.catalogue
    out = []
    for item in advice:
        spec = catalogue.actions.get(item["action"])
        out.append({**item,
                    "title": render(spec.title[locale], catalogue, body, locale) if spec else item["action"],
                    "detail": render(spec.detail[locale], catalogue, body, locale) if spec else "",
                    "because": _because(item["because"], locale)})
    return out


def _regulator(route: dict[str, Any] | None, locale: str) -> dict[str, Any] | None:
    if not route:
        return None
    names = RULESET.ruleset.catalogue.regulators.get(route["body"], {})
    return {**route, "because": _because(route["because"], locale),
            "name": names.get("name", {}).get(locale, route["body"]), "hotline": names.get("hotline", ""),
            "hotline_name": names.get("hotline_name", {}).get(locale, "")}


def _remedy(item: dict[str, Any], regulator: dict[str, Any] | None, locale: str) -> dict[str, Any]:
    catalogue = RULESET.ruleset.catalogue
    spec = catalogue.remedies.get(item["remedy"])
    if spec is None:
        return {**item, "title": item["remedy"], "detail": "", "sources": [],
                "because": _because(item["because"], locale)}
    body = regulator["body"] if regulator else None
    title, detail = (render(text[locale], catalogue, body, locale) for text in (spec.title, spec.detail))
    names_body = any("{regulator_" in text[locale] for text in (spec.title, spec.detail))
    route_sources = regulator["because"]["sources"] if regulator and names_body else []
    return {**item, "title": title, "detail": detail,
            "sources": list(dict.fromkeys([*spec.sources, *route_sources])),
            "because": _because(item["because"], locale)}


def _peers(snapshot: dict[str, Any] | None) -> dict[str, Any] | None:
    if snapshot is None:
        return None
    shown = {name: bucket_label(value) if value else None for name, value in snapshot.items()
             if name not in ("same_excuse", "window_days")}
    return {**shown, "window_days": snapshot["window_days"],
            "same_excuse": {kind: bucket_label(value) for kind, value in snapshot["same_excuse"].items()}}


def reference_evaluation(evaluation: dict[str, Any], locale: str) -> EvaluationRead:
    body = (evaluation.get("regulator") or {}).get("body")
    regulator = _regulator(evaluation.get("regulator"), locale)
    return EvaluationRead.model_validate({
        **evaluation, "next_actions": _actions(evaluation["next_actions"], locale, body),
        "deadlines": [{**d, "because": _because(d["because"], locale)} for d in evaluation["deadlines"]],
        "remedies": [_remedy(r, regulator, locale) for r in evaluation.get("remedies", [])],
        "locale": locale, "regulator": regulator, "peers": _peers(evaluation.get("peers"))})


def reference_case(case: Any, evaluation: dict[str, Any], locale: str,
                   upcoming: dict[str, Any] | None) -> bytes:
    read = CaseRead(
        id=case.id, external_ref=case.external_ref,
        platform={"name": case.platform_name, "kind": case.platform_kind,
                  "licensed": case.platform_licensed, "app_source": case.app_source},
        amount=f"{case.amount:.2f}", currency=case.currency,
        withdrawal_requested_at=case.withdrawal_requested_at, province=case.province,
        locale=case.locale, created_at=case.created_at, updated_at=case.updated_at,
        version=case.version, last_seq=case.last_seq,
        status=evaluation["status"], risk_level=evaluation["risk_level"], track=evaluation["track"],
        escalation_level=evaluation["escalation_level"], next_transition_at=evaluation["next_transition_at"],
        evaluation=reference_evaluation(evaluation, locale))
    if upcoming is not None:
        body = read.evaluation.regulator and read.evaluation.regulator.body
        read.upcoming = UpcomingRead.model_validate(
            {**upcoming, "new_actions": _actions(upcoming["new_actions"], locale, body)})
    return read.model_dump_json().encode()


# --- the comparisons --------------------------------------------------------------------------------

def _event(seq: int, data: dict[str, Any], occurred_at: datetime) -> StoredEvent:
    return StoredEvent(id=uuid.uuid4(), case_id=uuid.uuid4(), seq=seq, type="note_added",
                       occurred_at=occurred_at, recorded_at=datetime(2025, 3, 1, 9, 30, 0, 120000, timezone.utc),
                       data=data, note="加急 \"quoted\"\n\u2028é" if seq % 2 else None, event_id=None,
                       content_hash="ab", prev_hash=None)


def _case_row(locale: str | None) -> SimpleNamespace:
    at = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    return SimpleNamespace(
        id=uuid.uuid4(), external_ref="ref-1", platform_name="某平台", platform_kind="insurer",
        platform_licensed=None, app_source="store", amount=Decimal("1234.5"), currency="CNY",
        withdrawal_requested_at=at, province=None, locale=locale, created_at=at,
        updated_at=at + timedelta(microseconds=1), version=3, last_seq=2)


def _upcoming(evaluation: dict[str, Any]) -> dict[str, Any] | None:
    if evaluation["next_transition_at"] is None:
        return None
    return {"at": evaluation["next_transition_at"], "status": evaluation["status"],
            "risk_level": evaluation["risk_level"], "new_actions": evaluation["next_actions"],
            "deadlines_lapsing": [d["kind"] for d in evaluation["deadlines"]]}


def assert_same_answers(evaluation: dict[str, Any]) -> None:
    events = [_event(1, {"text": "x", "n": 1.5, "big": 10**16, "f": 1e16, "nested": [None, True]},
                     datetime(2025, 2, 1, 8, 0, tzinfo=EAST)),
              _event(2, {}, datetime(2025, 2, 1, 0, 0, 0, 500, timezone.utc)),
              _event(3, {"a": "b"}, datetime(2025, 2, 1, 0, 0, 0, 500))]  # SQLite's rows are naive
    for locale in LOCALES:
        for event in events:
            expected = EventAppended(event=EventRead.model_validate(event),
                                     evaluation=reference_evaluation(evaluation, locale)).model_dump_json()
            assert render_appended(event, evaluation, RULESET.ruleset, locale) == expected.encode()
        for case_locale in (None, locale):
            case = _case_row(case_locale)
            for upcoming in (None, _upcoming(evaluation)):
                assert render_case(case, evaluation, RULESET.ruleset, locale, upcoming) == \
                    reference_case(case, evaluation, locale, upcoming)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.path.stem)
def test_scenario_answers_are_the_read_models_bytes(scenario):
    instants = (scenario.as_of, scenario.as_of.astimezone(EAST) + timedelta(days=9, microseconds=250),
                scenario.as_of + timedelta(days=40))
    for as_of in instants:
        for peers in (scenario.peers, PEERS, None):
            evaluation = evaluate(scenario.case, scenario.events, as_of, RULESET, peers)
            assert_same_answers(evaluation.model_dump(mode="json"))


def test_projections_of_older_forms_render_like_the_read_models():
    scenario = max(SCENARIOS, key=lambda s: len(s.events))
    stored = evaluate(scenario.case, scenario.events, scenario.as_of, RULESET, PEERS).model_dump(mode="json")
    older = {key: value for key, value in stored.items()
             if key not in ("regulator", "promises", "remedies", "peers", "peer_contribution")}
    older["next_actions"] = [{**a, "because": {k: v for k, v in a["because"].items() if k != "peer_signal"}}
                             for a in stored["next_actions"]]
    gone = {"action": "an_action_no_longer_listed", "priority": 1, "guide_step": None, "due_at": None,
            "because": {"rule": "a_rule_since_removed", "events": [], "sources": []}}
    # Times in forms the read models accept and print otherwise.
    respelled = {**stored, "as_of": stored["as_of"].replace("Z", "+00:00"),
                 "next_transition_at": "2025-06-01T10:00:00.000000-00:00",
                 "next_actions": [gone, *stored["next_actions"]],
                 "remedies": [{"remedy": "a_remedy_no_longer_listed",
                               "because": {"rule": "x", "events": [1], "sources": ["B3"]}},
                              *stored["remedies"]]}
    for evaluation in (stored, older, respelled):
        assert_same_answers(evaluation)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(log=case_logs())
def test_generated_answers_are_the_read_models_bytes(log):
    case, events, as_of = log
    assert_same_answers(evaluate(case, events, as_of, RULESET, PEERS).model_dump(mode="json"))
