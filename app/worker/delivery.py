"""Worker, deliveries: send due webhooks, signed per the Standard Webhooks spec.

A delivery is leased in a short transaction before its HTTP call and settled in another
after it, so no database lock is held while a receiver is slow; a worker that dies mid-call
leaves a lease that runs out, and the delivery is sent again (receivers de-duplicate by the
stable `webhook-id`).
"""

import json
import logging
import random
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import httpx
from cryptography.fernet import InvalidToken
from sqlalchemy import or_, select
from sqlalchemy.orm import sessionmaker
from standardwebhooks.webhooks import Webhook

from app.db.models import OutboxMessage, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from app.metrics import count_webhook_attempt
from app.settings import Settings
from app.keyring import decrypt
from app.webhooks.urlguard import UnsafeUrl, parse_url

log = logging.getLogger("stuckfunds.webhooks")
MAX_RETRY_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Job:
    delivery_id: uuid.UUID
    endpoint_id: uuid.UUID
    url: str
    secret: str
    message_id: uuid.UUID
    kind: str
    payload: dict
    created_at: datetime
    attempt: int


def backoff(attempt: int, settings: Settings, rng: random.Random = random.SystemRandom()) -> timedelta:
    """Exponential backoff with ±20% jitter: 5 s, 10 s, 20 s... capped at 8 h; 21 tries span ~3 days."""
    base = min(settings.webhook_backoff_cap_seconds,
               settings.webhook_backoff_base_seconds * 2 ** max(attempt - 1, 0))
    return timedelta(seconds=base * rng.uniform(0.8, 1.2))


def retry_after(header: str | None, now: datetime) -> timedelta | None:
    """Parse Retry-After (seconds or an HTTP date); None when absent or unreadable."""
    if not header:
        return None
    try:
        delay = timedelta(seconds=max(0, int(header.strip())))
    except ValueError:
        try:
            delay = parsedate_to_datetime(header) - now
        except (TypeError, ValueError):
            return None
    return min(max(delay, timedelta(0)), MAX_RETRY_AFTER)


def deliver_due(*, sessions: sessionmaker, settings: Settings, now: datetime, batch_size: int,
                client: httpx.Client, clock=None) -> int:
    """Lease and send one batch of due deliveries; returns how many were attempted."""
    jobs = _lease(sessions, settings, now, batch_size)
    disabled: set[uuid.UUID] = set()
    attempted = 0
    try:
        while jobs:
            job = jobs.pop(0)
            if job.endpoint_id in disabled:
                # An earlier job of this batch disabled the endpoint (410, or too many failures):
                # send nothing more to it; the delivery waits, pending, until it is enabled again.
                _release(sessions, job)
                continue
            attempted += 1
            if _send(sessions, settings, job, client, clock or (lambda: now)):
                disabled.add(job.endpoint_id)
    finally:
        # Cut off half-way (the database went away, the worker is stopping): what was leased
        # and not attempted is due again at once, not after its lease runs out.
        for job in jobs:
            try:
                _release(sessions, job)
            except Exception:
                log.exception("could not release a leased delivery", extra={"delivery_id": str(job.delivery_id)})
    return attempted


def _release(sessions: sessionmaker, job: Job) -> None:
    with sessions() as session, session.begin():
        delivery = session.get(WebhookDelivery, job.delivery_id, with_for_update=True)
        delivery.lease_until = None
        delivery.attempt_count -= 1  # counted when leased, never attempted


