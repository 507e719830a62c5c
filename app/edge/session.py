"""Request edge: the request's session; it commits once, after the service has done its work.

A route either declares a session (ReadSession, WriteSession) or, to make one trip to the thread
pool, is `async` and hands its database work to `read` or `write`.
"""

import asyncio
import contextvars
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Annotated, TypeVar

import anyio
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


def _database_threads(state) -> ThreadPoolExecutor:
    """The app's threads for `read` and `write`: as many as the engine's pool keeps connections.

    More requests than that wait in the queue, not on the pool: they neither open and close
    connections beyond the pool's size nor hold a thread while waiting for one. The threads are
    apart from the anyio pool (sync routes and dependencies), so a request queued here never
    waits behind those, nor they behind it.
    """
    threads = getattr(state, "database_threads", None)
    if threads is None:
        threads = state.database_threads = ThreadPoolExecutor(
            max_workers=state.settings.db_pool_size, thread_name_prefix="stuckfunds-db")
    return threads


async def _in_thread(request: Request, factory, work: Callable[[Session], T], write: bool) -> T:
    context = contextvars.copy_context()
    future = _database_threads(request.app.state).submit(context.run, _in_one_transaction, factory, work, write)
    try:
        return await asyncio.wrap_future(future)
    except asyncio.CancelledError:
        # A request cancelled once its work has started waits for it, as anyio's run_sync does:
        # the work holds a connection (and maybe a row lock) until it commits or rolls back.
        if not future.cancel():
            with anyio.CancelScope(shield=True):
                await asyncio.wait([asyncio.wrap_future(future)])
        raise


async def write(request: Request, work: Callable[[Session], T]) -> T:
    """Run a write route's database work in one worker thread: lock, work, render and commit there.

    The row lock (on SQLite the database's write lock) is taken and released in the same thread,
    with no other task in between that could queue behind requests waiting for it.
    """
    return await _in_thread(request, request.app.state.write_sessions, work, True)


async def read(request: Request, work: Callable[[Session], T]) -> T:
    """Run a read route's database work, and its rendering, in one worker thread."""
    return await _in_thread(request, request.app.state.sessions, work, False)
