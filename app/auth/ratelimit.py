"""Authentication, throttling: a sliding-window limit per API key, per case token, and on
failed authentications per client address.

Counted with two counters per key (this window's and the last one's, weighted by how much of it
still overlaps the sliding window), so a key costs the same few bytes whatever its limit: a
moving window keeps one entry per request for the whole window, which grew a worker's memory
by about 2.5 MiB per 10,000 requests under a generous limit (issue 14). The count is the moving
window's, approximated: when the last window was busy, a request may be refused a little before
its moving-window slot would free up; and as the limits library rounds the weighted count down,
right after a window boundary one request more than the limit can be let in.

With STUCKFUNDS_REDIS_URL set, every worker and host shares the counters in Redis; without
it each process counts on its own (so N workers allow up to N times the limit).

When Redis cannot be reached the limit cannot be counted. By default requests then go through
unthrottled, with a logged warning (the API stays up; only throttling is lost); with
STUCKFUNDS_RATE_LIMIT_REDIS_DOWN=refuse they answer 503 with Retry-After instead. Either way
/readyz reports Redis as down.
"""

import logging
import math
import time

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from app.errors import ServiceUnavailable, TooManyRequests
from app.settings import Settings

log = logging.getLogger("stuckfunds.ratelimit")
# One warning per this many seconds and process is enough to page someone; one per request is a flood.
WARN_EVERY_SECONDS = 60.0


class RateLimitUnavailable(ServiceUnavailable):
    code, title = "rate-limit-unavailable", "Requests cannot be counted right now"


class SweptMemoryStorage(MemoryStorage):
    """limits' in-memory counters, with expired ones swept at most once a second, in the caller.

    MemoryStorage schedules its sweep on every count, as a `threading.Timer` 10 ms away, so a busy
    worker started a thread on almost every request. A counter read after it expired is dropped by
    `get` anyway; the sweep only frees the windows no request reads again, and once a second keeps
    that memory as flat. Counting in memory happens on the event loop (RateLimiter.shared is
    False), so the sweep needs no thread of its own.
    """

    SWEEP_EVERY_SECONDS = 1.0

    def __init__(self, uri: str | None = None, **options) -> None:
        super().__init__(uri, **options)
        self._next_sweep = time.monotonic() + self.SWEEP_EVERY_SECONDS

    # MemoryStorage's private scheduler, named as Python mangles it: incr, decr and acquire_entry
    # call it on every count.
    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + self.SWEEP_EVERY_SECONDS
            self._MemoryStorage__expire_events()


class RateLimiter:
    def __init__(self, settings: Settings) -> None:
        options: dict = {"wrap_exceptions": True}
        if settings.redis_url:
            # A prefix of its own, so deployments (and test runs) sharing a Redis never mix
            # counts; an unreachable host must fail in a fraction of a second, not hang requests.
            options |= {"key_prefix": settings.redis_key_prefix,
                        "socket_connect_timeout": settings.redis_timeout_seconds,
                        "socket_timeout": settings.redis_timeout_seconds}
        self.storage = (storage_from_string(settings.redis_url, **options) if settings.redis_url
                        else SweptMemoryStorage(**options))
        self.strategy = SlidingWindowCounterRateLimiter(self.storage)
        self.limits: dict[str, RateLimitItem] = {
            "api_key": parse(settings.rate_limit_api_key),
            "case_token": parse(settings.rate_limit_case_token),
            "auth_failure": parse(settings.rate_limit_auth_failures),
        }
        self.shared = settings.redis_url is not None
        self.refuse_when_down = settings.rate_limit_redis_down == "refuse"
        self._warned_at = -math.inf

    def hit(self, kind: str, identity: str) -> int | None:
        """Count one request; None if allowed, else the seconds to wait before retrying."""
        limit = self.limits[kind]
        try:
            if self.strategy.hit(limit, kind, identity):
                return None
            return self._wait(limit, kind, identity)
        except StorageError as exc:
            return self._unavailable(exc)

    def spent(self, kind: str, identity: str) -> int | None:
        """Without counting: None if the next hit would be allowed, else the seconds to wait."""
        limit = self.limits[kind]
        try:
            return None if self.strategy.test(limit, kind, identity) else self._wait(limit, kind, identity)
        except StorageError as exc:
            return self._unavailable(exc)

    def _wait(self, limit: RateLimitItem, kind: str, identity: str) -> int:
        reset_at, _remaining = self.strategy.get_window_stats(limit, kind, identity)
        return max(1, math.ceil(reset_at - time.time()))

    def _unavailable(self, exc: StorageError) -> None:
        now = time.monotonic()
        if now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            log.warning("rate limit storage unreachable; %s: %s",
                        "refusing requests with 503" if self.refuse_when_down else "requests go through unthrottled",
                        exc.storage_error)
        if self.refuse_when_down:
            raise RateLimitUnavailable("The rate limit store (Redis) is not reachable; retry shortly.",
                                       headers={"Retry-After": "5"})
        return None

    def reachable(self) -> bool | None:
        """Whether the shared store answers; None when there is none (counting in memory)."""
        return self.storage.check() if self.shared else None


def client_address(scope) -> str:
    """Whom failed authentications are counted against. Behind a proxy this is the proxy's
    address unless uvicorn is told to trust its X-Forwarded-For (--forwarded-allow-ips)."""
    client = scope.get("client")
    return client[0] if client else "unknown"


def refuse_if_failing_too_often(limiter: RateLimiter, address: str) -> None:
    """Guessing keys or tokens costs a lookup each: an address that failed too often is turned
    away (429) before the next one."""
    wait = limiter.spent("auth_failure", address)
    if wait is not None:
        raise TooManyRequests(f"Too many failed authentications from this address; retry in {wait} s.",
                              headers={"Retry-After": str(wait)})
