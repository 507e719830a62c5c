"""Request edge: opaque cursors for keyset pagination (the client passes back what it was given)."""

import base64
import binascii
import json
from typing import Annotated, Any

from fastapi import Query

from app.errors import InvalidRequest

PageLimit = Annotated[int, Query(ge=1, le=1000, description="Items per page (at most 1000)")]
Cursor = Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page")]


def encode_cursor(kind: str, *position: Any) -> str:
    raw = json.dumps([kind, *position], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str, arity: int) -> list[Any]:
    """The position a cursor of this kind holds; 422 naming `cursor` for anything else."""
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        decoded = None
    if not isinstance(decoded, list) or len(decoded) != arity + 1 or decoded[0] != kind:
        raise InvalidRequest("The cursor is not one this API issued for this list.", field="cursor")
    return decoded[1:]
