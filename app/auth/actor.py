"""Authentication, who acts: the caller as services and the audit trail see it."""

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """Who acts: the kind of credential and its public prefix (never the secret)."""

    client_id: uuid.UUID
    kind: str  # api_key | case_token | system
    prefix: str
    request_id: str | None = None
