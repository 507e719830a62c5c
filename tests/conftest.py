"""Test fixtures: real databases built by the migrations, and the app served over HTTP.

Each backend (an SQLite file and a PostgreSQL database made for this run) is migrated once
per session. Tests stay independent the way real clients do: each test gets API clients of
its own, and a client never sees another's data.
"""

import os
from contextlib import contextmanager
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import psycopg
import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from app.auth.service import create_client
from app.db.engine import make_engine, make_sessionmaker
from app.db.migrate import upgrade_to_head
from app.main import create_app
from app.settings import Settings

# Made afresh per run: no key is ever committed (tests/test_no_secrets.py checks the tree).
TEST_SECRET_KEY = Fernet.generate_key().decode()
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def pg_admin_url() -> str:
    return os.environ.get("STUCKFUNDS_TEST_DATABASE_URL", DEFAULT_PG_URL)


def _libpq(url) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def fresh_pg_database(prefix: str) -> Iterator[str]:
    """A new PostgreSQL database built by the migrations; dropped (even if cut off) at exit."""
    admin = make_url(pg_admin_url())
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(admin), autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade_to_head(url)
        yield url
    finally:
        with psycopg.connect(_libpq(admin), autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this run, dropped at the end."""
    admin = make_url(pg_admin_url())
    try:
        psycopg.connect(_libpq(admin), autocommit=True, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL is not reachable at {admin.render_as_string()}: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must run the PostgreSQL tests)")
        pytest.skip(message)
    with fresh_pg_database("stuckfunds_test") as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory) -> str:
    path = Path(tmp_path_factory.mktemp("sqlite")) / "stuckfunds.db"
    url = f"sqlite:///{path}"
    upgrade_to_head(url)
    return url


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def database_url(request) -> str:
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture(scope="session")
def app(database_url):
    # The sweeper is driven explicitly by the tests that need it, never by a background thread.
    # Every test request comes from one address: the limit on failed authentications is
    # tested with apps of its own (tests/auth/test_limits_cors_audit_logs.py).
    # Peer signals join cases across clients, and this database holds every test's cases on the
    # same few platforms: they are tested on databases of their own (tests/peers/).
    application = create_app(Settings(database_url=database_url, embedded_worker=False,
                                      allow_private_webhook_urls=True, secret_key=TEST_SECRET_KEY,
                                      rate_limit_auth_failures="100000000/hour", peer_signals=False))
    yield application
    application.state.engine.dispose()


@pytest.fixture(scope="session")
def http(app) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def new_api_key(app, name: str = "test-client") -> str:
    with app.state.write_sessions.begin() as session:
        return create_client(session=session, name=name, now=datetime.now(timezone.utc)).key


class Api:
    """A client app: the HTTP client plus its own API key."""

    def __init__(self, http: TestClient, key: str) -> None:
        self.http = http
        self.headers = {"Authorization": f"Bearer {key}"}

    def _merge(self, headers):
        return {**self.headers, **(headers or {})}

    def get(self, url, headers=None, **kw):
        return self.http.get(url, headers=self._merge(headers), **kw)

    def post(self, url, headers=None, **kw):
        return self.http.post(url, headers=self._merge(headers), **kw)


@pytest.fixture
def api(app, http) -> Api:
    return Api(http, new_api_key(app))


@pytest.fixture
def other_api(app, http) -> Api:
    return Api(http, new_api_key(app, "another-client"))
