"""Worker, loop: sweep due cases and deliver due webhooks until told to stop.

Runs as `stuckfunds worker`, or as a thread inside `stuckfunds serve` on the embedded default.
On SQLite a lease row makes sure exactly one worker is active at a time; on PostgreSQL many
run side by side (their batches never overlap: SKIP LOCKED).
"""

import logging
import os
import socket
import threading
from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import sessionmaker

from app.db.models import WorkerLease
from app.evaluation import CompiledRuleset
from app.peers.service import PeerPolicy
from app.edge.idempotency import purge_expired
from app.settings import Settings
from app.webhooks.transport import webhook_client
from app.webhooks.urlguard import Policy
from app.worker.delivery import deliver_due
from app.worker.sweeper import sweep_due_cases

log = logging.getLogger("stuckfunds.worker")
LEASE_NAME = "sqlite-worker"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Worker:
    def __init__(self, *, settings: Settings, sessions: sessionmaker, ruleset: CompiledRuleset,
                 clock=utcnow) -> None:
        self.settings = settings
        self.sessions = sessions
        self.ruleset = ruleset
        self.clock = clock
        self.id = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
        self.http = webhook_client(Policy.from_settings(settings))

    def run_once(self) -> tuple[int, int]:
        """One round: every due case (batch by batch), then one batch of deliveries."""
        if self.settings.is_sqlite and not self._hold_lease():
            return 0, 0
        lead = timedelta(hours=self.settings.deadline_warning_hours)
        swept = 0
        while True:
            ids = sweep_due_cases(sessions=self.sessions, ruleset=self.ruleset, now=self.clock(),
                                  batch_size=self.settings.worker_batch_size, warning_lead=lead,
                                  worker_id=self.id, peers=PeerPolicy.from_settings(self.settings))
            swept += len(ids)
            if len(ids) < self.settings.worker_batch_size:
                break
        with self.sessions() as session, session.begin():
            purge_expired(session, self.clock())
        delivered = deliver_due(sessions=self.sessions, settings=self.settings, now=self.clock(),
                                batch_size=self.settings.worker_batch_size, client=self.http,
                                clock=self.clock)
        return swept, delivered

    def run_forever(self, stop: threading.Event) -> None:
        log.info("worker started", extra={"worker": self.id})
        while not stop.is_set():
            try:
                swept, delivered = self.run_once()
            except Exception:  # keep the loop alive; the next round retries what failed
                log.exception("worker round failed", extra={"worker": self.id})
                swept = delivered = 0
            if not swept and not delivered:
                stop.wait(self.settings.worker_poll_seconds)
        self.http.close()
        log.info("worker stopped", extra={"worker": self.id})

    def _hold_lease(self) -> bool:
        now = self.clock()
        ttl = timedelta(seconds=max(30.0, self.settings.worker_poll_seconds * 10))
        with self.sessions() as session, session.begin():
            lease = session.get(WorkerLease, LEASE_NAME)
            if lease is None:
                session.add(WorkerLease(name=LEASE_NAME, holder=self.id, expires_at=now + ttl))
                return True
            if lease.holder == self.id or lease.expires_at <= now:
                lease.holder, lease.expires_at = self.id, now + ttl
                return True
            return False


def start_background_worker(worker: Worker) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(stop,), name="stuckfunds-worker",
                              daemon=True)
    thread.start()
    return thread, stop
