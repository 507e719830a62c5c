"""The command line as an operator uses it: create a client, migrate, check the rules."""

import uuid

import psycopg
import pytest
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from app.auth.service import KEY_PREFIX, hash_key
from app.db.models import ApiKey
from tests.conftest import Api, pg_admin_url
from tests.support.server import create_api_key, run_cli


def test_clients_create_prints_the_key_last_and_stores_only_its_hash(database_url, http):
    result = run_cli("clients", "create", "hotline-tool", "--database-url", database_url)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    key = lines[-1]
    assert key.startswith(KEY_PREFIX) and " " not in key
    assert "hotline-tool" in result.stdout and key not in "\n".join(lines[:-1])

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(ApiKey.__table__)).mappings().all()
    finally:
        engine.dispose()
    mine = [row for row in rows if row["key_hash"] == hash_key(key)]
    assert len(mine) == 1 and key.startswith(mine[0]["prefix"])
    for row in rows:
        for column, value in row.items():
            assert key not in str(value), f"the key is stored in api_key.{column}"

    api = Api(http, key)
    assert api.get("/v1/cases").status_code == 200
    assert api.post("/v1/cases", json={}).status_code == 422  # authenticated, then validated


def test_each_client_gets_its_own_key(sqlite_url):
    assert create_api_key(sqlite_url, "one") != create_api_key(sqlite_url, "two")


@pytest.fixture
def empty_pg_database():
    """A PostgreSQL database with nothing in it, dropped afterwards."""
    admin = make_url(pg_admin_url())
    libpq = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        connection = psycopg.connect(libpq, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable: {exc}")
    name = f"stuckfunds_cli_{uuid.uuid4().hex[:12]}"
    with connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield admin.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(libpq, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_migrate_builds_the_schema_on_postgres_and_is_idempotent(empty_pg_database):
    first = run_cli("migrate", "--database-url", empty_pg_database)
    assert first.returncode == 0, first.stderr
    assert "latest schema" in first.stdout
    second = run_cli("migrate", "--database-url", empty_pg_database)
    assert second.returncode == 0, second.stderr

    engine = create_engine(empty_pg_database)
    try:
        assert {"api_client", "api_key", "case", "case_event"} <= set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def test_migrate_refuses_an_unknown_backend():
    result = run_cli("migrate", "--database-url", "mysql://nobody@localhost/db")
    assert result.returncode != 0


def test_rules_check_passes():
    result = run_cli("rules", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 failed" in result.stdout
