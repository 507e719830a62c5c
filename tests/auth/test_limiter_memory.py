"""The rate limiter's memory: a key's counting state does not grow with its requests (issue 14).

A moving window kept one entry per request for the whole window, so under a generous limit a
worker's memory grew with every request. Measured with tracemalloc on the limiter alone, in
this process (no timing).
"""

import gc
import threading
import time
import tracemalloc

from app.auth.ratelimit import RateLimiter
from app.settings import Settings
from tests.conftest import TEST_SECRET_KEY
from tests.support.windows import start_inside_a_window

KiB = 1024


def _grown_by(limiter: RateLimiter, hits: int) -> int:
    """Bytes still allocated after `hits` more requests of one key, counted while traced."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(hits):
            assert limiter.hit("api_key", "one-key") is None
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_a_key_costs_the_same_memory_after_20000_requests_as_after_2000(tmp_path):
    limiter = RateLimiter(Settings(database_url=f"sqlite:///{tmp_path / 'unused.db'}",
                                   secret_key=TEST_SECRET_KEY, rate_limit_api_key="10000000/hour"))
    for _ in range(2000):  # warm-up: the key and the storage's own structures exist
        limiter.hit("api_key", "one-key")
    grown = _grown_by(limiter, 20_000)
    # One entry per request (the moving window) would be about 2 MiB here.
    assert grown < 64 * KiB, f"{grown / KiB:.0f} KiB kept for 20,000 requests of one key"


def test_the_limit_still_refuses_the_request_past_it(tmp_path):
    limiter = RateLimiter(Settings(database_url=f"sqlite:///{tmp_path / 'unused.db'}",
                                   secret_key=TEST_SECRET_KEY, rate_limit_api_key="5/minute"))
    start_inside_a_window()
    assert [limiter.hit("api_key", "k") for _ in range(5)] == [None] * 5
    wait = limiter.hit("api_key", "k")
    assert wait is not None and 1 <= wait <= 60
    assert limiter.hit("api_key", "other") is None  # another key counts on its own


def test_counting_in_memory_starts_no_thread_per_request(tmp_path):
    limiter = RateLimiter(Settings(database_url=f"sqlite:///{tmp_path / 'unused.db'}",
                                   secret_key=TEST_SECRET_KEY, rate_limit_api_key="10000000/hour"))
    limiter.storage.timer.join()  # the one timer limits starts with the storage
    started = threading.active_count()
    for _ in range(2000):
        limiter.hit("api_key", "one-key")
        assert threading.active_count() == started


def test_windows_no_request_reads_again_are_swept(tmp_path, monkeypatch):
    limiter = RateLimiter(Settings(database_url=f"sqlite:///{tmp_path / 'unused.db'}",
                                   secret_key=TEST_SECRET_KEY, rate_limit_api_key="5/second"))
    for key in range(100):
        limiter.hit("api_key", f"key-{key}")
    assert len(limiter.storage.storage) == 100
    later = time.time() + 3  # past both windows of every key
    monkeypatch.setattr(time, "time", lambda: later)
    limiter.storage._next_sweep = 0  # the next count is due to sweep
    limiter.hit("api_key", "another")
    assert len(limiter.storage.storage) == 1
