"""Dossier, output cache: rendered PDFs kept in memory, per process, bounded in bytes.

A PDF costs seconds; the same version of a case asked for again (a retry, a second download)
is served from here. An entry is keyed by what the document is made of (case, version, ruleset,
language) and expires after `ttl`, or sooner when the case's evaluation is due to change, so
its integrity check and deadlines are never older than that.
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable


class PdfCache:
    def __init__(self, *, max_bytes: int, ttl_seconds: float) -> None:
        self.max_bytes = max_bytes
        self.ttl_seconds = ttl_seconds
        self._entries: OrderedDict[Hashable, tuple[float, bytes]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            expires, pdf = found
            if expires <= time.monotonic():
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return pdf

    def put(self, key: Hashable, pdf: bytes, *, valid_for: float | None = None) -> None:
        if len(pdf) > self.max_bytes:
            return
        lifetime = self.ttl_seconds if valid_for is None else min(valid_for, self.ttl_seconds)
        if lifetime <= 0:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (time.monotonic() + lifetime, pdf)
            self._size += len(pdf)
            while self._size > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: Hashable) -> None:
        _expires, pdf = self._entries.pop(key)
        self._size -= len(pdf)
