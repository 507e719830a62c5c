"""The hash chain itself (pure): what a hash covers, and how a broken link is located."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from app.cases import chain

CASE = uuid.UUID("12345678-1234-5678-1234-567812345678")


@dataclass
class Event:
    seq: int
    type: str = "note_added"
    occurred_at: datetime = datetime(2026, 11, 20, 1, 2, 3, tzinfo=timezone.utc)
    data: dict = None
    note: str | None = None
    case_id: uuid.UUID = CASE
    content_hash: str | None = None
    prev_hash: str | None = None


def sealed(n: int) -> list[Event]:
    events, previous = [], None
    for seq in range(1, n + 1):
        event = Event(seq=seq, data={"text": f"第 {seq} 条", "b": 1, "a": [1, 2]})
        chain.seal(event, previous=previous)
        events.append(previous := event)
    return events


def test_the_hash_ignores_key_order_and_the_offset_the_time_was_given_in():
    east8 = timezone(timedelta(hours=8))
    a = chain.canonical_content(case_id=CASE, seq=1, type="t", data={"x": 1, "y": "是"}, note=None,
                                occurred_at=datetime(2026, 11, 20, 9, 0, tzinfo=east8))
    b = chain.canonical_content(case_id=str(CASE), seq=1, type="t", data={"y": "是", "x": 1}, note=None,
                                occurred_at=datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc))
    assert a == b
    assert b'"occurred_at":"2026-11-20T01:00:00.000000Z"' in a and "是".encode() in a


def test_every_covered_field_changes_the_hash():
    base = dict(case_id=CASE, seq=1, type="t", data={"x": 1}, note="n",
                occurred_at=datetime(2026, 11, 20, tzinfo=timezone.utc))
    reference = chain.link_hash(None, chain.canonical_content(**base))
    for change in ({"case_id": uuid.uuid4()}, {"seq": 2}, {"type": "u"}, {"data": {"x": 2}},
                   {"note": None}, {"occurred_at": base["occurred_at"] + timedelta(microseconds=1)}):
        assert chain.link_hash(None, chain.canonical_content(**{**base, **change})) != reference
    assert chain.link_hash("0" * 64, chain.canonical_content(**base)) != reference


def test_a_sealed_log_verifies_and_an_edit_is_reported_at_its_own_seq_only():
    events = sealed(4)
    assert chain.verify_chain(events, last_seq=4) == ([], events[-1].content_hash)
    events[1].data = {**events[1].data, "text": "改过"}
    issues, _ = chain.verify_chain(events, last_seq=4)
    assert [(i.seq, i.problem) for i in issues] == [(2, "content_changed")]


def test_a_rehashed_edit_breaks_the_next_link_and_gaps_are_reported():
    events = sealed(4)
    events[1].note = "改过"
    events[1].content_hash = chain.event_hash(events[1], events[1].prev_hash)
    issues, _ = chain.verify_chain(events, last_seq=4)
    assert [(i.seq, i.problem) for i in issues] == [(3, "link_broken")]
    issues, _ = chain.verify_chain([e for e in sealed(4) if e.seq != 2], last_seq=5)
    assert [(i.seq, i.problem) for i in issues] == [(2, "missing"), (3, "link_broken"), (5, "missing")]
