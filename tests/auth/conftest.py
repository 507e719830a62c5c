"""Fixtures for the auth tests: partner clients with known ids, case tokens, and raw bodies.

Each test gets clients of its own (like real partner apps), so counting a client's cases or a
case's events through the API means something.
"""

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient

from app.auth.service import create_client, issue_key, revoke_keys
from tests.support.payloads import ago, intake

PROBLEM = "application/problem+json"


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def raw(body: dict) -> bytes:
    """A JSON body as exact bytes, so a retry can send the very same ones."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def note(text: str = "客服说还在审核。", **envelope) -> dict:
    return {"type": "note_added", "occurred_at": envelope.pop("occurred_at", ago(hours=1)),
            "data": {"text": text}, **envelope}


@dataclass
class Partner:
    """A partner app: its client id, its live key and the key's public prefix."""

    http: TestClient
    client_id: uuid.UUID
    key: str
    prefix: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.key)

    @property
    def scope(self) -> str:
        return f"client:{self.client_id}"

    def request(self, method: str, url: str, headers: dict | None = None, **kw):
        return self.http.request(method, url, headers={**self.headers, **(headers or {})}, **kw)

    def get(self, url: str, **kw):
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw):
        return self.request("POST", url, **kw)

    def post_raw(self, url: str, body: bytes, headers: dict | None = None):
        return self.post(url, content=body, headers={"Content-Type": "application/json", **(headers or {})})

    def open_case(self, **overrides) -> dict:
        response = self.post("/v1/cases", json=intake(**overrides))
        assert response.status_code == 201, response.text
        return response.json()

    def issue_token(self, case_id: str, **body) -> dict:
        response = self.post(f"/v1/cases/{case_id}/tokens", json=body or None)
        assert response.status_code == 201, response.text
        return response.json()

    def case_ids(self) -> list[str]:
        response = self.get("/v1/cases", params={"limit": 100})
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()["items"]]

    def events(self, case_id: str) -> list[dict]:
        response = self.get(f"/v1/cases/{case_id}/events")
        assert response.status_code == 200, response.text
        return response.json()["items"]


def new_partner(app, http: TestClient, name: str = "auth-test") -> Partner:
    with app.state.write_sessions.begin() as session:
        issued = create_client(session=session, name=name, now=datetime.now(timezone.utc))
    return Partner(http, issued.client_id, issued.key, issued.prefix)


def revoked_key_of(app, partner: Partner) -> str:
    """A second key of the partner, issued and then revoked."""
    now = datetime.now(timezone.utc)
    with app.state.write_sessions.begin() as session:
        issued = issue_key(session=session, client_id=partner.client_id, now=now)
    with app.state.write_sessions.begin() as session:
        assert revoke_keys(session=session, prefix=issued.prefix, now=now) == 1
    return issued.key


@pytest.fixture
def partner(app, http) -> Partner:
    return new_partner(app, http, "partner-a")


@pytest.fixture
def other_partner(app, http) -> Partner:
    return new_partner(app, http, "partner-b")
