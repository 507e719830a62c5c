"""Request and response edge: the schema bases and the strict field types every API model shares."""

import re
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
    ValidationInfo,
    WithJsonSchema,
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
]


# ECMA-262's \s, spelled out so that Python and every JSON Schema validator read the same set.
_SPACE = r"\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
# Text: at least one character that is not a space, and no NUL (PostgreSQL text cannot hold one).
TEXT_PATTERN = rf"^[^\u0000]*[^{_SPACE}\u0000][^\u0000]*$"
_TEXT = re.compile(TEXT_PATTERN)


def _publish_text_rule(schema: dict[str, Any]) -> None:
    """Put TEXT_PATTERN on each free-text property, so the contract refuses what the server does."""
    def visit(node: dict[str, Any]) -> None:
        # A file part holds bytes, not text: any bytes may be a file (its type is read from them).
        if node.get("type") == "string" \
                and not {"pattern", "format", "enum", "const", "contentMediaType"} & node.keys():
            node["pattern"] = TEXT_PATTERN
        for key in ("anyOf", "oneOf", "allOf"):
            for option in node.get(key, []):
                visit(option)
        if isinstance(node.get("items"), dict):
            visit(node["items"])

    for prop in schema.get("properties", {}).values():
        visit(prop)


class Schema(BaseModel):
    """Base of every input model: unknown keys are errors, never silently dropped.

    Text is taken as sent (no trimming, so its length is the length the contract states), and a
    text of spaces only is refused like a missing one.
    """

    model_config = ConfigDict(extra="forbid", frozen=False, json_schema_extra=_publish_text_rule)

    @field_validator("*", mode="after")
    @classmethod
    def _real_text(cls, value: Any) -> Any:
        if isinstance(value, str) and not _TEXT.fullmatch(value):
            if "\x00" in value:
                raise ValueError("must not contain NUL characters")
            raise ValueError("must not be empty or only spaces")
        return value


class ReadSchema(BaseModel):
    """Base of every response model: built from ORM rows, ignoring attributes it does not show."""

    model_config = ConfigDict(from_attributes=True, extra="ignore")


def _money_as_cents(value: Decimal) -> Decimal:
    # "1234.5" and 1234.5 are one amount; a single form keeps comparisons and dumps stable.
    return value.quantize(Decimal("0.01"))


# Positive, at most 15 digits before the point and 2 after: the exact form the server accepts.
# (15, not 16: the largest whole amount must survive a client's binary-float JSON numbers.)
MONEY_PATTERN = r"^(0*[1-9][0-9]{0,14}(\.[0-9]{1,2})?|0*\.(0[1-9]|[1-9][0-9]?))$"
_MONEY = re.compile(MONEY_PATTERN)
_MONEY_HELP = 'a decimal string with at most 2 decimals, e.g. "1234.50", or a whole number'
MONEY_SCHEMA = {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 10**15 - 1},
                          {"type": "string", "pattern": MONEY_PATTERN}],
                "examples": ["1234.50"]}


def _money_form(value: Any, handler: ValidatorFunctionWrapHandler) -> Decimal:
    # A float has no exact cents (0.1 + 0.2), and "1e3", "+5" or "1_000" are not how amounts are
    # written: only a plain decimal string, or a whole JSON number.
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise PydanticCustomError("money_type", f"Input should be {_MONEY_HELP}")
    if isinstance(value, str) and not _MONEY.fullmatch(value):
        raise PydanticCustomError("money_format", f"Input should be {_MONEY_HELP}")
    return handler(int(value) if isinstance(value, float) else value)


# 17 digits is far above any real withdrawal and keeps "1e999" out of arithmetic and storage.
Money = Annotated[
    Decimal,
    Field(gt=0, max_digits=17, decimal_places=2, allow_inf_nan=False),
    AfterValidator(_money_as_cents),
    WrapValidator(_money_form),
    WithJsonSchema(MONEY_SCHEMA, mode="validation"),
    # A string keeps cents exact for clients whose JSON numbers are binary floats.
    PlainSerializer(str, return_type=str, when_used="json"),
]


# RFC 3339 with its offset, in years 1970-2100. A digit string ("0", "1700000000") would otherwise
# be read as Unix seconds, and a year such as 1 or 9999 overflows when deadlines are added later.
TIME_PATTERN = (r"^(19[7-9][0-9]|20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
                r"[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?"
                r"([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$")
_TIME = re.compile(TIME_PATTERN)
EARLIEST_YEAR, LATEST_YEAR = 1970, 2100
_TIME_HELP = "e.g. 2024-05-01T09:30:00+08:00 or 2024-05-01T01:30:00Z"


def _rfc3339(value: Any, handler: ValidatorFunctionWrapHandler) -> datetime:
    if isinstance(value, datetime):
        # Python callers only (scenario files, the what-if service): JSON never gives one.
        moment = handler(value)
    elif not isinstance(value, str):
        raise PydanticCustomError(
            "datetime_type", f"Input should be an RFC 3339 date and time with a UTC offset, {_TIME_HELP}")
    elif not _TIME.fullmatch(value):
        if value[:4].isdigit() and len(value) > 4 and value[4] == "-" and not (
                EARLIEST_YEAR <= int(value[:4]) <= LATEST_YEAR):
            raise PydanticCustomError(
                "datetime_range", f"The year must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
        if re.match(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?$", value):
            # Without an offset the moment is off by up to a day; guessing would move deadlines.
            raise PydanticCustomError(
                "timezone_aware", f"A UTC offset is required, {_TIME_HELP}")
        raise PydanticCustomError(
            "datetime_format", f"Input should be an RFC 3339 date and time with a UTC offset, {_TIME_HELP}")
    else:
        moment = handler(value)  # the calendar: 2023-02-30 passes the pattern, not this
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise PydanticCustomError(
            "datetime_range", f"The year must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return moment


# Any moment with an offset, past or future: promised and announced times are allowed to lie ahead.
# The pattern is published so that clients and fuzzers know the exact form before they send.
OffsetDatetime = Annotated[AwareDatetime, WrapValidator(_rfc3339),
                           Field(json_schema_extra={"pattern": TIME_PATTERN})]

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
