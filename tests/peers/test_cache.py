"""The per-process memory of window counts: kept for its TTL, forgotten on write, scoped by database."""

import uuid
from datetime import date

from app.peers.cache import WindowCache
from app.peers.service import PeerPolicy, _snapshot_without

DAY = date(2026, 12, 4)
CLIENT, OTHER = uuid.uuid4(), uuid.uuid4()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_counts_are_remembered_for_their_ttl_then_read_again():
    clock, loads = Clock(), []
    cache = WindowCache(clock=clock)

    def load(keys):
        loads.append(list(keys))
        return {key: {"stuck": {CLIENT: len(loads)}} for key in keys}

    assert cache.get("db", ["name:a"], DAY, 10, load)["name:a"]["stuck"][CLIENT] == 1
    clock.now = 9.9
    assert cache.get("db", ["name:a", "app:b"], DAY, 10, load)["name:a"]["stuck"][CLIENT] == 1
    assert loads == [["name:a"], ["app:b"]]  # only the key it did not hold
    clock.now = 10.0
    assert cache.get("db", ["name:a"], DAY, 10, load)["name:a"]["stuck"][CLIENT] == 3


def test_a_write_forgets_the_platform_and_scopes_never_mix():
    cache, loads = WindowCache(), []

    def load(keys):
        loads.append(list(keys))
        return {}

    cache.get("db1", ["name:a"], DAY, 10, load)
    cache.get("db2", ["name:a"], DAY, 10, load)
    cache.forget("db1", {"name:a"})
    cache.get("db1", ["name:a"], DAY, 10, load)
    cache.get("db2", ["name:a"], DAY, 10, load)
    assert loads == [["name:a"], ["name:a"], ["name:a"]]


def test_leaving_the_case_out_keeps_the_remembered_counts_and_ttl_zero_always_reads():
    cache, loads = WindowCache(), []

    def load(keys):
        loads.append(1)
        return {key: {"stuck": {CLIENT: 5, OTHER: 5}} for key in keys}

    policy = PeerPolicy(cache_seconds=10)
    for _ in range(2):  # the second time from the snapshots kept with their counts
        got = cache.get("db", ["name:a"], DAY, 10, load)
        snapshot = _snapshot_without(got, frozenset({("name:a", "stuck")}), CLIENT, policy)
        assert snapshot.cases_stuck == 5 and snapshot.clients == 2  # 4 and 5 of two clients, bucket 5
    assert cache.get("db", ["name:a"], DAY, 10, load)["name:a"]["stuck"] == {CLIENT: 5, OTHER: 5}
    assert _snapshot_without(got, frozenset(), CLIENT, policy).cases_stuck == 10
    cache.get("db", ["name:x"], DAY, 0, load)
    cache.get("db", ["name:x"], DAY, 0, load)
    assert len(loads) == 3


def test_it_stays_bounded():
    cache = WindowCache(max_entries=3)
    for i in range(10):
        cache.get("db", [f"name:{i}"], DAY, 10, lambda keys: {})
    assert len(cache._entries) == 3
