"""Authentication, throttling: a moving-window limit per API key and per case token.

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
        uri = settings.redis_url or "memory://"
        self.storage = storage_from_string(uri)
        self.strategy = MovingWindowRateLimiter(self.storage)
        self.limits: dict[str, RateLimitItem] = {
            "api_key": parse(settings.rate_limit_api_key),
            "case_token": parse(settings.rate_limit_case_token),
        }
        self.shared = settings.redis_url is not None

    def hit(self, kind: str, identity: str) -> int | None:
        """Count one request; None if allowed, else the seconds to wait before retrying."""
        limit = self.limits[kind]
        if self.strategy.hit(limit, kind, identity):
            return None
        reset_at, _remaining = self.strategy.get_window_stats(limit, kind, identity)
        return max(1, math.ceil(reset_at - time.time()))
