"""Worker, sweeper: re-evaluate cases whose wake-up time has passed, and store the result.

On PostgreSQL any number of workers sweep side by side: each batch is claimed with
`FOR UPDATE SKIP LOCKED`, so a case is never processed by two of them at once, and a worker
killed mid-batch only rolls back its own uncommitted batch, which another worker then takes.
"""

import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.cases import service
from app.db.models import Case
from app.evaluation import CompiledRuleset
from app.peers.service import PeerPolicy

log = logging.getLogger("stuckfunds.sweeper")
RETRY_FAILED_AFTER = timedelta(minutes=15)


def sweep_due_cases(*, sessions: sessionmaker, ruleset: CompiledRuleset, now: datetime,
                    batch_size: int, warning_lead: timedelta, worker_id: str = "",
                    peers: PeerPolicy | None = None) -> list[uuid.UUID]:
    """Process one batch of due cases in one transaction; returns their ids."""
    with sessions() as session, session.begin():
        cases = _claim(session, now=now, limit=batch_size)
        for case in cases:
            before = case.status
            try:
                # A savepoint per case: one case that cannot be evaluated must not roll back,
                # and so stall forever, the whole batch.
                with session.begin_nested():
                    evaluation = service.reevaluate(session=session, case=case, ruleset=ruleset,
                                                    now=now, warning_lead=warning_lead, peers=peers)
            except Exception:
                log.exception("case sweep failed", extra={"case_id": str(case.id), "worker": worker_id})
                case.next_wakeup_at = now + RETRY_FAILED_AFTER
                continue
            log.info("case swept", extra={"case_id": str(case.id), "worker": worker_id,
                                          "status_before": before, "status": evaluation.status})
        return [case.id for case in cases]


def _claim(session: Session, *, now: datetime, limit: int) -> list[Case]:
    query = (select(Case).where(Case.next_wakeup_at <= now).order_by(Case.next_wakeup_at)
             .limit(limit).with_for_update(skip_locked=True))
    return list(session.scalars(query))
