"""Webhooks, request and response edge: subscriptions and their delivery log."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from app.schemas import ReadSchema, Schema

EventKind = Literal["case.status_changed", "case.risk_changed", "case.deadline_approaching"]


# http(s), a host (name or IP literal), an optional port, no user info: what urlguard accepts.
URL_PATTERN = (r"^[Hh][Tt][Tt][Pp][Ss]?://([A-Za-z0-9._~%!$&'()*+,;=-]+|\[[0-9A-Fa-f:.]+\])"
               r"(:[0-9]{0,5})?([/?#][^\s]*)?$")


class WebhookCreate(Schema):
    url: Annotated[str, StringConstraints(min_length=8, max_length=2000, pattern=URL_PATTERN)] = Field(
        description="An http(s) URL on a public address", json_schema_extra={"format": "uri"})
    events: list[EventKind] = Field(
        default_factory=lambda: ["case.status_changed", "case.risk_changed", "case.deadline_approaching"],
        min_length=1, max_length=3)


class WebhookRead(ReadSchema):
    id: uuid.UUID
    url: str
    events: list[str]
    created_at: datetime
    disabled_at: datetime | None
    disabled_reason: str | None


class WebhookCreated(WebhookRead):
    secret: str = Field(description="The signing secret (Standard Webhooks), shown only this once")


class WebhookPage(BaseModel):
    items: list[WebhookRead]


class AttemptRead(ReadSchema):
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryRead(BaseModel):
    id: uuid.UUID
    webhook_id: str = Field(description="The `webhook-id` header: stable across retries")
    event: str
    case_id: uuid.UUID
    case_seq: int
    status: Literal["pending", "delivered", "failed"]
    attempt_count: int
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    attempts: list[AttemptRead]


class DeliveryPage(BaseModel):
    items: list[DeliveryRead]
