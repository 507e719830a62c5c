"""Dependencies fail clearly: with Redis unreachable requests go through (or get 503 by choice),
and /readyz says how Redis is instead of claiming all is well."""

import logging
import os
from collections.abc import Iterator

import pytest
import redis
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.conftest import TEST_SECRET_KEY
from tests.support.server import free_port

PROBLEM = "application/problem+json"
LIVE_REDIS = "redis://127.0.0.1:6379/15"


@pytest.fixture
def make_client(database_url) -> Iterator:
    made = []

    def make(**overrides) -> TestClient:
        app = create_app(Settings(database_url=database_url, embedded_worker=False,
                                  secret_key=TEST_SECRET_KEY, **overrides))
        made.append(app)
        return TestClient(app)

    yield make
    for app in made:
        app.state.engine.dispose()


@pytest.fixture
def dead_redis() -> str:
    # Nothing listens on a port just handed out and released: a Redis that is really down.
    return f"redis://127.0.0.1:{free_port()}/0"


def test_with_redis_down_requests_go_through_with_a_warning(make_client, api, dead_redis, caplog):
    client = make_client(redis_url=dead_redis)
    with caplog.at_level(logging.WARNING, logger="stuckfunds.ratelimit"):
        for _ in range(3):
            response = client.get("/v1/cases", headers=api.headers)
            assert response.status_code == 200, response.text
    warnings = [r for r in caplog.records if r.name == "stuckfunds.ratelimit"]
    assert len(warnings) == 1 and "unthrottled" in warnings[0].getMessage()
    created = client.post("/v1/cases", headers=api.headers, json={"bad": "intake"})
    assert created.status_code == 422  # a write reaches its own validation, not a 500
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["redis"] == "down" and ready.json()["status"] == "degraded"


def test_with_redis_down_and_refuse_set_requests_get_503_with_retry_after(make_client, api, dead_redis):
    client = make_client(redis_url=dead_redis, rate_limit_redis_down="refuse")
    response = client.get("/v1/cases", headers=api.headers)
    assert response.status_code == 503 and response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == "rate-limit-unavailable"
    assert int(response.headers["retry-after"]) > 0
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["redis"] == "down"
    assert ready.headers["retry-after"]


def test_readyz_reports_redis_up_or_not_configured(make_client):
    assert make_client().get("/readyz").json()["redis"] == "not_configured"
    try:
        redis.Redis.from_url(LIVE_REDIS, socket_connect_timeout=1).ping()
    except redis.ConnectionError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {LIVE_REDIS}: {exc}")
        pytest.skip(f"Redis is not reachable at {LIVE_REDIS}: {exc}")
    ready = make_client(redis_url=LIVE_REDIS).get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["redis"] == "up" and ready.json()["status"] == "ready"
