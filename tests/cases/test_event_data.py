"""Tests of the request edge: what the event models accept and how they locate what they refuse."""

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Annotated, Any

import pytest
from pydantic import TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from app.cases.event_data import EVENT_TYPES, CaseEventCreate
from tests.support.examples import EXAMPLES

EVENTS = TypeAdapter(CaseEventCreate)
PAST = "2024-05-01T09:30:00+08:00"

# Keyed by every type, so a type added to the union without an example fails the first test.
MINIMAL_DATA = EXAMPLES

# The field whose absence must be reported, per type that has one.
DEFINING_FIELD = {
    event_type: next(iter(data))
    for event_type, data in MINIMAL_DATA.items()
    if data is not None
}


def event(event_type: str, data: dict[str, Any] | None = None, **envelope: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"type": event_type, "occurred_at": PAST, **envelope}
    if data is not None:
        body["data"] = data
    return body


def errors_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as caught:
        EVENTS.validate_python(body)
    return caught.value.errors()


def test_every_event_type_has_a_minimal_example() -> None:
    assert set(MINIMAL_DATA) == set(EVENT_TYPES)
    assert len(EVENT_TYPES) == len(set(EVENT_TYPES))


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_minimal_event_parses(event_type: str) -> None:
    parsed = EVENTS.validate_python(event(event_type, MINIMAL_DATA[event_type]))
    assert parsed.type == event_type
    assert parsed.note is None and parsed.event_id is None


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_minimal_event_parses_from_json(event_type: str) -> None:
    parsed = EVENTS.validate_json(json.dumps(event(event_type, MINIMAL_DATA[event_type])))
    assert parsed.type == event_type


def test_event_without_required_data_gets_an_empty_data_object() -> None:
    parsed = EVENTS.validate_python(event("police_report_filed"))
    assert parsed.data.reference is None


def test_unknown_event_type_is_located_at_type() -> None:
    [error] = errors_of(event("platform_exploded", {}))
    assert error["loc"] == ("type",)
    assert error["type"] == "union_tag_invalid"
    assert error["ctx"]["discriminator"] == "'type'"
    assert error["input"] == "platform_exploded"


def test_unknown_event_type_stays_located_at_type_as_a_request_body() -> None:
    # FastAPI builds a body parameter like this; a field-level discriminator lost the relocation.
    field = FieldInfo.from_annotation(CaseEventCreate)
    body_adapter = TypeAdapter(Annotated[field.annotation, field])
    with pytest.raises(ValidationError) as caught:
        body_adapter.validate_python(event("platform_exploded", {}))
    assert caught.value.errors()[0]["loc"] == ("type",)


def test_missing_event_type_is_located_at_type() -> None:
    body = event("note_added", {"text": "x"})
    del body["type"]
    [error] = errors_of(body)
    assert error["loc"] == ("type",)
    assert error["type"] == "missing"


@pytest.mark.parametrize("event_type", sorted(DEFINING_FIELD))
def test_missing_defining_field_is_named(event_type: str) -> None:
    [error] = errors_of(event(event_type, {}))
    assert error["type"] == "missing"
    # pydantic puts the union tag first; the rest is the path inside the posted event.
    assert error["loc"] == (event_type, "data", DEFINING_FIELD[event_type])


def test_missing_data_is_named_when_the_type_needs_it() -> None:
    [error] = errors_of(event("fee_demanded"))
    assert error["loc"] == ("fee_demanded", "data")


@pytest.mark.parametrize("flag", ["yes", 1, "true", 0, None])
def test_licensed_must_be_a_json_boolean(flag: Any) -> None:
    [error] = errors_of(event("license_checked", {"licensed": flag}))
    assert error["loc"] == ("license_checked", "data", "licensed")


def test_nested_detail_flags_are_strict_too() -> None:
    data = {"channel": "phone", "details_given": {"duration": "no"}}
    [error] = errors_of(event("support_contacted", data))
    assert error["loc"] == ("support_contacted", "data", "details_given", "duration")


@pytest.mark.parametrize(
    # A fractional JSON number has no exact cents, and exponents, signs, spaces or underscores are
    # not how amounts are written: the contract's pattern and the server refuse the same things.
    "amount", [True, False, "abc", 0, "0.00", -5, "-5", "1.234", "NaN", "Infinity", "", None,
               1234.5, "1e3", "+5", " 5", "5.", "1_000", "1.500", 10**15, "1000000000000000"]
)
def test_bad_amounts_are_refused(amount: Any) -> None:
    [error] = errors_of(event("funds_received", {"amount": amount}))
    assert error["loc"] == ("funds_received", "data", "amount")


