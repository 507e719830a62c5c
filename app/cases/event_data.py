"""Request edge: the union of the events clients post, one strict model per type, keyed by `type`.

Each type's model sits beside its fold in app/evaluation/folds/ (`steps`, `fraud`, `escalation`);
registering the fold registers the model, so the union is read off that registry and no type is
accepted without its fold.
"""

from typing import Annotated, Union

from pydantic import Discriminator, WrapValidator

from app.evaluation.folds import EVENT_MODELS
from app.evaluation.folds.common import EventBase, EventData, locate_tag_errors
from app.evaluation.folds.steps import EvidenceSavedData, EvidenceSavedEvent

# Member errors keep pydantic's tag prefix in `loc`, e.g. ("fee_demanded", "data", "fee_kind").
CaseEventCreate = Annotated[
    Union[tuple(EVENT_MODELS.values())],  # type: ignore[valid-type]  # noqa: UP007  (built from the registry)
    # Not Field(discriminator=...): once FastAPI folds this into a FieldInfo, a field-level
    # discriminator is applied after the metadata and the wrap validator silently drops out.
    Discriminator("type"),
    WrapValidator(locate_tag_errors),
]

EVENT_TYPES: tuple[str, ...] = tuple(EVENT_MODELS)

__all__ = ["EVENT_MODELS", "EVENT_TYPES", "CaseEventCreate", "EventBase", "EventData",
           "EvidenceSavedData", "EvidenceSavedEvent"]
