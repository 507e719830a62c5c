"""Authentication, response shapes: a case token as its holder and its partner see it."""

import uuid
from datetime import datetime

from pydantic import Field

from app.schemas import ReadSchema


class CaseTokenRead(ReadSchema):
    id: uuid.UUID
    prefix: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class CaseTokenIssued(CaseTokenRead):
    token: str = Field(description="Bearer token for this one case, shown only this once")
