"""Observability: Prometheus metrics, counted where things happen and exposed at GET /metrics.

Counters and histograms live in each process. With several workers (`stuckfunds serve
--workers N`) `PROMETHEUS_MULTIPROC_DIR` is set before they start, each process writes its
values to files there, and a scrape of any worker sums them all (prometheus_client's
multiprocess mode). What the database knows (cases by status, the sweeper's lag) is read at
scrape time by a collector, once per scrape, so it is the same whichever worker answers.
"""

import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from functools import wraps
from typing import Any

from prometheus_client import (
    REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.db.models import Case
from app.evaluation.model import STATUSES

REQUEST_LATENCY = Histogram(
    "stuckfunds_http_request_duration_seconds", "HTTP request latency, by route template",
    ["method", "route", "status_class"],
    buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
EVENTS = Counter("stuckfunds_events_total", "Case events stored, by type", ["type"])
EVALUATIONS = Counter("stuckfunds_evaluations_total", "Evaluations run, by outcome", ["outcome"])
EVALUATION_SECONDS = Histogram(
    "stuckfunds_evaluation_duration_seconds", "Time spent in one evaluate() call",
    buckets=(.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5))
WEBHOOK_ATTEMPTS = Counter("stuckfunds_webhook_attempts_total",
                           "Webhook delivery attempts, by result", ["result"])

UNMATCHED = "unmatched"  # 404s for unknown paths: one label, not one per path tried
# Clients choose the method too; anything else is one label, so no client can grow the series.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


# The histogram's child for each label set, kept here: `labels()` checks and locks on every call.
# The set is bounded like the labels themselves (methods x route templates x status classes).
_LATENCY_CHILDREN: dict[tuple[str, str, int], Any] = {}


def observe_request(*, method: str, route: str | None, status: int, seconds: float) -> None:
    key = (method, route or UNMATCHED, status // 100)
    child = _LATENCY_CHILDREN.get(key)
    if child is None:
        child = REQUEST_LATENCY.labels(method if method in METHODS else "other", key[1], f"{key[2]}xx")
        if method in METHODS:  # an unknown method is not a key worth keeping
            _LATENCY_CHILDREN[key] = child
    child.observe(seconds)


def count_event(event_type: str) -> None:
    EVENTS.labels(event_type).inc()


def count_webhook_attempt(status_code: int | None) -> None:
    if status_code is None:
        result = "network_error"  # no answer: refused, timed out, unsafe URL, no secret
    elif 200 <= status_code < 300:
        result = "delivered"
    else:
        result = "http_error"
    WEBHOOK_ATTEMPTS.labels(result).inc()


def timed_evaluation(evaluate: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap the pure evaluator at the service layer, so app/evaluation stays free of metrics."""
    @wraps(evaluate)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        outcome = "error"
        try:
            result = evaluate(*args, **kwargs)
            outcome = "ok"
            return result
        finally:
            EVALUATION_SECONDS.observe(time.perf_counter() - started)
            EVALUATIONS.labels(outcome).inc()
    return timed


class DatabaseCollector(Collector):
    """Gauges read from the database at scrape time: cheap indexed or aggregate queries."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("stuckfunds_database_up",
                               "1 if the database answered this scrape (within 5 s on PostgreSQL)")
        now = datetime.now(timezone.utc)
        try:
            with self.engine.connect() as connection:
                if connection.dialect.name == "postgresql":
                    # The GROUP BY reads the whole table (about half a second per million cases
                    # on a small machine); a scrape must never pile up behind a slow one.
                    connection.execute(text("SET LOCAL statement_timeout = 5000"))
                by_status = dict(connection.execute(
                    select(Case.status, func.count()).group_by(Case.status)).all())
                oldest_due, due = connection.execute(
                    select(func.min(Case.next_wakeup_at), func.count())
                    .where(Case.next_wakeup_at <= now)).one()
        except SQLAlchemyError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        cases = GaugeMetricFamily("stuckfunds_cases", "Cases stored, by escalation status",
                                  labels=["status"])
        for status in (*STATUSES, *sorted(set(by_status) - set(STATUSES))):
            cases.add_metric([status], by_status.get(status, 0))
        yield cases
        if oldest_due is not None and oldest_due.tzinfo is None:
            oldest_due = oldest_due.replace(tzinfo=timezone.utc)  # SQLite keeps naive UTC
        lag = GaugeMetricFamily(
            "stuckfunds_sweeper_lag_seconds",
            "Now minus the oldest wake-up time that is due and not yet swept (0: none due)")
        lag.add_metric([], max(0.0, (now - oldest_due).total_seconds()) if oldest_due else 0.0)
        yield lag
        pending = GaugeMetricFamily("stuckfunds_sweeper_due_cases",
                                    "Cases whose wake-up time has come and that wait for the sweeper")
        pending.add_metric([], due)
        yield pending


class _ThisProcess(Collector):
    """Single-process mode: this process's own registry (metrics above, process and GC stats)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def exposition(engine: Engine) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(DatabaseCollector(engine))
    return generate_latest(registry)
