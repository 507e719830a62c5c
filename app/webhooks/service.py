"""Webhooks, use cases: subscribe, list, unsubscribe, read deliveries, redeliver."""

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import OutboxMessage, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from app.errors import InvalidRequest, NotFound
from app.settings import Settings
from app.webhooks.schemas import AttemptRead, DeliveryRead, WebhookCreate, WebhookCreated, WebhookRead
from app.keyring import encrypt
from app.webhooks.secrets import new_signing_secret
from app.webhooks.urlguard import Policy, UnsafeUrl, check_url


def endpoint_read(endpoint: WebhookEndpoint) -> WebhookRead:
    return WebhookRead(id=endpoint.id, url=endpoint.url, events=endpoint.event_types,
                       created_at=endpoint.created_at, disabled_at=endpoint.disabled_at,
                       disabled_reason=endpoint.disabled_reason)


def subscribe(*, session: Session, settings: Settings, client_id: uuid.UUID, body: WebhookCreate,
              now: datetime) -> WebhookCreated:
    """Register a receiver URL; its signing secret is returned once and stored encrypted."""
    try:
        check_url(body.url, policy=Policy.from_settings(settings))
    except UnsafeUrl as exc:
        raise InvalidRequest(f"url {exc}.", field="url") from exc
    secret = new_signing_secret()
    endpoint = WebhookEndpoint(client_id=client_id, url=body.url, event_types=list(dict.fromkeys(body.events)),
                               secret_encrypted=encrypt(settings, secret), created_at=now)
    session.add(endpoint)
    session.flush()
    return WebhookCreated(**endpoint_read(endpoint).model_dump(), secret=secret)


def get_endpoint(*, session: Session, client_id: uuid.UUID, webhook_id: uuid.UUID) -> WebhookEndpoint:
    endpoint = session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.id == webhook_id, WebhookEndpoint.client_id == client_id,
        WebhookEndpoint.deleted_at.is_(None))).first()
    if endpoint is None:
        raise NotFound("No such webhook.")
    return endpoint


def list_endpoints(*, session: Session, client_id: uuid.UUID) -> list[WebhookRead]:
    rows = session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.client_id == client_id, WebhookEndpoint.deleted_at.is_(None))
        .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id))
    return [endpoint_read(e) for e in rows]


def unsubscribe(*, session: Session, client_id: uuid.UUID, webhook_id: uuid.UUID, now: datetime) -> None:
    """Stop sending to an endpoint; its delivery log is kept."""
    get_endpoint(session=session, client_id=client_id, webhook_id=webhook_id).deleted_at = now


def list_deliveries(*, session: Session, client_id: uuid.UUID, webhook_id: uuid.UUID,
                    limit: int = 100) -> list[DeliveryRead]:
    endpoint = get_endpoint(session=session, client_id=client_id, webhook_id=webhook_id)
    rows = session.execute(
        select(WebhookDelivery, OutboxMessage)
        .join(OutboxMessage, OutboxMessage.id == WebhookDelivery.message_id)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(WebhookDelivery.created_at.desc(), OutboxMessage.case_seq.desc()).limit(limit)).all()
    attempts: dict[uuid.UUID, list[AttemptRead]] = {}
    if rows:
        for attempt in session.scalars(select(WebhookAttempt).where(
                WebhookAttempt.delivery_id.in_([d.id for d, _ in rows]))
                .order_by(WebhookAttempt.attempted_at, WebhookAttempt.id)):
            attempts.setdefault(attempt.delivery_id, []).append(AttemptRead.model_validate(attempt))
    return [
        DeliveryRead(id=d.id, webhook_id=f"msg_{m.id.hex}", event=m.kind, case_id=m.case_id,
                     case_seq=m.case_seq, status=d.status, attempt_count=d.attempt_count,
                     next_attempt_at=d.next_attempt_at, delivered_at=d.delivered_at,
                     created_at=d.created_at, attempts=attempts.get(d.id, []))
        for d, m in rows
    ]


def redeliver(*, session: Session, client_id: uuid.UUID, webhook_id: uuid.UUID,
              delivery_id: uuid.UUID, now: datetime) -> None:
    """Send a delivery again as soon as a worker can, with the same `webhook-id`."""
    endpoint = get_endpoint(session=session, client_id=client_id, webhook_id=webhook_id)
    delivery = session.scalars(select(WebhookDelivery).where(
        WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint.id)).first()
    if delivery is None:
        raise NotFound("No such delivery.")
    delivery.status, delivery.next_attempt_at, delivery.lease_until = "pending", now, None
    delivery.attempt_count = 0
    # Asking for a redelivery is also how a client turns a disabled endpoint back on.
    endpoint.disabled_at, endpoint.disabled_reason = None, None
