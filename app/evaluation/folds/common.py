"""Events: what every posted case event shares (envelope fields, text limits, the data base), and the
union's error locator; the types themselves sit beside their folds (steps, fraud, escalation)."""

from typing import Annotated, Any
from uuid import UUID

from pydantic import StringConstraints, ValidationError
from pydantic_core.core_schema import ValidatorFunctionWrapHandler

from app.schemas import PastOrNowDatetime, Schema

__all__ = ["EventBase", "EventData", "Label", "ReferenceData", "Text", "locate_tag_errors"]

# Empty strings are refused as well as over-long ones: a detail the user does not know is sent as
# null or left out, so the rules see one unambiguous "missing" rather than "" and null side by side.
Label = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class EventData(Schema):
    """Base of every `data` object."""


class ReferenceData(EventData):
    """Data of events that are facts in themselves; a file or case number is all they may add."""

    reference: Label | None = None


class EventBase(Schema):
    """Envelope fields of every event; each subclass adds its literal `type` and its `data`."""

    occurred_at: PastOrNowDatetime
    note: Text | None = None
    # Chosen by the client so that a retried post can be recognised and not stored twice.
    event_id: UUID | None = None


def locate_tag_errors(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """Wrap validator for a union keyed by `type`: an unknown or missing type fails at `type`."""
    # pydantic reports an unknown or missing discriminator at the event itself (an empty loc), so a
    # problem document could not name the field; move those two errors onto `type`.
    try:
        return handler(value)
    except ValidationError as exc:
        errors = exc.errors()
        if (
            not isinstance(value, dict)
            or len(errors) != 1
            or errors[0]["loc"] != ()
            or errors[0]["type"] not in ("union_tag_invalid", "union_tag_not_found")
        ):
            raise
        if "type" in value:
            relocated = {
                "type": "union_tag_invalid",
                "loc": ("type",),
                "input": value["type"],
                "ctx": errors[0]["ctx"],
            }
        else:
            relocated = {"type": "missing", "loc": ("type",), "input": value}
        raise ValidationError.from_exception_data(exc.title, [relocated]) from None
