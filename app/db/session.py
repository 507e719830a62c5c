"""Persistence: the request's session; it commits once, after the service has done its work."""

import logging
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

log = logging.getLogger("stuckfunds.db")
_ON_ROLLBACK = "on_rollback"


def on_rollback(session: Session, undo: Callable[[Session], None]) -> None:
    """Run `undo` if this request's transaction rolls back (a file written for a row never kept)."""
    session.info.setdefault(_ON_ROLLBACK, []).append(undo)


def _undo_after_rollback(session: Session) -> None:
    for undo in session.info.pop(_ON_ROLLBACK, []):
        try:
            undo(session)
        except Exception:  # the sweep (stuckfunds evidence sweep) removes what is left behind
            log.exception("undo after rollback failed")


def _session(request: Request, *, write: bool) -> Iterator[Session]:
    factory = request.app.state.write_sessions if write else request.app.state.sessions
    session: Session = factory()
    try:
        yield session
        session.commit()
        session.info.pop(_ON_ROLLBACK, None)
    except BaseException:
        session.rollback()
        _undo_after_rollback(session)
        raise
    finally:
        session.close()


def get_session(request: Request) -> Iterator[Session]:
    yield from _session(request, write=False)


def get_write_session(request: Request) -> Iterator[Session]:
    yield from _session(request, write=True)


# scope="function": the commit happens before the response is sent, so a 201 is never sent
# for an event that then fails to commit.
ReadSession = Annotated[Session, Depends(get_session, scope="function")]
WriteSession = Annotated[Session, Depends(get_write_session, scope="function")]
