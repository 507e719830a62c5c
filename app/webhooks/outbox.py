"""Webhooks, outbox: record a case's notifications in the transaction that changed it.

Every status or risk change and every deadline coming close writes one outbox row, numbered
per case, plus one pending delivery per subscribed endpoint. Nothing is sent here: the worker
delivers later, so a failed receiver never slows or breaks the request that changed the case.
"""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Case, OutboxMessage, WebhookDelivery, WebhookEndpoint
from app.evaluation import Evaluation

STATUS_CHANGED = "case.status_changed"
RISK_CHANGED = "case.risk_changed"
DEADLINE_APPROACHING = "case.deadline_approaching"


def notify_changes(*, session: Session, case: Case, previous: tuple[str, str] | None,
                   evaluation: Evaluation, now: datetime, warning_lead: timedelta) -> None:
    """Enqueue what changed between `previous` (status, risk) and `evaluation`; set the wake-up."""
    base = {"case_id": str(case.id), "external_ref": case.external_ref,
            "status": evaluation.status, "risk_level": evaluation.risk_level,
            "escalation_level": evaluation.escalation_level, "track": evaluation.track,
            "ruleset_version": evaluation.ruleset_version}
    if previous is not None:
        status, risk = previous
        if status != evaluation.status:
            enqueue(session=session, case=case, kind=STATUS_CHANGED, now=now,
                    payload={**base, "previous_status": status})
        if risk != evaluation.risk_level:
            enqueue(session=session, case=case, kind=RISK_CHANGED, now=now,
                    payload={**base, "previous_risk_level": risk})

    wakeups = [evaluation.next_transition_at] if evaluation.next_transition_at else []
    sent: set[str] | None = None  # read only when a warning may be due
    for deadline in evaluation.deadlines:
        if deadline.lapsed:
            continue
        warn_at = deadline.due_at - warning_lead
        key = f"deadline:{deadline.kind}:{deadline.due_at.isoformat()}"
        if warn_at > now:
            wakeups.append(warn_at)
            continue
        if sent is None:
            sent = set(session.scalars(select(OutboxMessage.dedupe_key).where(
                OutboxMessage.case_id == case.id, OutboxMessage.dedupe_key.is_not(None))))
        if key not in sent:
            enqueue(session=session, case=case, kind=DEADLINE_APPROACHING, now=now, dedupe_key=key,
                    payload={**base, "deadline": {"kind": deadline.kind,
                                                  "due_at": deadline.due_at.isoformat()}})
    case.next_wakeup_at = min(wakeups) if wakeups else None


def enqueue(*, session: Session, case: Case, kind: str, payload: dict, now: datetime,
            dedupe_key: str | None = None) -> OutboxMessage:
    """One outbox row, numbered per case, and a pending delivery for each subscribed endpoint."""
    case.notify_seq += 1
    message = OutboxMessage(client_id=case.client_id, case_id=case.id, kind=kind,
                            case_seq=case.notify_seq, dedupe_key=dedupe_key,
                            payload={**payload, "case_seq": case.notify_seq}, created_at=now)
    session.add(message)
    session.flush()
    endpoints = session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.client_id == case.client_id, WebhookEndpoint.deleted_at.is_(None),
        WebhookEndpoint.disabled_at.is_(None)))
    for endpoint in endpoints:
        if kind in endpoint.event_types:
            session.add(WebhookDelivery(endpoint_id=endpoint.id, message_id=message.id,
                                        status="pending", attempt_count=0, next_attempt_at=now,
                                        created_at=now))
    return message
