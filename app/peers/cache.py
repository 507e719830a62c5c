"""Peer signals, reading: a short per-process memory of each platform's window counts.

Most event posts change nothing about what their case contributes, yet each needs its
platform's counts; remembering them for a few seconds (STUCKFUNDS_PEER_CACHE_SECONDS) spares
that SELECT on most posts. Counts are advisory and bucketed, so a few seconds' lag is harmless;
a write in this process forgets the platform at once, so its own next read is fresh. Entries are
scoped by database, so two apps in one process (tests, benchmarks) never share counts.
"""

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import date

# signal → client → cases, for one platform key over one window
Counts = dict[str, dict[uuid.UUID, int]]
MAX_ENTRIES = 4096


class WindowCache:
    def __init__(self, max_entries: int = MAX_ENTRIES, clock: Callable[[], float] = time.monotonic) -> None:
        self._entries: OrderedDict[tuple[str, str, date], tuple[float, Counts]] = OrderedDict()
        self._lock = threading.Lock()
        self._clock = clock
        self.max_entries = max_entries

    def get(self, scope: str, keys: list[str], since: date, ttl: float,
            load: Callable[[list[str]], dict[str, Counts]]) -> dict[str, Counts]:
        """The counts of each key: remembered for `ttl` seconds, else `load`ed (missing keys at once).

        What is returned may be what is remembered: read it, never change it.
        """
        now = self._clock()
        found: dict[str, Counts] = {}
        if ttl > 0:
            with self._lock:
                for key in keys:
                    entry = self._entries.get((scope, key, since))
                    if entry is not None and now - entry[0] < ttl:
                        found[key] = entry[1]
        missing = [key for key in keys if key not in found]
        if missing:
            loaded = load(missing)
            with self._lock:
                for key in missing:
                    counts = loaded.get(key, {})
                    found[key] = counts
                    if ttl > 0:
                        self._entries[(scope, key, since)] = (now, counts)
                        self._entries.move_to_end((scope, key, since))
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        # The remembered counts themselves: callers read them and never change them.
        return {key: found[key] for key in keys}

    def forget(self, scope: str, keys: set[str]) -> None:
        """Drop every window of these keys (they were just written)."""
        with self._lock:
            for entry in [e for e in self._entries if e[0] == scope and e[1] in keys]:
                del self._entries[entry]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


WINDOWS = WindowCache()
