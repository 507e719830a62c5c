"""Test support: schemathesis hooks, so the fuzzer acts as a client would on state it cannot see.

Loaded by the `st` command through SCHEMATHESIS_HOOKS (tests/test_fuzz_api.py). The contract
describes every input the server accepts, except where acceptance depends on what the server
has stored, which no schema can say. A real client knows those things, so the fuzzer is given
them too, and only where the generated value is already valid by the contract (an invalid one
stays as generated, and so does every request generated to be invalid, so refusals are still
tested):

- an Idempotency-Key is new for every new request (reusing one with another body is a 422);
- a `cursor` is one the same list issued (STUCKFUNDS_FUZZ_CURSORS, a JSON object keyed by
  operation, e.g. "GET /v1/cases/{case_id}/events"), since a cursor is opaque and only good for
  the list that issued it;
- If-Match is `*` ("whatever the case's version is"), since the ETag changes with every write.

And "when it happened" (occurred_at, withdrawal_requested_at, captured_at) may not lie in the
future, which a JSON Schema cannot say of a moment relative to now: times are generated in the
past, and a valid future one in those fields is moved back to yesterday.
"""

import json
import os
import re
import uuid
from datetime import datetime, timedelta, timezone

import schemathesis
from hypothesis import strategies as st
from schemathesis.core.parameters import ParameterLocation

from app.schemas import TIME_PATTERN

PAST_ONLY = {"occurred_at", "withdrawal_requested_at", "captured_at"}
_TIME = re.compile(TIME_PATTERN)
_CURSORS: dict[str, str] = json.loads(os.environ.get("STUCKFUNDS_FUZZ_CURSORS") or "{}")

_OFFSETS = [timezone.utc, timezone(timedelta(hours=8)), timezone(timedelta(hours=-3, minutes=-30)),
            timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))]


def _past_times() -> st.SearchStrategy[str]:
    latest = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(days=2)
    return st.builds(
        lambda moment, zone, zulu: (moment.replace(tzinfo=timezone.utc).astimezone(zone).isoformat()
                                    .replace("+00:00", "Z" if zulu else "+00:00")),
        st.datetimes(min_value=datetime(1971, 1, 1), max_value=latest),
        st.sampled_from(_OFFSETS), st.booleans())


schemathesis.openapi.format("date-time", _past_times())


def _named(mapping: dict | None, name: str) -> str | None:
    for key in mapping or {}:
        if key.lower() == name:
            return key
    return None


def _in_the_past(node) -> bool:
    """Move each future "when it happened" back to yesterday; whether any was moved."""
    moved = False
    if isinstance(node, dict):
        for key, value in node.items():
            if key in PAST_ONLY and isinstance(value, str) and _TIME.fullmatch(value):
                try:
                    moment = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
                except ValueError:
                    continue  # 2023-02-30: the pattern allows it, the calendar does not
                if moment > datetime.now(timezone.utc):
                    node[key] = (datetime.now(timezone.utc) - timedelta(days=1)).isoformat()
                    moved = True
            else:
                moved |= _in_the_past(value)
    elif isinstance(node, list):
        for item in node:
            moved |= _in_the_past(item)
    return moved


@schemathesis.hook
def before_call(context, case, kwargs):
    meta = case.meta
    if meta is not None and not meta.generation.mode.is_positive:
        return  # a request meant to be refused is sent as generated
    if _in_the_past(case.body) and meta is not None:
        # A valid time replaced by another valid time leaves the body valid. Schemathesis 4.32.5
        # re-checks an edited body, but calls any body holding a file (the evidence upload)
        # invalid unseen (`contains_binary`), then reports its 201 as "schema-violating request
        # accepted": record the edited body as the checked one.
        meta.update_validated_hash(ParameterLocation.BODY, case._hash_container(case.body))
    headers = case.headers
    key = _named(headers, "idempotency-key")
    if key and isinstance(headers[key], str) and 0 < len(headers[key]) <= 255:
        headers[key] = str(uuid.uuid4())
    key = _named(headers, "if-match")
    if key and isinstance(headers[key], str):
        headers[key] = "*"
    cursor = _CURSORS.get(f"{case.method.upper()} {case.operation.path}")
    if cursor and case.query and isinstance(case.query.get("cursor"), str) \
            and len(case.query["cursor"]) <= 200:
        case.query["cursor"] = cursor
