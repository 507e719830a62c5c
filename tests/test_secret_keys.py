"""The keys that encrypt stored secrets: a private key file, the published key refused, rotation.

Rotation is run as an operator runs it, `stuckfunds keys rotate` as a real process, on a fresh
SQLite file and a fresh PostgreSQL database, between apps that hold different keys.
"""

import os
import stat
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select

from app.db.models import IdempotencyRecord, WebhookEndpoint
from app.keyring import COMMITTED_KEY_SHA256, UnusableKey, is_committed_key
from app.main import create_app
from app.settings import Settings
from tests.auth.conftest import bearer
from tests.conftest import fresh_pg_database, new_api_key
from tests.support.payloads import intake
from tests.support.server import STUCKFUNDS, free_port

ROOT = Path(__file__).resolve().parent.parent


def published_key() -> bytes:
    """The key once committed as stuckfunds.key, read back from the repository's history."""
    try:
        commits = subprocess.run(["git", "rev-list", "--all", "--", "stuckfunds.key"], cwd=ROOT,
                                 capture_output=True, text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        commits = []
    for commit in commits:
        shown = subprocess.run(["git", "show", f"{commit}:stuckfunds.key"], cwd=ROOT, capture_output=True)
        if shown.returncode == 0 and is_committed_key(shown.stdout):
            return shown.stdout.strip()
    pytest.skip("the published key is not in this checkout's history (a shallow clone)")


def app_with(database_url: str, **settings):
    return create_app(Settings(database_url=database_url, embedded_worker=False,
                               allow_private_webhook_urls=True, **settings))


def without_key_variables() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("STUCKFUNDS_SECRET_KEY")}


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([STUCKFUNDS, *args],
                          capture_output=True, text=True, timeout=60,
                          env={**without_key_variables(), **env})


def test_a_key_file_is_created_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "stuckfunds.key"
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'a.db'}", embedded_worker=False,
                              secret_key_file=path))
    app.state.engine.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    Fernet(path.read_bytes().strip())  # a real Fernet key


@pytest.mark.parametrize("mode", [0o644, 0o606, 0o602])
def test_a_key_file_other_users_can_read_or_write_is_refused(tmp_path, mode):
    path = tmp_path / f"open-{mode:o}.key"
    path.write_text(Fernet.generate_key().decode())
    path.chmod(mode)
    with pytest.raises(UnusableKey, match="chmod 600"):
        create_app(Settings(database_url=f"sqlite:///{tmp_path / 'b.db'}", secret_key_file=path))
    result = cli("serve", "--port", str(free_port()), "--database-url", f"sqlite:///{tmp_path / 'b.db'}",
                 env={"STUCKFUNDS_SECRET_KEY_FILE": str(path)})
    assert result.returncode == 2 and "chmod 600" in result.stderr


def test_the_published_key_is_refused_wherever_it_is_configured(tmp_path):
    key = published_key()
    assert is_committed_key(key) and COMMITTED_KEY_SHA256 not in key.decode()
    database = f"sqlite:///{tmp_path / 'c.db'}"
    key_file = tmp_path / "old.key"
    key_file.write_bytes(key + b"\n")
    key_file.chmod(0o600)
    new = Fernet.generate_key().decode()
    for env in ({"STUCKFUNDS_SECRET_KEY": key.decode()},
                {"STUCKFUNDS_SECRET_KEYS": f"{key.decode()},{new}"},
                {"STUCKFUNDS_SECRET_KEYS": f"{new},{key.decode()}"},  # even as an old key
                {"STUCKFUNDS_SECRET_KEY_FILE": str(key_file)}):
        for command in (["serve", "--port", str(free_port())], ["worker"]):
            result = cli(*command, "--database-url", database, env=env)
            assert result.returncode == 2, (env, command, result.stdout, result.stderr)
            assert "published" in result.stderr and "keys rotate" in result.stderr
    with pytest.raises(UnusableKey):
        create_app(Settings(database_url=database, secret_key_file=key_file))

    # Rotating away from it is the one thing it may still do, as an old key.
    assert cli("keys", "rotate", "--database-url", database,
               env={"STUCKFUNDS_SECRET_KEYS": f"{new},{key.decode()}"}).returncode == 0
    leading = cli("keys", "rotate", "--database-url", database,
                  env={"STUCKFUNDS_SECRET_KEYS": f"{key.decode()},{new}"})
    assert leading.returncode == 2 and "published" in leading.stderr


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_database(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'rotate.db'}"
        return
    request.getfixturevalue("pg_url")  # skips (or fails on CI) when PostgreSQL is unreachable
    with fresh_pg_database("stuckfunds_keys") as url:
        yield url


