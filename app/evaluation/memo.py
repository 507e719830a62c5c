"""Evaluation, matching: stage decisions remembered across evaluations, per process (DESIGN §7).

A stage's decision (the ids of the rules that fired) depends only on the ruleset and the values
of the facts that stage's rules test, so it is kept under (ruleset hash, stage, those values)
and reused by later evaluations, probes included. durable-rules still makes every decision the
first time it is met; the memo only saves asking it again. Each value is keyed with its type, so
`True` and `1` (equal in Python) never share a decision. Bounded: past `max_entries` the least
recently used decision is forgotten.
"""

import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

# About 1 KiB each (keys of ~30 values): a few MiB per process at most.
MAX_ENTRIES = 4096


class DecisionMemo:
    """A bounded, thread-safe LRU of stage decisions."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple, tuple[str, ...]] = OrderedDict()
        self._lock = threading.Lock()
        self._types: dict[tuple, int] = {}  # a number per type signature
        self._signatures = itertools.count()
        self._last: dict[str, tuple[tuple, int]] = {}  # per stage: the last type signature and its number
        self.hits = 0
        self.misses = 0

    def decide(self, ruleset_hash: str, stage: str, values: Sequence[Any],
               fire: Callable[[], Sequence[str]]) -> tuple[str, ...]:
        """The rules that fire for these values: remembered, or `fire()`d and remembered."""
        values = tuple(values)
        types = tuple(map(type, values))
        # The type signature is keyed by a small number: the key's hash (worked out on every
        # lookup, tuples do not keep theirs) then covers the values and not their types again.
        last = self._last.get(stage)  # a stage's facts nearly always have the same types
        if last is not None and last[0] == types:
            signature = last[1]
        else:
            signature = self._types.get(types)
            if signature is None:
                signature = self._share(types)
            self._last[stage] = (types, signature)
        key = (ruleset_hash, stage, values, signature)
        with self._lock:
            decided = self._entries.get(key)
            if decided is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return decided
        decided = tuple(fire())  # outside this lock: the engine serializes itself
        with self._lock:
            self.misses += 1
            self._entries[key] = decided
            if len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return decided

    def _share(self, types: tuple) -> int:
        with self._lock:
            if types not in self._types:
                if len(self._types) >= self.max_entries:
                    # Numbers are never reused: a key made with a forgotten one just misses.
                    self._types.clear()
                self._types[types] = next(self._signatures)
            return self._types[types]

    def clear(self) -> None:
        """Forget every decision (a cold start; tests and benchmarks)."""
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)


DECISIONS = DecisionMemo()


_INDEXES: dict[str, tuple[dict, dict]] = {}


def rule_index(ruleset) -> tuple[dict[str, Any], dict[str, tuple[str, ...]]]:
    """The ruleset's rules by id, and the facts each rule tests: worked out once per ruleset hash."""
    index = _INDEXES.get(ruleset.hash)
    if index is None:
        index = ({rule.id: rule for rule in ruleset.rules},
                 {rule.id: rule.facts_used() for rule in ruleset.rules})
        if len(_INDEXES) >= 64:  # rulesets are few; a test suite loading many stays bounded
            _INDEXES.clear()
        _INDEXES[ruleset.hash] = index
    return index
