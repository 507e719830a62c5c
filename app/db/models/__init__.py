"""Persistence: every ORM model, in one package so relationships never import in circles."""

from app.db.models.case import Case, CaseEvent
from app.db.models.client import ApiClient, ApiKey

__all__ = ["ApiClient", "ApiKey", "Case", "CaseEvent"]
