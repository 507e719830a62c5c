"""Evaluation: a pure function from a case's event log to its status, risk and next actions.

Imports neither FastAPI nor SQLAlchemy; `durable_adapter` is the only module that imports durable.
"""

from app.evaluation.durable_adapter import CompiledRuleset
from app.evaluation.evaluator import EvaluationError, evaluate
from app.evaluation.model import CaseInput, Evaluation, EventInput
from app.evaluation.rulebook import Ruleset, RulesError, load_ruleset

__all__ = [
    "CaseInput", "CompiledRuleset", "Evaluation", "EvaluationError", "EventInput", "Ruleset",
    "RulesError", "evaluate", "load_ruleset",
]
