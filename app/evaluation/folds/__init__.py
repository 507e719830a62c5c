"""Evaluation, step 1 (folding): one fold per event type, registered by the modules below.

`dispute` mirrors app/cases/event_data.py and `fraud` mirrors app/cases/event_data_fraud.py,
section by section: a new event type gets its model there and its fold here.
"""

from app.evaluation.folds import dispute, fraud  # noqa: F401  (importing registers the folds)
from app.evaluation.folds.registry import FOLDS, Fold, dt, fold

__all__ = ["FOLDS", "Fold", "dt", "fold"]
