"""Test support: start a burst of requests inside one rate-limit window.

The limits are counted by a sliding-window counter (app.auth.ratelimit), whose weighted count
the limits library rounds down: right after a window boundary the previous window's hits weigh a
hair under their number, and one request more than the limit is let in. A test that checks the
request past the limit is refused therefore starts its burst well inside a window.
"""

import time


def start_inside_a_window(window_seconds: int = 60, margin_seconds: float = 3.0) -> None:
    """Sleep into the next window when the current one has less than `margin_seconds` left."""
    left = window_seconds - time.time() % window_seconds
    if left < margin_seconds:
        time.sleep(left + 0.05)
