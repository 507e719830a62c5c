"""Test data: the smallest valid `data` of every event type, shared by the schema and API tests.

Each is read from the type's own data model (its `example`, beside the model and its fold in
app/evaluation/folds/), so a new type brings its example with it; a type whose data model has none
needs no `data` at all (None: the tests leave `data` out), and the tests fail if it does need some.
"""

from typing import Any

from app.cases.event_data import EVENT_MODELS


def _example(event_model: type) -> dict[str, Any] | None:
    data_model = event_model.model_fields["data"].annotation
    return getattr(data_model, "example", None)


EXAMPLES: dict[str, dict[str, Any] | None] = {event_type: _example(model) for event_type, model in EVENT_MODELS.items()}
