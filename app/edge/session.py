"""Request edge: the request's session; it commits once, after the service has done its work.

A route either declares a session (ReadSession, WriteSession) or, to make one trip to the thread
pool, is `async` and hands its database work to `read` or `write`.
"""

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, Request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.db.session import ON_ROLLBACK, undo_after_rollback

T = TypeVar("T")


@contextmanager
def _transaction(factory, *, write: bool = True) -> Iterator[Session]:
    """One session, committed once at the end; rolled back (and its files undone) on any error.

    A read session's connection commits each statement on its own (app.db.engine.reading), so
    what it sent is kept already: it is flushed, as a commit would, and closed, without the
    commit's bookkeeping.
    """
    session: Session = factory()
    try:
        yield session
        if write:
            try:
                session.commit()
            except DBAPIError as error:
                error.during_commit = True  # the outcome is unknown: never run the work again
                raise
        else:
            session.flush()
        session.info.pop(ON_ROLLBACK, None)
    except BaseException:
        session.rollback()
        undo_after_rollback(session)
        raise
    finally:
        session.close()


def _session(request: Request, *, write: bool) -> Iterator[Session]:
    with _transaction(request.app.state.write_sessions if write else request.app.state.sessions,
                      write=write) as session:
        yield session


def get_session(request: Request) -> Iterator[Session]:
    yield from _session(request, write=False)


def get_write_session(request: Request) -> Iterator[Session]:
    yield from _session(request, write=True)


# scope="function": the commit happens before the response is sent, so a 201 is never sent
# for an event that then fails to commit.
ReadSession = Annotated[Session, Depends(get_session, scope="function")]
WriteSession = Annotated[Session, Depends(get_write_session, scope="function")]


def _in_one_transaction(factory, work: Callable[[Session], T], write: bool) -> T:
    try:
        return _attempt(factory, work, write)
    except DBAPIError as error:
        # The connection was found dead before the commit was sent (the server dropped it while
        # it sat in the pool): nothing was written, the pool is renewed, the work runs again once.
        if not error.connection_invalidated or getattr(error, "during_commit", False):
            raise
        return _attempt(factory, work, write)


def _attempt(factory, work: Callable[[Session], T], write: bool) -> T:
    with _transaction(factory, write=write) as session:
        return work(session)


def _database_limiter(state) -> anyio.CapacityLimiter:
    """At most as many `read` and `write` works at once as the engine's pool keeps connections.

    More requests than that wait in the event loop for a token, not in a thread for a
    connection: they neither open and close connections beyond the pool's size nor hold a
    thread meanwhile. The tokens are apart from the thread pool's default limiter (sync routes
    and dependencies), so a request waiting here never waits behind those, nor they behind it.
    One limiter per event loop, as anyio's own default limiter is.
    """
    loop = asyncio.get_running_loop()
    held = getattr(state, "database_limiter", None)
    if held is None or held[0] is not loop:
        held = state.database_limiter = (loop, anyio.CapacityLimiter(state.settings.db_pool_size))
    return held[1]


async def _in_thread(request: Request, factory, work: Callable[[Session], T], write: bool) -> T:
    # As run_in_threadpool: a request cancelled once its work has started waits for it (the work
    # holds a connection, and maybe a row lock, until it commits or rolls back).
    return await anyio.to_thread.run_sync(_in_one_transaction, factory, work, write,
                                          limiter=_database_limiter(request.app.state))


async def write(request: Request, work: Callable[[Session], T]) -> T:
    """Run a write route's database work in one worker thread: lock, work, render and commit there.

    The row lock (on SQLite the database's write lock) is taken and released in the same thread,
    with no other task in between that could queue behind requests waiting for it.
    """
    return await _in_thread(request, request.app.state.write_sessions, work, True)


async def read(request: Request, work: Callable[[Session], T]) -> T:
    """Run a read route's database work, and its rendering, in one worker thread."""
    return await _in_thread(request, request.app.state.sessions, work, False)
