"""Authentication, throttling: a moving-window limit per API key and per case token.

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
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from app.problems import ServiceUnavailable
from app.settings import Settings

log = logging.getLogger("stuckfunds.ratelimit")
# One warning per this many seconds and process is enough to page someone; one per request is a flood.
WARN_EVERY_SECONDS = 60.0


class RateLimitUnavailable(ServiceUnavailable):
    code, title = "rate-limit-unavailable", "Requests cannot be counted right now"


class RateLimiter:
    def __init__(self, settings: Settings) -> None:
        options: dict = {"wrap_exceptions": True}
        if settings.redis_url:
            # An unreachable host must fail in a fraction of a second, not hang every request.
            options |= {"socket_connect_timeout": settings.redis_timeout_seconds,
                        "socket_timeout": settings.redis_timeout_seconds}
        self.storage = storage_from_string(settings.redis_url or "memory://", **options)
        self.strategy = MovingWindowRateLimiter(self.storage)
        self.limits: dict[str, RateLimitItem] = {
            "api_key": parse(settings.rate_limit_api_key),
            "case_token": parse(settings.rate_limit_case_token),
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
            reset_at, _remaining = self.strategy.get_window_stats(limit, kind, identity)
        except StorageError as exc:
            return self._unavailable(exc)
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
