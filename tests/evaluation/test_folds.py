"""Evaluation: every event type in the API's union has a fold and a scenario; the evaluator stays pure."""

import ast
import subprocess
import sys
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from app.cases.event_data import EVENT_TYPES
from app.evaluation import CaseInput, EventInput
from app.evaluation.facts import UnknownEventType, derive
from app.evaluation.folds import FOLDS, fold
from app.scenarios import load_scenario, scenario_paths
from app.settings import PROJECT_ROOT

CASE = CaseInput(platform_name="某平台", platform_kind="bank", platform_licensed=True,
                 app_source=None, amount=Decimal("1000"), currency="CNY",
                 withdrawal_requested_at=datetime(2026, 3, 1, tzinfo=timezone.utc))
AS_OF = datetime(2026, 3, 10, tzinfo=timezone.utc)


def test_every_event_type_in_the_union_has_exactly_one_fold():
    assert sorted(set(EVENT_TYPES) - set(FOLDS)) == [], "event types without a fold"
    assert sorted(set(FOLDS) - set(EVENT_TYPES)) == [], "folds for types the API does not accept"


@pytest.fixture(scope="module")
def logged() -> set[str]:
    return {e.type for path in scenario_paths(PROJECT_ROOT / "rules") for e in load_scenario(path).events}


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_every_event_type_is_logged_in_a_scenario(event_type, logged):
    assert event_type in logged, f"no scenario under rules/*/scenarios/ logs a {event_type!r} event"


def test_an_event_type_without_a_fold_is_refused_not_ignored():
    event = EventInput(seq=1, type="carrier_pigeon_sent", occurred_at=AS_OF, data={})
    with pytest.raises(UnknownEventType, match="carrier_pigeon_sent"):
        derive(CASE, [event], AS_OF)


def test_a_second_fold_for_one_type_is_refused_at_registration():
    with pytest.raises(RuntimeError, match="two folds"):
        fold("notice_posted")(lambda f, e: None)
    assert FOLDS["notice_posted"].__module__ == "app.evaluation.folds.steps"


def test_a_fold_sets_its_facts_with_the_event_as_their_source():
    event = EventInput(seq=7, type="urgency_stated", occurred_at=AS_OF, data={"reason": "medical"})
    derived = derive(CASE, [event], AS_OF)
    assert derived.values["urgency_stated"] is True
    assert derived.provenance["urgency_stated"] == {7}
    assert derive(CASE, [], AS_OF).values["urgency_stated"] is False


def test_the_evaluator_imports_neither_fastapi_nor_sqlalchemy():
    code = ("import sys, app.evaluation, app.evaluation.folds; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('fastapi', 'sqlalchemy', 'starlette')); "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, check=True)


def test_only_the_durable_adapter_imports_durable():
    importers = []
    for path in sorted((PROJECT_ROOT / "app").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(name == "durable" or name.startswith("durable.") for name in names):
                importers.append(str(path.relative_to(PROJECT_ROOT)))
    assert importers == ["app/evaluation/durable_adapter.py"]


def test_a_type_is_registered_with_its_model_and_its_facts_beside_its_fold():
    from app.cases.event_data import EVENT_MODELS
    from app.evaluation.facts import FACTS
    from app.evaluation.folds import fact

    # The union is read off the registry: each model sits in the module of its fold.
    for event_type, model in EVENT_MODELS.items():
        assert model.__module__ == FOLDS[event_type].__module__, event_type
    # A fold's facts are declared beside it and reach the vocabulary the rules are checked against.
    assert FACTS["fee_demanded_count"].type is int and FACTS["notice_kind"].default == "none"
    assert derive(CASE, [], AS_OF).values["notice_kind"] == "none"
    with pytest.raises(RuntimeError, match="declared twice"):
        fact("fee_demanded_count", int, "again")
