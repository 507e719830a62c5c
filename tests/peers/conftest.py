"""Fixtures for the peer-signal tests: a database of their own per backend, so counters start empty.

Peer counters are shared by every client on a platform, so these tests keep them apart from the
rest of the suite; within it, each test names platforms of its own.
"""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.db.migrate import upgrade_to_head
from app.main import create_app
from app.settings import Settings
from tests.conftest import TEST_SECRET_KEY, Api, fresh_pg_database, new_api_key


def peer_settings(database_url: str, **overrides) -> Settings:
    return Settings(database_url=database_url, embedded_worker=False, secret_key=TEST_SECRET_KEY,
                    rate_limit_auth_failures="100000000/hour", rate_limit_api_key="100000/minute",
                    **overrides)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def peer_db(request, tmp_path_factory) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{Path(tmp_path_factory.mktemp('peers')) / 'peers.db'}"
        upgrade_to_head(url)
        yield url
    else:
        request.getfixturevalue("pg_url")  # skips (or fails in CI) without PostgreSQL
        with fresh_pg_database("stuckfunds_peers") as url:
            yield url


@pytest.fixture(scope="session")
def peer_app(peer_db):
    application = create_app(peer_settings(peer_db))
    yield application
    application.state.engine.dispose()


@pytest.fixture(scope="session")
def peer_http(peer_app) -> Iterator[TestClient]:
    with TestClient(peer_app) as client:
        yield client


@pytest.fixture
def new_partner(peer_app, peer_http):
    """A new partner app (its own API key) each time it is called."""
    return lambda: Api(peer_http, new_api_key(peer_app, f"partner-{uuid.uuid4().hex[:6]}"))


@pytest.fixture
def platform() -> str:
    """A platform name no other test uses."""
    return f"测试{uuid.uuid4().hex[:8]}理财"
