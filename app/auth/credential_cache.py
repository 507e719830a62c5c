"""Authentication, speed: resolved credentials kept per process, confirmed in the request's transaction.

A cached API key saves the key lookup (a statement, and on the write path its own trip to
the thread pool) only on routes whose case statement also reads `credential_epoch`, the counter
every revocation bumps in its own transaction (app.auth.service.bump_credential_epoch). Such a
route compares the value it read with the one the entry was cached under; a different value
sends it back to the credential's row in that same transaction (app.auth.service.confirm), so a
revoked key or token is refused on the very next request, whichever process revoked it. Every
other route looks the credential up as before. Entries also lapse after `ttl` seconds and at a
case token's expiry; a stale entry is never served once a newer epoch has been seen.

One consequence to know: the first event post with a key revoked while cached is refused by its
case statement, after its body (at most max_json_bytes) was read; that refusal drops the entry,
so the key's next request is refused before its body again, as every unknown key is.
"""

import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime

DEFAULT_TTL_SECONDS = 30.0
DEFAULT_MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class Credential:
    """What a presented secret turned out to be."""

    kind: str  # api_key | case_token
    id: uuid.UUID
    client_id: uuid.UUID
    prefix: str
    case_id: uuid.UUID | None = None
    expires_at: datetime | None = None  # a case token's expiry


@dataclass(frozen=True)
class CredentialCheck:
    """What a request served from the cache must still confirm: its epoch, read with the case."""

    digest: str = field(repr=False)  # SHA-256 of the secret, as stored; never logged
    epoch: int
    cache: "CredentialCache" = field(repr=False, compare=False)


class CredentialCache:
    def __init__(self, *, ttl: float = DEFAULT_TTL_SECONDS, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, tuple[Credential, int, float]] = {}
        self._newest_epoch = 0
        self._lock = threading.Lock()

    def get(self, digest: str, now: datetime) -> tuple[Credential, CredentialCheck] | None:
        """The cached credential and what its request must confirm, or None (look it up instead)."""
        entry = self._entries.get(digest)
        if entry is None:
            return None
        credential, epoch, until = entry
        if (until < time.monotonic() or epoch < self._newest_epoch
                or (credential.expires_at is not None and credential.expires_at <= now)):
            self.forget(digest)
            return None
        return credential, CredentialCheck(digest, epoch, self)

    def credential(self, digest: str) -> Credential | None:
        entry = self._entries.get(digest)
        return entry[0] if entry else None

    def put(self, digest: str, credential: Credential, epoch: int | None) -> None:
        if epoch is None or credential.kind != "api_key":
            # No epoch row: nothing could confirm the entry. Case tokens are looked up every time:
            # a token asking for another case is refused before any case statement could confirm it.
            return
        with self._lock:
            self.observe(epoch)
            if len(self._entries) >= self.max_entries:
                self._entries.clear()  # bounded: a flood of keys costs lookups, not memory
            self._entries[digest] = (credential, epoch, time.monotonic() + self.ttl)

    def forget(self, digest: str) -> None:
        self._entries.pop(digest, None)

    def observe(self, epoch: int) -> None:
        """An epoch read from the database: entries cached under an older one are not served."""
        if epoch > self._newest_epoch:
            self._newest_epoch = epoch