def stored_tokens(database_url: str) -> tuple[list[bytes], list[bytes]]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            secrets = connection.scalars(select(WebhookEndpoint.secret_encrypted)).all()
            answers = connection.scalars(select(IdempotencyRecord.response_body)
                                         .where(IdempotencyRecord.response_body.is_not(None))).all()
    finally:
        engine.dispose()
    return [s.encode() for s in secrets], list(answers)


def test_rotation_re_encrypts_stored_secrets_and_old_keys_decrypt_meanwhile(fresh_database):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    idem = {"Idempotency-Key": str(uuid.uuid4())}
    body = intake()

    # Written under the old key: a case whose answer carries its new token, and a webhook.
    app = app_with(fresh_database, secret_key=old)
    key = new_api_key(app, "rotating")
    with TestClient(app) as http:
        created = http.post("/v1/cases?issue_token=true", json=body, headers={**bearer(key), **idem})
        assert created.status_code == 201 and created.json()["case_token"]["token"]
        hook = http.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/hooks"}, headers=bearer(key))
        assert hook.status_code == 201
    app.state.engine.dispose()
    secret = hook.json()["secret"]

    def replay(**keys):
        application = app_with(fresh_database, **keys)
        try:
            with TestClient(application) as http:
                return http.post("/v1/cases?issue_token=true", json=body,
                                 headers={**bearer(key), **idem})
        finally:
            application.state.engine.dispose()

    # The new key alone cannot read what the old one wrote; new first, old after it can.
    assert replay(secret_key=new).status_code == 409
    during = replay(secret_keys=f"{new},{old}")
    assert during.status_code == 201 and during.content == created.content

    result = cli("keys", "rotate", "--database-url", fresh_database,
                 env={"STUCKFUNDS_SECRET_KEYS": f"{new},{old}"})
    assert result.returncode == 0, result.stderr
    assert "1 webhook secret(s)" in result.stdout

    secrets, answers = stored_tokens(fresh_database)
    assert secrets and answers
    for token in secrets + answers:
        Fernet(new.encode()).decrypt(token)
        with pytest.raises(InvalidToken):
            Fernet(old.encode()).decrypt(token)
    assert Fernet(new.encode()).decrypt(secrets[0]).decode() == secret

    # The old key is gone: everything still reads, the case token answer byte for byte.
    after = replay(secret_key=new)
    assert after.status_code == 201 and after.content == created.content
    assert after.headers["idempotent-replayed"] == "true"

    # A rotation with none of the keys that wrote the data changes nothing and says so.
    stranger = cli("keys", "rotate", "--database-url", fresh_database,
                   env={"STUCKFUNDS_SECRET_KEYS": Fernet.generate_key().decode()})
    assert stranger.returncode == 1 and "none of the keys" in stranger.stderr
    assert stored_tokens(fresh_database) == (secrets, answers)


def test_both_key_variables_at_once_are_refused(tmp_path):
    with pytest.raises(UnusableKey, match="not both"):
        create_app(Settings(database_url=f"sqlite:///{tmp_path / 'd.db'}",
                            secret_key=Fernet.generate_key().decode(),
                            secret_keys=[Fernet.generate_key().decode()]))
