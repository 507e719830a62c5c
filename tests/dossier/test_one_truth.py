"""One truth: the dossier's promises, deadlines, remedies, route and stage are the evaluation's.

Checked for every scenario beside the rules, in both languages, and on random logs.
"""

import uuid
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given

from app.cases.present import present_evaluation
from app.dossier.build import CaseFacts, DossierEvent, build_dossier
from app.dossier.model import Dossier
from app.evaluation import CaseInput, CompiledRuleset, Evaluation, EventInput, evaluate, load_ruleset
from app.evidence.schemas import IntegrityReport
from app.scenarios import load_scenario, scenario_paths
from app.settings import PROJECT_ROOT
from tests.evaluation.test_properties import PROPERTY_SETTINGS, case_logs
from tests.support.evidence import in_future, open_case, post_event
from tests.support.payloads import ago

PATHS = scenario_paths(PROJECT_ROOT / "rules")


@pytest.fixture(scope="module")
def compiled() -> CompiledRuleset:
    return CompiledRuleset(load_ruleset(PROJECT_ROOT / "rules"))


def _dossier(case: CaseInput, events: list[EventInput], as_of: datetime, compiled: CompiledRuleset,
             locale: str) -> tuple[Evaluation, Dossier]:
    evaluation = evaluate(case, events, as_of, compiled)
    facts = CaseFacts(id=uuid.uuid4(), external_ref=None, platform_name=case.platform_name,
                      platform_kind=case.platform_kind, platform_licensed=case.platform_licensed,
                      app_source=case.app_source, province=case.province, amount=case.amount,
                      currency=case.currency, withdrawal_requested_at=case.withdrawal_requested_at)
    report = IntegrityReport(ok=True, checked_at=as_of, events_checked=len(events), evidence_checked=0,
                             head_hash=None, issues=[])
    dossier = build_dossier(
        case=facts, events=[DossierEvent(e.seq, e.type, e.occurred_at, dict(e.data)) for e in events],
        files=[], report=report,
        evaluation=present_evaluation(evaluation.model_dump(mode="json"), compiled.ruleset, locale),
        catalogue=compiled.ruleset.catalogue, locale=locale, now=as_of)
    return evaluation, dossier


def assert_one_truth(evaluation: Evaluation, dossier: Dossier) -> None:
    assert [(p.seq, p.source, p.due_at, p.in_writing, p.status) for p in dossier.promises] == [
        (p.seq, p.source, p.due_at, p.in_writing, p.state) for p in evaluation.promises]
    assert [(d.kind, d.due_at, d.lapsed) for d in dossier.deadlines] == [
        (d.kind, d.due_at, d.lapsed) for d in evaluation.deadlines]
    assert [r.remedy for r in dossier.remedies] == [r.remedy for r in evaluation.remedies]
    assert (dossier.status, dossier.risk_level, dossier.track) == (
        evaluation.status, evaluation.risk_level, evaluation.track)
    route = evaluation.regulator
    assert (dossier.regulator and (dossier.regulator.body, dossier.regulator.statutory_clocks)) == (
        route and (route.body, route.statutory_clocks))
    # The clocks' scope has one source: the note that they do not bind appears exactly when the
    # route says so, and no complaint clock is listed where they do not bind.
    binding = route is not None and route.statutory_clocks
    assert (dossier.deadline_note is None) == binding
    if not binding:
        assert not {"firm_decision", "regulator_forward", "superior_review",
                    "superior_answer"} & {d.kind for d in dossier.deadlines}


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_the_dossier_of_every_scenario_states_its_evaluation(path: Path, locale, compiled):
    scenario = load_scenario(path)
    assert_one_truth(*_dossier(scenario.case, scenario.events, scenario.as_of, compiled, locale))


@PROPERTY_SETTINGS
@given(log=case_logs())
def test_the_dossier_of_any_log_states_its_evaluation(compiled, log):
    case, events, as_of = log
    assert_one_truth(*_dossier(case, events, as_of, compiled, "zh-CN"))


def test_a_partial_payout_is_never_marked_kept(compiled):
    scenario = load_scenario(PROJECT_ROOT / "rules/status/scenarios/389_partial_payout_promise_still_open.yaml")
    _, dossier = _dossier(scenario.case, scenario.events, scenario.as_of, compiled, "en")
    assert [(p.status, p.status_label) for p in dossier.promises] == [("open", "not yet due")]


def test_a_promise_replaced_before_its_date_is_not_marked_broken(compiled):
    scenario = load_scenario(PROJECT_ROOT / "rules/status/scenarios/129_promise_replaced_before_due.yaml")
    _, dossier = _dossier(scenario.case, scenario.events, scenario.as_of, compiled, "zh-CN")
    assert [p.status for p in dossier.promises] == ["replaced", "open"]
    assert "共作出 2 次有明确期限的承诺，其中 0 次到期未兑现" in dossier.summary


# --- over HTTP, as a client reads both ---------------------------------------------------------


def test_the_dossier_and_the_case_read_the_same_ledger_route_and_remedies(api):
    case_id = open_case(api, platform={"name": "安心人寿保险APP", "kind": "insurer", "licensed": True})
    # A promise replaced before its date, and part of the money before the new date.
    post_event(api, case_id, "support_contacted", {"channel": "phone", "promised_resolution_at": ago(hours=1),
                                                   "in_writing": True}, occurred_at=ago(days=2))
    post_event(api, case_id, "support_contacted", {"channel": "email", "promised_resolution_at": in_future(days=3),
                                                   "in_writing": True}, occurred_at=ago(days=1))
    post_event(api, case_id, "funds_received", {"amount": "1000.00"}, occurred_at=ago(hours=2))
    evaluation = api.get(f"/v1/cases/{case_id}").json()["evaluation"]
    dossier = api.get(f"/v1/cases/{case_id}/dossier?format=json").json()
    assert [p["state"] for p in evaluation["promises"]] == ["replaced", "open"]
    assert [(p["seq"], p["status"]) for p in dossier["promises"]] == [
        (p["seq"], p["state"]) for p in evaluation["promises"]]
    assert [r["remedy"] for r in dossier["remedies"]] == [r["remedy"] for r in evaluation["remedies"]]
    assert [r["title"] for r in dossier["remedies"]] == [r["title"] for r in evaluation["remedies"]]
    assert dossier["regulator"]["body"] == evaluation["regulator"]["body"] == "nfra"
    assert "12378" in dossier["regulator"]["label"] and dossier["deadline_note"] is None
    assert evaluation["regulator"]["name"] in dossier["request"]
