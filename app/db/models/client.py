"""Persistence: API clients (partner apps) and their hashed keys."""

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import Base


class ApiClient(Base):
    __tablename__ = "api_client"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]

    keys: Mapped[list["ApiKey"]] = relationship(back_populates="client", lazy="raise")


class ApiKey(Base):
    """Only a SHA-256 of the key is kept: keys are 256-bit random, so a slow hash adds nothing."""

    __tablename__ = "api_key"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_client.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    client: Mapped[ApiClient] = relationship(back_populates="keys", lazy="raise")


class CredentialEpoch(Base):
    """One row (id 1): bumped in the transaction of every revocation of a key or case token.

    Servers cache resolved credentials briefly; a request served from that cache reads this
    counter in its own case statement, and a changed value sends it back to the credential's row.
    """

    __tablename__ = "credential_epoch"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger)
