"""Fixtures for the client journeys: clients generated from the committed spec, a live server."""

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET_KEY
from tests.support.server import Server, create_api_key, running_server

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = ROOT / "clients"


def need_node() -> None:
    """A missing Node fails the run (make test installs it); the journey is not optional."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: install Debian's nodejs and npm "
                        "(make test does it when run as root)")


@pytest.fixture(scope="session")
def generated_clients(testrun_uid) -> Path:
    """Both clients, generated afresh from openapi/openapi.json by `make clients`' own script.

    Once per run: pytest-xdist workers share the run's id, and the first one to take the lock
    generates while the others wait, so no worker reads a client another one is rewriting.
    """
    need_node()
    with open(CLIENTS / ".generate.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        marker = CLIENTS / ".generated-by-run"
        if not marker.exists() or marker.read_text() != testrun_uid:
            result = subprocess.run([str(ROOT / "scripts" / "generate-clients")], cwd=ROOT,
                                    capture_output=True, text=True, timeout=600,
                                    env={**os.environ, "BIN": str(Path(sys.executable).parent)})
            assert result.returncode == 0, result.stdout + result.stderr
            marker.write_text(testrun_uid)
    return CLIENTS


@pytest.fixture(scope="module")
def live_server(pg_url, tmp_path_factory) -> Iterator[Server]:
    """`stuckfunds serve` on a free port over the run's PostgreSQL database."""
    evidence = tmp_path_factory.mktemp("client-evidence")
    with running_server(["--database-url", pg_url], env={
            "STUCKFUNDS_SECRET_KEY": TEST_SECRET_KEY, "STUCKFUNDS_EVIDENCE_DIR": str(evidence)}) as server:
        yield server


@pytest.fixture
def partner_key(pg_url, request) -> str:
    return create_api_key(pg_url, f"journey-{request.node.name}"[:60])
