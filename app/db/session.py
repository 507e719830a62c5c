"""Persistence: work to undo when a session rolls back (the request's session is app.edge.session)."""

import logging
from collections.abc import Callable

from sqlalchemy.orm import Session

log = logging.getLogger("stuckfunds.db")
ON_ROLLBACK = "on_rollback"


def on_rollback(session: Session, undo: Callable[[Session], None]) -> None:
    """Run `undo` if this request's transaction rolls back (a file written for a row never kept)."""
    session.info.setdefault(ON_ROLLBACK, []).append(undo)


def undo_after_rollback(session: Session) -> None:
    """Run what on_rollback registered; the session has just rolled back."""
    for undo in session.info.pop(ON_ROLLBACK, []):
        try:
            undo(session)
        except Exception:  # the sweep (stuckfunds evidence sweep) removes what is left behind
            log.exception("undo after rollback failed")
