"""Request edge: the request's session; it commits once, after the service has done its work."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.db.session import ON_ROLLBACK, undo_after_rollback


def _session(request: Request, *, write: bool) -> Iterator[Session]:
    factory = request.app.state.write_sessions if write else request.app.state.sessions
    session: Session = factory()
    try:
        yield session
        session.commit()
        session.info.pop(ON_ROLLBACK, None)
    except BaseException:
        session.rollback()
        undo_after_rollback(session)
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
