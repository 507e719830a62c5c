"""Key management as an operator does it: `stuckfunds clients list / rotate / revoke`.

The commands run as real processes on an SQLite file; the API is served from the same file in
this process, so "revoked keys stop working at once" means: on the very next request, with no
restart in between.
"""

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.auth.conftest import bearer
from tests.conftest import TEST_SECRET_KEY
from tests.support.payloads import intake
from tests.support.server import run_cli

LIVE_KEY = re.compile(r"^\s+(sf_[\w-]+)…\s+created .*\blive$", re.MULTILINE)
REVOKED_KEY = re.compile(r"^\s+(sf_[\w-]+)…\s+created .*\brevoked ", re.MULTILINE)


@pytest.fixture
def database(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'keys.db'}"


@pytest.fixture
def api(database) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database, embedded_worker=False, secret_key=TEST_SECRET_KEY))
    with TestClient(app) as client:
        yield client
    app.state.engine.dispose()


def cli(database: str, *args: str, code: int = 0) -> str:
    result = run_cli("clients", *args, "--database-url", database)
    assert result.returncode == code, (args, result.stdout, result.stderr)
    return result.stdout + result.stderr


def create(database: str, name: str) -> tuple[str, str]:
    out = cli(database, "create", name)
    key = out.strip().splitlines()[-1]
    prefix = re.search(r"key prefix (sf_[\w-]+)", out).group(1)
    assert key.startswith(prefix)
    return key, prefix


def keys_listed(database: str, name: str) -> tuple[list[str], list[str]]:
    """The live and revoked key prefixes `clients list` shows for one client."""
    out = cli(database, "list")
    blocks = [b for b in re.split(r"^(?=\S)", out, flags=re.MULTILINE) if b.strip()]
    [block] = [b for b in blocks if re.match(rf"^\S+\s+{re.escape(name)}$", b.splitlines()[0])]
    return LIVE_KEY.findall(block), REVOKED_KEY.findall(block)


def status(api: TestClient, key: str) -> int:
    return api.get("/v1/cases", headers=bearer(key)).status_code


def test_rotate_gives_a_second_live_key_and_revoking_the_old_one_is_immediate(database, api):
    old, old_prefix = create(database, "rotating-app")
    assert status(api, old) == 200

    out = cli(database, "rotate", "rotating-app")
    new = out.strip().splitlines()[-1]
    assert new.startswith("sf_") and new != old
    new_prefix = new[: len(old_prefix)]
    assert new_prefix in out.splitlines()[0]
    # During the rotation both keys work.
    assert keys_listed(database, "rotating-app") == ([old_prefix, new_prefix], [])
    assert status(api, old) == 200 and status(api, new) == 200

    cli(database, "revoke", "rotating-app", "--key", old_prefix)
    assert status(api, old) == 401
    assert status(api, new) == 200
    assert keys_listed(database, "rotating-app") == ([new_prefix], [old_prefix])

    listing = cli(database, "list")
    assert old not in listing and new not in listing


def test_revoke_without_key_stops_every_key_of_the_client_only(database, api):
    first, _ = create(database, "leaked-app")
    second = cli(database, "rotate", "leaked-app").strip().splitlines()[-1]
    bystander, _ = create(database, "bystander-app")

    out = cli(database, "revoke", "leaked-app")
    assert "revoked 2 key(s)" in out
    assert status(api, first) == 401 and status(api, second) == 401
    assert status(api, bystander) == 200
    live, revoked = keys_listed(database, "leaked-app")
    assert live == [] and len(revoked) == 2

    assert "no live key" in cli(database, "revoke", "leaked-app", code=1)


def test_a_key_prefix_of_another_client_is_not_revoked(database, api):
    create(database, "app-one")
    other, other_prefix = create(database, "app-two")
    assert "no live key" in cli(database, "revoke", "app-one", "--key", other_prefix, code=1)
    assert status(api, other) == 200


def test_clients_are_found_by_id_or_name_and_unknown_ones_are_refused(database, api):
    out = cli(database, "create", "by-id-app")
    client_id = re.search(r"client ([0-9a-f-]{36})", out).group(1)
    key = out.strip().splitlines()[-1]
    rotated = cli(database, "rotate", client_id).strip().splitlines()[-1]
    assert status(api, rotated) == 200
    cli(database, "revoke", client_id)
    assert status(api, key) == 401 and status(api, rotated) == 401

    assert "no client" in cli(database, "rotate", "nobody", code=2)
    assert "no client" in cli(database, "revoke", "nobody", code=2)


def test_revoking_every_key_of_a_client_revokes_its_case_tokens(database, api):
    key, prefix = create(database, "cut-off-app")
    opened = api.post("/v1/cases?issue_token=true", json=intake(), headers=bearer(key))
    assert opened.status_code == 201, opened.text
    case_path, token = f"/v1/cases/{opened.json()['id']}", opened.json()["case_token"]["token"]
    assert api.get(case_path, headers=bearer(token)).status_code == 200

    # A rotation leaves a live key: the phones keep working.
    rotated = cli(database, "rotate", "cut-off-app").strip().splitlines()[-1]
    cli(database, "revoke", "cut-off-app", "--key", prefix)
    assert api.get(case_path, headers=bearer(token)).status_code == 200

    # The last key goes: so does every case token the client handed out.
    cli(database, "revoke", "cut-off-app")
    assert status(api, rotated) == 401
    assert api.get(case_path, headers=bearer(token)).status_code == 401
