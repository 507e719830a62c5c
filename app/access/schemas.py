"""Access, response edge: case tokens and audit entries."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, StrictFloat

from app.auth.schemas import CaseTokenRead
from app.schemas import ReadSchema, Schema


class CaseTokenCreate(Schema):
    # Strict: a number as the contract says, not `true` or "30" read as one.
    ttl_days: StrictFloat | None = Field(default=None, gt=0, le=366,
                                         description="Lifetime in days (default from settings)")


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
