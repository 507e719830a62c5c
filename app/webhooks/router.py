"""Webhooks, HTTP edge: subscriptions and their delivery log."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from app.edge.auth import CurrentCaller
from app.edge.session import ReadSession, WriteSession
from app.edge.deps import Now
from app.edge.idempotency import IdempotencyGuard
from app.edge.contract import answers, problems
from app.settings import Settings
from app.webhooks import service
from app.webhooks.schemas import DeliveryPage, WebhookCreate, WebhookCreated, WebhookPage, WebhookRead

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


def _settings(request: Request) -> Settings:
    return request.app.state.settings


AppSettings = Annotated[Settings, Depends(_settings)]


@router.post("", status_code=201, response_model=WebhookCreated,
             responses=answers(201, "Subscribed; the signing secret is shown this once", headers=("Location",)))
def subscribe(body: WebhookCreate, caller: CurrentCaller, idem: IdempotencyGuard, session: WriteSession,
              settings: AppSettings, now: Now) -> Response:
    """Subscribe a URL to case notifications; the signing secret is shown only in this answer."""
    if idem.replay:
        return idem.replay
    created = service.subscribe(session=session, settings=settings, client_id=caller.client_id,
                                body=body, now=now)
    return idem.complete(session, Response(created.model_dump_json(), status_code=201,
                                           media_type="application/json",
                                           headers={"Location": f"/v1/webhooks/{created.id}"}))


@router.get("", response_model=WebhookPage)
def list_webhooks(caller: CurrentCaller, session: ReadSession) -> WebhookPage:
    """The caller's subscriptions (secrets are never shown again)."""
    return WebhookPage(items=service.list_endpoints(session=session, client_id=caller.client_id))


@router.get("/{webhook_id}", response_model=WebhookRead, responses=problems(404))
def get_webhook(webhook_id: uuid.UUID, caller: CurrentCaller, session: ReadSession) -> WebhookRead:
    """One subscription."""
    return service.endpoint_read(service.get_endpoint(session=session, client_id=caller.client_id,
                                                      webhook_id=webhook_id))


@router.delete("/{webhook_id}", status_code=204, responses=problems(404))
def unsubscribe(webhook_id: uuid.UUID, caller: CurrentCaller, session: WriteSession, now: Now) -> Response:
    """Stop sending to this URL."""
    service.unsubscribe(session=session, client_id=caller.client_id, webhook_id=webhook_id, now=now)
    return Response(status_code=204)


@router.get("/{webhook_id}/deliveries", response_model=DeliveryPage,
            responses=problems(404))
def list_deliveries(webhook_id: uuid.UUID, caller: CurrentCaller, session: ReadSession) -> DeliveryPage:
    """The latest deliveries to this URL, newest first, each with its attempts."""
    return DeliveryPage(items=service.list_deliveries(session=session, client_id=caller.client_id,
                                                      webhook_id=webhook_id))


@router.post("/{webhook_id}/deliveries/{delivery_id}/redeliver", status_code=202,
             response_class=Response, responses={
                 **answers(202, "Queued for delivery again; the answer has no body"), **problems(404)})
def redeliver(webhook_id: uuid.UUID, delivery_id: uuid.UUID, caller: CurrentCaller,
              session: WriteSession, now: Now) -> Response:
    """Queue a delivery again (same `webhook-id`); also re-enables a disabled endpoint."""
    service.redeliver(session=session, client_id=caller.client_id, webhook_id=webhook_id,
                      delivery_id=delivery_id, now=now)
    return Response(status_code=202)
