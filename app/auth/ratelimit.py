"""Authentication, throttling: a moving-window limit per API key, per case token, and on
failed authentications per client address.

With STUCKFUNDS_REDIS_URL set, every worker and host shares the counters in Redis; without
it each process counts on its own (so N workers allow up to N times the limit).
"""

import math
import time

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from app.settings import Settings


class RateLimiter:
    def __init__(self, settings: Settings) -> None:
        if settings.redis_url:
            # A prefix of its own, so deployments (and test runs) sharing a Redis never mix counts.
            self.storage = storage_from_string(settings.redis_url, key_prefix=settings.redis_key_prefix)
        else:
            self.storage = storage_from_string("memory://")
        self.strategy = MovingWindowRateLimiter(self.storage)
        self.limits: dict[str, RateLimitItem] = {
            "api_key": parse(settings.rate_limit_api_key),
            "case_token": parse(settings.rate_limit_case_token),
            "auth_failure": parse(settings.rate_limit_auth_failures),
        }
        self.shared = settings.redis_url is not None

    def hit(self, kind: str, identity: str) -> int | None:
        """Count one request; None if allowed, else the seconds to wait before retrying."""
        limit = self.limits[kind]
        if self.strategy.hit(limit, kind, identity):
            return None
        return self._wait(limit, kind, identity)

    def spent(self, kind: str, identity: str) -> int | None:
        """Without counting: None if the next hit would be allowed, else the seconds to wait."""
        limit = self.limits[kind]
        return None if self.strategy.test(limit, kind, identity) else self._wait(limit, kind, identity)

    def _wait(self, limit: RateLimitItem, kind: str, identity: str) -> int:
        reset_at, _remaining = self.strategy.get_window_stats(limit, kind, identity)
        return max(1, math.ceil(reset_at - time.time()))
