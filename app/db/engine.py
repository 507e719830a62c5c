"""Persistence: one engine per process, with SQLite tuned for a small embedded service."""

import select

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.orm import sessionmaker

from app.db import held
from app.settings import Settings

# SQLite: a writer that opens its transaction with BEGIN IMMEDIATE waits for the write lock
# up front (busy_timeout) instead of failing when it upgrades a read lock mid-transaction.
SQLITE_BUSY_TIMEOUT_MS = 30_000
WRITE = {"write": True}
# No pre-ping (a round trip per checkout): connections are replaced after this many seconds, and
# one the server dropped fails its request (503, problems.py), invalidating the pool so the next
# requests connect afresh.
POOL_RECYCLE_SECONDS = 1800


def reading(engine: Engine) -> Engine:
    """The engine for read-only sessions: each statement on its own, no BEGIN and no COMMIT.

    PostgreSQL's READ COMMITTED gives every statement its own snapshot anyway, so a read loses
    nothing; on SQLite each statement reads the last committed state.
    """
    if engine.dialect.name == "sqlite":
        return engine.execution_options(read_only=True)
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def make_engine(settings: Settings) -> Engine:
    if settings.is_sqlite:
        engine = create_engine(
            settings.database_url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        _configure_sqlite(engine)
        return engine
    engine = create_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_recycle=POOL_RECYCLE_SECONDS,
    )
    event.listen(engine, "checkout", _dropped_by_the_server)
    return engine


def _dropped_by_the_server(dbapi_connection, _record, _proxy) -> None:
    """Instead of a pre-ping: an idle connection with bytes waiting was closed by the server.

    A server that ends a session (pg_terminate_backend, a restart, a failover) sends its notice
    and closes the socket; an idle connection is otherwise never sent anything. One `select`
    with no timeout sees it without a round trip, and the pool connects afresh.
    """
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:
        return
    try:
        readable, _, _ = select.select([pgconn.socket], [], [], 0)
    except (OSError, ValueError) as error:  # the socket is already gone
        raise exc.DisconnectionError("the connection's socket is closed") from error
    if readable or dbapi_connection.closed:
        raise exc.DisconnectionError("the server closed this connection")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not the driver, issue BEGIN (see the "begin" hook below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        options = connection.get_execution_options()
        if options.get("read_only", False):
            return  # autocommit: the driver runs each statement on its own
        connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get("write", False) else "BEGIN")


def make_sessionmaker(engine: Engine) -> sessionmaker:
    factory = sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
    # Inserts held for a case's UPDATE (app.db.held) are never lost nor sent after a rollback.
    event.listen(factory, "before_commit", held.send_held)
    event.listen(factory, "after_rollback", held.drop_held)
    return factory
