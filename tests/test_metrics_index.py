"""Observability: /metrics' count of cases by status reads an index on PostgreSQL, not the table.

The planner is told to avoid sequential and bitmap scans where it can, so on a small test table
it shows which index it would take on a large one: ix_case_status (migration i14_0001), the
narrowest index holding the status, read alone. The statement is the one app/metrics.py sends.
"""

import psycopg
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url

from app.db.models import Case


def test_the_count_by_status_is_an_index_only_scan(pg_url):
    statement = select(Case.status, func.count()).group_by(Case.status)
    sql = str(statement.compile(dialect=postgresql.dialect()))
    libpq = make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute('VACUUM ANALYZE "case"')  # the visibility map an index-only scan relies on
    with psycopg.connect(libpq) as conn:
        conn.execute("SET LOCAL enable_seqscan = off")
        conn.execute("SET LOCAL enable_bitmapscan = off")
        plan = "\n".join(row[0] for row in conn.execute(f"EXPLAIN {sql}"))
    assert "Index Only Scan using ix_case_status" in plan, plan
    assert "Seq Scan" not in plan, plan