@pytest.mark.parametrize(
    ("amount", "cents"),
    [("1234.50", "1234.50"), ("1234.5", "1234.50"), (1234, "1234.00"), (1234.0, "1234.00"),
     (".5", "0.50"), ("999999999999999.99", "999999999999999.99"), (10**15 - 1, "999999999999999.00")],
)
def test_good_amounts_parse_to_cents(amount: Any, cents: str) -> None:
    parsed = EVENTS.validate_python(event("funds_received", {"amount": amount}))
    assert str(parsed.data.amount) == cents
    assert isinstance(parsed.data.amount, Decimal)


def test_amount_is_serialised_as_a_string() -> None:
    parsed = EVENTS.validate_python(event("fee_demanded", {"fee_kind": "tax", "amount": 800}))
    assert EVENTS.dump_python(parsed, mode="json")["data"]["amount"] == "800.00"


def test_naive_occurred_at_is_refused_with_a_hint_about_the_offset() -> None:
    [error] = errors_of(event("note_added", {"text": "x"}, occurred_at="2024-05-01T09:30:00"))
    assert error["loc"] == ("note_added", "occurred_at")
    assert "offset" in error["msg"]


def test_numeric_occurred_at_is_refused() -> None:
    [error] = errors_of(event("note_added", {"text": "x"}, occurred_at=1714527000))
    assert error["loc"] == ("note_added", "occurred_at")


def test_occurred_at_a_day_ahead_is_in_the_future() -> None:
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    [error] = errors_of(event("note_added", {"text": "x"}, occurred_at=tomorrow))
    assert error["loc"] == ("note_added", "occurred_at")
    assert error["msg"] == "is in the future"


def test_occurred_at_a_minute_ago_parses() -> None:
    a_minute_ago = datetime.now(timezone.utc) - timedelta(minutes=1)
    body = event("note_added", {"text": "x"}, occurred_at=a_minute_ago.isoformat())
    parsed = EVENTS.validate_python(body)
    assert parsed.occurred_at == a_minute_ago


def test_occurred_at_a_minute_ahead_is_tolerated_as_clock_skew() -> None:
    ahead = (datetime.now(timezone.utc) + timedelta(minutes=1)).isoformat()
    EVENTS.validate_python(event("note_added", {"text": "x"}, occurred_at=ahead))


def test_now_can_be_supplied_through_the_validation_context() -> None:
    body = event("note_added", {"text": "x"}, occurred_at="2099-01-01T00:00:00+00:00")
    as_of = datetime(2099, 1, 2, tzinfo=timezone.utc)
    assert EVENTS.validate_python(body, context={"now": as_of}).occurred_at.year == 2099


def test_promised_times_may_lie_in_the_future() -> None:
    data = {"channel": "phone", "promised_resolution_at": "2099-01-01T00:00:00+08:00"}
    assert EVENTS.validate_python(event("support_contacted", data)).data.promised_resolution_at


def test_promised_times_need_an_offset() -> None:
    data = {"notice_kind": "risk_review", "expected_end_at": "2099-01-01T00:00:00"}
    [error] = errors_of(event("notice_posted", data))
    assert error["loc"] == ("notice_posted", "data", "expected_end_at")


def test_extra_fields_in_data_are_refused() -> None:
    [error] = errors_of(event("fee_demanded", {"fee_kind": "tax", "urgent": True}))
    assert error["type"] == "extra_forbidden"
    assert error["loc"] == ("fee_demanded", "data", "urgent")


def test_extra_fields_on_the_event_are_refused() -> None:
    [error] = errors_of(event("note_added", {"text": "x"}, seq=3))
    assert error["loc"] == ("note_added", "seq")


def test_empty_data_of_a_data_free_type_still_refuses_extras() -> None:
    [error] = errors_of(event("lawyer_consulted", {"fee": "500"}))
    assert error["loc"] == ("lawyer_consulted", "data", "fee")


def test_enumerations_are_exact() -> None:
    [error] = errors_of(event("fee_demanded", {"fee_kind": "Unfreeze"}))
    assert error["type"] == "literal_error"


def test_blank_text_is_missing_text() -> None:
    [error] = errors_of(event("note_added", {"text": "   "}))
    assert error["loc"] == ("note_added", "data", "text")


def test_note_is_limited_to_2000_characters() -> None:
    [error] = errors_of(event("note_added", {"text": "x"}, note="n" * 2001))
    assert error["loc"] == ("note_added", "note")


def test_event_id_must_be_a_uuid() -> None:
    [error] = errors_of(event("note_added", {"text": "x"}, event_id="retry-1"))
    assert error["loc"] == ("note_added", "event_id")
