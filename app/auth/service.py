"""Authentication, use cases: create clients, issue keys, resolve a presented key."""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import ApiClient, ApiKey

KEY_PREFIX = "sf_"


@dataclass(frozen=True)
class IssuedKey:
    client_id: uuid.UUID
    key: str  # shown once; only its hash is stored
    prefix: str


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_client(*, session: Session, name: str, now: datetime) -> IssuedKey:
    """Create an API client with one fresh key."""
    client = ApiClient(name=name, created_at=now)
    session.add(client)
    session.flush()
    return issue_key(session=session, client_id=client.id, now=now)


def issue_key(*, session: Session, client_id: uuid.UUID, now: datetime) -> IssuedKey:
    """Issue a new key for a client; 256 random bits, so a plain SHA-256 is a safe digest."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    prefix = key[: len(KEY_PREFIX) + 6]
    session.add(ApiKey(client_id=client_id, prefix=prefix, key_hash=hash_key(key), created_at=now))
    session.flush()
    return IssuedKey(client_id=client_id, key=key, prefix=prefix)


def client_for_key(*, session: Session, key: str) -> uuid.UUID | None:
    """The client a live key belongs to, or None."""
    row = session.execute(
        select(ApiKey.client_id).where(ApiKey.key_hash == hash_key(key), ApiKey.revoked_at.is_(None))
    ).first()
    return row[0] if row else None
