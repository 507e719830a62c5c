"""Persistence, measurement: count the SQL round trips an engine makes (tests and bench/).

What counts: every statement the driver sends (before_cursor_execute), and every transaction
begun and committed by the driver itself (the `begin` and `commit` engine events: PostgreSQL's
BEGIN and COMMIT do not pass through a cursor). SQLite's BEGIN [IMMEDIATE] is sent through a
cursor by app.db.engine and counted once, as a BEGIN. A session closed without committing counts
its ROLLBACK; the pool's reset of a connection already committed sends nothing and is not counted.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine, event


@dataclass
class StatementLog:
    """The statements one engine sent while counting, in order (BEGIN and COMMIT included)."""

    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)

    def kinds(self) -> list[str]:
        """The first word of each: BEGIN, SELECT, INSERT, UPDATE, COMMIT..."""
        return [s.split(None, 1)[0].upper() for s in self.statements]


def _autocommit(conn) -> bool:
    # An autocommit connection (the read sessions) sends no BEGIN and no COMMIT of its own.
    options = conn.get_execution_options()
    return options.get("isolation_level") == "AUTOCOMMIT" or options.get("read_only", False)


@contextmanager
def counting(engine: Engine) -> Iterator[StatementLog]:
    """Record every statement `engine` sends inside the block."""
    log = StatementLog()

    def on_execute(_conn, _cursor, statement, _params, _context, _many) -> None:
        if not statement.lstrip().upper().startswith("BEGIN"):  # SQLite's, counted by on_begin
            log.statements.append(statement.strip())

    def on_begin(conn) -> None:
        if not _autocommit(conn):
            log.statements.append("BEGIN")

    def on_commit(conn) -> None:
        if not _autocommit(conn):
            log.statements.append("COMMIT")

    def on_rollback(conn) -> None:
        if not _autocommit(conn):
            log.statements.append("ROLLBACK")

    listeners = (("before_cursor_execute", on_execute), ("begin", on_begin), ("commit", on_commit),
                 ("rollback", on_rollback))
    for name, fn in listeners:
        event.listen(engine, name, fn)
    try:
        yield log
    finally:
        for name, fn in listeners:
            event.remove(engine, name, fn)
