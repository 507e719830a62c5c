"""Test support: run the `stuckfunds` command as a real process, and serve the API on a free port."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

# The console script of the interpreter running the tests, so the venv's own app is served.
STUCKFUNDS = str(Path(sys.executable).with_name("stuckfunds"))


def run_cli(*args: str, env: dict[str, str] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run `stuckfunds ARGS...` to completion; output is captured as text."""
    return subprocess.run([STUCKFUNDS, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def create_api_key(database_url: str, name: str = "test-client") -> str:
    """`stuckfunds clients create NAME`: the key is the last line it prints."""
    result = run_cli("clients", "create", name, "--database-url", database_url)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A running `stuckfunds serve`: its base URL and, for failure messages, its output so far."""

    def __init__(self, process: subprocess.Popen, url: str, log) -> None:
        self.process = process
        self.url = url
        self._log = log

    def output(self) -> str:
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode(errors="replace")


@contextmanager
def running_server(args: Sequence[str] = (), env: dict[str, str] | None = None,
                   ready_timeout: float = 30.0) -> Iterator[Server]:
    """Start `stuckfunds serve --port <free> ARGS...`, wait until /readyz answers 200, stop at exit.

    The server runs in a process group of its own, so its worker processes are stopped with it.
    """
    port = free_port()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [STUCKFUNDS, "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        server = Server(process, f"http://127.0.0.1:{port}", log)
        try:
            _wait_ready(server, ready_timeout)
            yield server
        finally:
            _stop(process)


def _wait_ready(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"stuckfunds serve exited with {server.process.returncode}:\n"
                               f"{server.output()}")
        try:
            response = httpx.get(f"{server.url}/readyz", timeout=2)
            if response.status_code == 200:
                return
            last = f"{response.status_code} {response.text}"
        except httpx.TransportError as exc:
            last = repr(exc)
        time.sleep(0.05)
    raise TimeoutError(f"stuckfunds serve not ready after {timeout}s ({last}):\n{server.output()}")


def _stop(process: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM the whole group (uvicorn drains and stops its workers), then SIGKILL what is left."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    try:
        # Workers may outlive a supervisor that was itself killed; the group takes them all.
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()
