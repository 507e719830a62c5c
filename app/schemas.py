"""Request and response edge: the schema bases and the strict field types every API model shares."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    ValidationError,
    ValidationInfo,
    WrapValidator,
    field_validator,
)
from pydantic_core import PydanticCustomError
from pydantic_core.core_schema import ValidatorFunctionWrapHandler

__all__ = [
    "FUTURE_SKEW",
    "Money",
    "OffsetDatetime",
    "PastOrNowDatetime",
    "ReadSchema",
    "Schema",
    "StrictFlag",
]


class Schema(BaseModel):
    """Base of every input model: unknown keys are errors, never silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=False, str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL text cannot hold NUL, and no real name or note contains one.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


class ReadSchema(BaseModel):
    """Base of every response model: built from ORM rows, ignoring attributes it does not show."""

    model_config = ConfigDict(from_attributes=True, extra="ignore")


# A bare `bool` would turn "yes", 1 or "false" into booleans; the rules read these flags as facts.
StrictFlag = StrictBool


def _money_as_cents(value: Decimal) -> Decimal:
    # "1234.5" and 1234.5 are one amount; a single form keeps comparisons and dumps stable.
    return value.quantize(Decimal("0.01"))


# JSON numbers arrive as floats, so a float is accepted, but the place limit still catches 1.005.
# Booleans, NaN and Infinity are refused by pydantic's own Decimal validator.
# 18 digits is far above any real withdrawal and keeps "1e999" out of arithmetic and storage.
Money = Annotated[
    Decimal,
    Field(gt=0, max_digits=18, decimal_places=2, allow_inf_nan=False, examples=["1234.50"]),
    AfterValidator(_money_as_cents),
    # A string keeps cents exact for clients whose JSON numbers are binary floats.
    PlainSerializer(str, return_type=str, when_used="json"),
]


def _require_offset(value: Any, handler: ValidatorFunctionWrapHandler) -> datetime:
    # A number would be read as Unix seconds; the contract asks for ISO 8601 text with an offset.
    if isinstance(value, (bool, int, float)):
        raise PydanticCustomError(
            "datetime_type", "Input should be an ISO 8601 date and time with a UTC offset"
        )
    try:
        return handler(value)
    except ValidationError as exc:
        if any(error["type"] == "timezone_aware" for error in exc.errors()):
            # Without an offset the moment is off by up to a day; guessing would move deadlines.
            raise PydanticCustomError(
                "timezone_aware",
                "A UTC offset is required, e.g. 2024-05-01T09:30:00+08:00 or 2024-05-01T01:30:00Z",
            ) from None
        raise


# Any moment with an offset, past or future: promised and announced times are allowed to lie ahead.
OffsetDatetime = Annotated[AwareDatetime, WrapValidator(_require_offset)]

# Phones and browsers run a little ahead of the server; an event stamped "now" on such a device must
# not be refused, while a time clearly ahead (a typo, a wrong year) is still caught.
FUTURE_SKEW = timedelta(minutes=5)


def _not_in_future(value: datetime, info: ValidationInfo) -> datetime:
    # A validation context may supply `now`, so a what-if evaluation at a later `as_of` can accept
    # events up to that moment, and tests need not race the wall clock.
    now = (info.context or {}).get("now") or datetime.now(timezone.utc)
    if value > now + FUTURE_SKEW:
        raise PydanticCustomError("datetime_in_future", "is in the future")
    return value


# When something happened: it must already have happened.
PastOrNowDatetime = Annotated[OffsetDatetime, AfterValidator(_not_in_future)]
