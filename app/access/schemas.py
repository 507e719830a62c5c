"""Access, response edge: case tokens and audit entries."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, StrictFloat

from app.schemas import ReadSchema, Schema


class CaseTokenCreate(Schema):
    # Strict: a number as the contract says, not `true` or "30" read as one.
    ttl_days: StrictFloat | None = Field(default=None, gt=0, le=366,
                                         description="Lifetime in days (default from settings)")


class CaseTokenRead(ReadSchema):
    id: uuid.UUID
    prefix: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class CaseTokenIssued(CaseTokenRead):
    token: str = Field(description="Bearer token for this one case, shown only this once")


class CaseTokenPage(BaseModel):
    items: list[CaseTokenRead]


class AuditRead(ReadSchema):
    created_at: datetime
    actor_kind: str
    actor: str = Field(description="The key or token prefix that acted")
    action: str
    request_id: str | None
    detail: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditRead]
    next_cursor: str | None = Field(default=None, description="Pass as `cursor` for the next page; null on the last")
