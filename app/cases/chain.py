"""Cases, integrity: the hash chain that seals each event to the one before it (pure, no SQL).

Each event's `content_hash` is SHA-256 over the previous event's hash followed by the event's
canonical content, so changing, removing or reordering any stored event breaks every check from
that event on. The canonical form is part of the stored data: changing it needs a migration that
seals the existing events again.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol

# A fixed textual timestamp form: isoformat() would drop ".000000" for whole seconds and keep
# whatever offset the object carries, and the same instant must always hash the same way.
_UTC_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class Sealable(Protocol):
    case_id: Any
    seq: int
    type: str
    occurred_at: datetime
    data: Mapping[str, Any]
    note: str | None
    content_hash: str | None
    prev_hash: str | None


def canonical_content(*, case_id: Any, seq: int, type: str, occurred_at: datetime,
                      data: Mapping[str, Any], note: str | None) -> bytes:
    """The bytes an event's hash covers: sorted-key, compact, UTF-8 JSON."""
    content = {
        "case_id": str(case_id),
        "seq": seq,
        "type": type,
        "occurred_at": occurred_at.astimezone(timezone.utc).strftime(_UTC_FORMAT),
        "data": data,
        "note": note,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def link_hash(prev_hash: str | None, canonical: bytes) -> str:
    """SHA-256 over the previous hash (empty for the first event) and the canonical content."""
    return hashlib.sha256((prev_hash or "").encode("ascii") + canonical).hexdigest()


def event_hash(event: Sealable, prev_hash: str | None) -> str:
    return link_hash(prev_hash, canonical_content(
        case_id=event.case_id, seq=event.seq, type=event.type, occurred_at=event.occurred_at,
        data=event.data, note=event.note))


def seal(event: Sealable, *, previous: Sealable | None) -> None:
    """Chain a new event to the case's previous one (None for the first event)."""
    event.prev_hash = previous.content_hash if previous is not None else None
    event.content_hash = event_hash(event, event.prev_hash)


@dataclass(frozen=True)
class ChainIssue:
    """One event that no longer matches; `problem` is a stable code."""

    seq: int
    problem: str  # content_changed, link_broken, missing, unsealed
    expected: str | None
    actual: str | None


def verify_chain(events: Iterable[Sealable], *, last_seq: int) -> tuple[list[ChainIssue], str | None]:
    """Recompute every link; returns the issues (by seq) and the head hash as stored.

    Each event is checked against its own stored `prev_hash`, and that against the stored hash of
    the event before it, so an edited row is reported at its own seq and not at every later one.
    """
    issues: list[ChainIssue] = []
    previous: Sealable | None = None
    expected_seq = 1
    for event in events:
        while expected_seq < event.seq:
            issues.append(ChainIssue(seq=expected_seq, problem="missing", expected=None, actual=None))
            expected_seq += 1
        expected_seq = event.seq + 1
        if event.content_hash is None:
            issues.append(ChainIssue(seq=event.seq, problem="unsealed", expected=None, actual=None))
            previous = event
            continue
        stored_prev = previous.content_hash if previous is not None else None
        if event.prev_hash != stored_prev:
            issues.append(ChainIssue(seq=event.seq, problem="link_broken",
                                     expected=stored_prev, actual=event.prev_hash))
        recomputed = event_hash(event, event.prev_hash)
        if recomputed != event.content_hash:
            issues.append(ChainIssue(seq=event.seq, problem="content_changed",
                                     expected=event.content_hash, actual=recomputed))
        previous = event
    while expected_seq <= last_seq:
        # Rows deleted from the end leave the case's counter ahead of the log.
        issues.append(ChainIssue(seq=expected_seq, problem="missing", expected=None, actual=None))
        expected_seq += 1
    return issues, previous.content_hash if previous is not None else None
