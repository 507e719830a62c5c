"""Persistence: every ORM model, in one package so relationships never import in circles."""

from app.db.models.access import AuditEntry, CaseToken, IdempotencyRecord
from app.db.models.case import Case, CaseEvent
from app.db.models.client import ApiClient, ApiKey, CredentialEpoch
from app.db.models.evidence import EvidenceFile
from app.db.models.peer import PeerCount, PeerMark
from app.db.models.webhook import (
    OutboxMessage, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WorkerLease,
)

__all__ = [
    "ApiClient", "ApiKey", "CredentialEpoch", "AuditEntry", "CaseToken", "IdempotencyRecord", "Case", "CaseEvent", "EvidenceFile", "OutboxMessage", "PeerCount", "PeerMark", "WebhookAttempt",
    "WebhookDelivery", "WebhookEndpoint", "WorkerLease",
]
