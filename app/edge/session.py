"""Request edge: the request's session; it commits once, after the service has done its work.

A route either declares a session (ReadSession, WriteSession) or, to make one trip to the thread
pool, is `async` and hands its database work to `read` or `write`.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.db.session import ON_ROLLBACK, undo_after_rollback

T = TypeVar("T")


@contextmanager
def _transaction(factory) -> Iterator[Session]:
    """One session, committed once at the end; rolled back (and its files undone) on any error."""
    session: Session = factory()
    try:
        yield session
        try:
            session.commit()
        except DBAPIError as error:
            error.during_commit = True  # the outcome is unknown: never run the work again
            raise
        session.info.pop(ON_ROLLBACK, None)
    except BaseException:
        session.rollback()
        undo_after_rollback(session)
        raise
    finally:
        session.close()


def _session(request: Request, *, write: bool) -> Iterator[Session]:
    with _transaction(request.app.state.write_sessions if write else request.app.state.sessions) as session:
        yield session


def get_session(request: Request) -> Iterator[Session]:
    yield from _session(request, write=False)


def get_write_session(request: Request) -> Iterator[Session]:
    yield from _session(request, write=True)


# scope="function": the commit happens before the response is sent, so a 201 is never sent
# for an event that then fails to commit.
ReadSession = Annotated[Session, Depends(get_session, scope="function")]
WriteSession = Annotated[Session, Depends(get_write_session, scope="function")]


def _in_one_transaction(factory, work: Callable[[Session], T]) -> T:
    try:
        return _attempt(factory, work)
    except DBAPIError as error:
        # The connection was found dead before the commit was sent (the server dropped it while
        # it sat in the pool): nothing was written, the pool is renewed, the work runs again once.
        if not error.connection_invalidated or getattr(error, "during_commit", False):
            raise
        return _attempt(factory, work)


def _attempt(factory, work: Callable[[Session], T]) -> T:
    with _transaction(factory) as session:
        return work(session)


async def write(request: Request, work: Callable[[Session], T]) -> T:
    """Run a write route's database work in one worker thread: lock, work, render and commit there.

    The row lock (on SQLite the database's write lock) is taken and released in the same thread,
    with no other thread-pool task in between that could queue behind requests waiting for it.
    """
    return await run_in_threadpool(_in_one_transaction, request.app.state.write_sessions, work)


async def read(request: Request, work: Callable[[Session], T]) -> T:
    """Run a read route's database work, and its rendering, in one worker thread."""
    return await run_in_threadpool(_in_one_transaction, request.app.state.sessions, work)
