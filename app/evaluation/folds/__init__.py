"""Evaluation, step 1 (folding): the event types, each its model beside its fold, registered by the modules below.

`steps` holds guide steps 1 to 4, `fraud` the red flags, `escalation` step 5 and closing; importing
them registers every type, in the order of the API's union (app/cases/event_data.py).
"""

# Importing registers the types, in this order (the union's); not sorted on purpose.
from app.evaluation.folds import steps  # noqa: F401, I001
from app.evaluation.folds import fraud  # noqa: F401
from app.evaluation.folds import escalation  # noqa: F401
from app.evaluation.folds.registry import EVENT_MODELS, FACTS, FOLDS, Fold, dt, fact, fold

__all__ = ["EVENT_MODELS", "FACTS", "FOLDS", "Fold", "dt", "fact", "fold"]
