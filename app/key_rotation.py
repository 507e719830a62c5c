"""Encryption at rest, rotation: re-encrypt everything stored under the newest key.

Run by `stuckfunds keys rotate` with the new key first and the old ones after it; each batch
is a transaction of its own, so a rotation cut off half-way is simply run again.
"""

from dataclasses import dataclass

from cryptography.fernet import InvalidToken, MultiFernet
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from app.db.models import IdempotencyRecord, WebhookEndpoint

BATCH = 500


@dataclass
class RotationReport:
    webhook_secrets: int = 0
    idempotent_answers: int = 0
    unreadable: int = 0  # encrypted under none of the given keys: left as they are


def rotate_stored(*, sessions: sessionmaker, fernet: MultiFernet) -> RotationReport:
    """Re-encrypt webhook signing secrets and stored idempotent answers with the first key."""
    report = RotationReport()
    for model, column, counter in ((WebhookEndpoint, WebhookEndpoint.secret_encrypted, "webhook_secrets"),
                                   (IdempotencyRecord, IdempotencyRecord.response_body, "idempotent_answers")):
        after = None
        while True:
            with sessions.begin() as session:
                query = select(model).where(column.is_not(None)).order_by(model.id).limit(BATCH)
                if after is not None:
                    query = query.where(model.id > after)
                rows = session.scalars(query.with_for_update()).all()
                for row in rows:
                    stored = getattr(row, column.key)
                    token = stored if isinstance(stored, bytes) else stored.encode()
                    try:
                        rotated = fernet.rotate(token)
                    except InvalidToken:
                        report.unreadable += 1
                        continue
                    setattr(row, column.key, rotated if isinstance(stored, bytes) else rotated.decode())
                    setattr(report, counter, getattr(report, counter) + 1)
                count, after = len(rows), rows[-1].id if rows else None
            if count < BATCH:
                break
    return report