def _lease(sessions: sessionmaker, settings: Settings, now: datetime, limit: int) -> list[Job]:
    lease = timedelta(seconds=settings.webhook_timeout_seconds * 2 + 30)
    with sessions() as session, session.begin():
        rows = session.execute(
            select(WebhookDelivery, WebhookEndpoint, OutboxMessage)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .join(OutboxMessage, OutboxMessage.id == WebhookDelivery.message_id)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now,
                   or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until <= now),
                   WebhookEndpoint.disabled_at.is_(None), WebhookEndpoint.deleted_at.is_(None))
            # Oldest first: a case's notifications go out in their per-case order.
            .order_by(OutboxMessage.created_at, OutboxMessage.case_seq)
            .limit(limit).with_for_update(skip_locked=True, of=WebhookDelivery)
        ).all()
        jobs = []
        for delivery, endpoint, message in rows:
            try:
                secret = decrypt(settings, endpoint.secret_encrypted)
            except InvalidToken:
                # The key changed: this endpoint cannot be signed for, the others still can.
                delivery.next_attempt_at = now + backoff(delivery.attempt_count + 1, settings)
                delivery.last_error = "the signing secret cannot be decrypted with the current key"
                log.error("webhook secret undecryptable", extra={"endpoint_id": str(endpoint.id)})
                continue
            delivery.lease_until = now + lease
            delivery.attempt_count += 1
            jobs.append(Job(delivery.id, endpoint.id, endpoint.url, secret, message.id, message.kind,
                            message.payload, message.created_at, delivery.attempt_count))
        return jobs


def _send(sessions: sessionmaker, settings: Settings, job: Job, client: httpx.Client, clock) -> bool:
    """One attempt; True when its outcome disabled the endpoint."""
    body = json.dumps({"type": job.kind, "timestamp": job.created_at.isoformat(), "data": job.payload},
                      separators=(",", ":"), ensure_ascii=False)
    msg_id = f"msg_{job.message_id.hex}"
    # Receivers check webhook-timestamp against their own clock (replay protection), so it is
    # the wall-clock time of sending, whatever clock schedules the retries.
    sent_at = datetime.now(timezone.utc)
    headers = {"content-type": "application/json", "webhook-id": msg_id,
               "webhook-timestamp": str(int(sent_at.timestamp())),
               "webhook-signature": Webhook(job.secret).sign(msg_id, sent_at, body),
               "user-agent": "StuckFunds-Webhooks/1"}
    status_code, error, wait = None, None, None
    started = time.monotonic()
    try:
        # The client's transport checks the address it connects to (app/webhooks/transport.py).
        response = client.post(parse_url(job.url), content=body.encode(), headers=headers,
                               timeout=settings.webhook_timeout_seconds, follow_redirects=False)
        status_code = response.status_code
        if status_code in (429, 503):
            wait = retry_after(response.headers.get("retry-after"), clock())
    except UnsafeUrl as exc:
        error = f"refused: {exc}"
    except Exception as exc:
        # Whatever one receiver's URL or answer does, it is that delivery's failed attempt:
        # it never escapes the batch and strands the other clients' deliveries.
        error = f"{type(exc).__name__}: {exc}"[:500]
        if not isinstance(exc, httpx.HTTPError):
            log.warning("webhook attempt raised", exc_info=True, extra={"delivery_id": str(job.delivery_id)})
    duration = int((time.monotonic() - started) * 1000)
    return _settle(sessions, settings, job, status_code, error, wait, duration, clock())


def _settle(sessions, settings, job: Job, status_code, error, wait, duration_ms, now) -> bool:
    with sessions() as session, session.begin():
        delivery = session.get(WebhookDelivery, job.delivery_id, with_for_update=True)
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
        session.add(WebhookAttempt(delivery_id=delivery.id, attempted_at=now, status_code=status_code,
                                   error=error, duration_ms=duration_ms))
        delivery.lease_until = None
        delivery.last_status_code = status_code
        delivery.last_error = error
        if status_code is not None and 200 <= status_code < 300:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = "delivered", now, None
        elif status_code == 410:
            delivery.status, delivery.next_attempt_at = "failed", None
            endpoint.disabled_at, endpoint.disabled_reason = now, "receiver answered 410 Gone"
        elif delivery.attempt_count >= settings.webhook_max_attempts:
            delivery.status, delivery.next_attempt_at = "failed", None
            endpoint.disabled_at = now
            endpoint.disabled_reason = f"failed {delivery.attempt_count} times in a row"
        else:
            delivery.next_attempt_at = now + (wait if wait is not None
                                              else backoff(delivery.attempt_count, settings))
        disabled = endpoint.disabled_at is not None
    count_webhook_attempt(status_code)
    log.info("webhook attempt", extra={"delivery_id": str(job.delivery_id), "status": status_code,
                                       "error": error, "attempt": job.attempt})
    return disabled
