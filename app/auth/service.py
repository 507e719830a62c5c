"""Authentication, use cases: clients and their API keys, end-user case tokens."""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.auth.credential_cache import Credential, CredentialCheck
from app.db.models import ApiClient, ApiKey, CaseToken, CredentialEpoch
from app.errors import Unauthorized

KEY_PREFIX = "sf_"
TOKEN_PREFIX = "sfct_"


@dataclass(frozen=True)
class IssuedKey:
    client_id: uuid.UUID
    key: str  # shown once; only its hash is stored
    prefix: str


@dataclass(frozen=True)
class IssuedToken:
    id: uuid.UUID
    case_id: uuid.UUID
    token: str  # shown once; only its hash is stored
    prefix: str
    expires_at: datetime


CHALLENGE = {"WWW-Authenticate": 'Bearer realm="stuckfunds"'}


# Table columns (Core), so a Core statement carrying it stays Core.
_EPOCH = (select(CredentialEpoch.__table__.c.value).where(CredentialEpoch.__table__.c.id == 1)
          .scalar_subquery())


def epoch_column():
    """The credential epoch as a column any statement may carry (NULL without its row)."""
    return _EPOCH


def bump_credential_epoch(session: Session) -> None:
    """Every server's cached credentials must be confirmed again: call with every revocation."""
    session.execute(update(CredentialEpoch).where(CredentialEpoch.id == 1)
                    .values(value=CredentialEpoch.value + 1))


def hash_secret(secret: str) -> str:
    """Keys and tokens carry 256 random bits, so a plain SHA-256 is a safe digest for them."""
    return hashlib.sha256(secret.encode()).hexdigest()


hash_key = hash_secret


def _new_secret(prefix: str) -> tuple[str, str]:
    secret = prefix + secrets.token_urlsafe(32)
    return secret, secret[: len(prefix) + 6]


def create_client(*, session: Session, name: str, now: datetime) -> IssuedKey:
    """Create an API client with one fresh key."""
    client = ApiClient(name=name, created_at=now)
    session.add(client)
    session.flush()
    return issue_key(session=session, client_id=client.id, now=now)


def issue_key(*, session: Session, client_id: uuid.UUID, now: datetime) -> IssuedKey:
    """A new key for a client; its other live keys stay valid (that is how rotation works)."""
    key, prefix = _new_secret(KEY_PREFIX)
    session.add(ApiKey(client_id=client_id, prefix=prefix, key_hash=hash_secret(key), created_at=now))
    session.flush()
    return IssuedKey(client_id=client_id, key=key, prefix=prefix)


def list_clients(*, session: Session) -> list[tuple[ApiClient, list[ApiKey]]]:
    clients = session.scalars(select(ApiClient).order_by(ApiClient.created_at, ApiClient.id)).all()
    keys = session.scalars(select(ApiKey).order_by(ApiKey.created_at)).all()
    return [(c, [k for k in keys if k.client_id == c.id]) for c in clients]


def find_client(*, session: Session, ref: str) -> ApiClient | None:
    """A client by id or by name."""
    try:
        found = session.get(ApiClient, uuid.UUID(ref))
    except ValueError:
        found = None
    return found or session.scalars(select(ApiClient).where(ApiClient.name == ref)).first()


def revoke_keys(*, session: Session, prefix: str | None = None, client_id: uuid.UUID | None = None,
                now: datetime) -> int:
    """Revoke one key (by prefix) or every key of a client; revoked keys fail at once.

    A client left with no live key is cut off entirely: the case tokens it handed out are
    revoked with its last key (while a rotation leaves a live key, they keep working).
    """
    query = select(ApiKey).where(ApiKey.revoked_at.is_(None))
    if prefix:
        query = query.where(ApiKey.prefix == prefix)
    if client_id:
        query = query.where(ApiKey.client_id == client_id)
    keys = session.scalars(query).all()
    for key in keys:
        key.revoked_at = now
    session.flush()
    if keys:
        bump_credential_epoch(session)
    for owner in {key.client_id for key in keys}:
        live = session.scalars(select(ApiKey.id).where(ApiKey.client_id == owner,
                                                       ApiKey.revoked_at.is_(None))).first()
        if live is None:
            session.execute(update(CaseToken).where(CaseToken.client_id == owner,
                                                    CaseToken.revoked_at.is_(None)).values(revoked_at=now))
    return len(keys)


def issue_case_token(*, session: Session, case_id: uuid.UUID, client_id: uuid.UUID, now: datetime,
                     expires_at: datetime) -> IssuedToken:
    """A token that reaches this one case and nothing else."""
    token, prefix = _new_secret(TOKEN_PREFIX)
    row = CaseToken(case_id=case_id, client_id=client_id, prefix=prefix, token_hash=hash_secret(token),
                    created_at=now, expires_at=expires_at)
    session.add(row)
    session.flush()
    return IssuedToken(id=row.id, case_id=case_id, token=token, prefix=prefix, expires_at=expires_at)


def list_case_tokens(*, session: Session, case_id: uuid.UUID) -> list[CaseToken]:
    return list(session.scalars(select(CaseToken).where(CaseToken.case_id == case_id)
                                .order_by(CaseToken.created_at, CaseToken.id)))


def resolve(*, session: Session, secret: str, now: datetime) -> Credential | None:
    """The live key or unexpired, unrevoked case token a presented secret belongs to."""
    return resolve_digest(session=session, digest=hash_secret(secret),
                          token=secret.startswith(TOKEN_PREFIX), now=now)[0]


def resolve_digest(*, session: Session, digest: str, token: bool,
                   now: datetime) -> tuple[Credential | None, int | None]:
    """The credential of a secret's digest and the credential epoch, read in one statement."""
    if token:
        row = session.execute(select(CaseToken.id, CaseToken.client_id, CaseToken.prefix,
                                     CaseToken.case_id, CaseToken.expires_at, epoch_column())
                              .where(CaseToken.token_hash == digest, CaseToken.revoked_at.is_(None),
                                     CaseToken.expires_at > now)).first()
        if row is None:
            return None, None
        return Credential("case_token", row[0], row[1], row[2], row[3], row[4]), row[5]
    row = session.execute(select(ApiKey.id, ApiKey.client_id, ApiKey.prefix, epoch_column())
                          .where(ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None))).first()
    if row is None:
        return None, None
    return Credential("api_key", row[0], row[1], row[2]), row[3]


def confirm(*, session: Session, check: CredentialCheck | None, epoch: int | None, now: datetime) -> None:
    """A cached credential, against the epoch its request's case statement read: 401 if revoked since."""
    if check is None or (epoch is not None and epoch == check.epoch):
        return
    cached = check.cache.credential(check.digest)
    credential, epoch = resolve_digest(session=session, digest=check.digest,
                                       token=cached is not None and cached.kind == "case_token", now=now)
    if credential is None or cached is None or credential.id != cached.id:
        check.cache.forget(check.digest)
        raise Unauthorized("The API key or case token is unknown, expired or revoked.", headers=CHALLENGE)
    check.cache.put(check.digest, credential, epoch)
