"""Benchmark harness: servers on loopback, fresh PostgreSQL databases, and the machine's description.

Shared by bench/load.py and bench/crash.py (bench/evaluation.py keeps its own, simpler server).
Every server runs in a process group of its own, so a SIGKILL takes its workers with it, and
only the processes started here are ever signalled.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import httpx
import psycopg
from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from bench.evaluation import machine as _machine  # noqa: E402

STUCKFUNDS = str(Path(sys.executable).with_name("stuckfunds"))
PG_ADMIN_URL = os.environ.get("STUCKFUNDS_BENCH_PG_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
# One key for the whole run, so that a restarted server reads the idempotent answers its
# predecessor sealed; made afresh per run, never committed.
BENCH_SECRET_KEY = Fernet.generate_key().decode()
SERVER_ENV = {
    "STUCKFUNDS_LOG_LEVEL": "WARNING",
    # Counted on every request like in production, but never reached by a benchmark.
    "STUCKFUNDS_RATE_LIMIT_API_KEY": "100000000/hour",
    "STUCKFUNDS_SECRET_KEY": BENCH_SECRET_KEY,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_pg_database(prefix: str) -> str | None:
    """A fresh, empty database on the local server; None when none answers."""
    admin = make_url(PG_ADMIN_URL)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(libpq(PG_ADMIN_URL), autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        return None
    return admin.set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    name = make_url(url).database
    with psycopg.connect(libpq(PG_ADMIN_URL), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_version() -> str | None:
    try:
        with psycopg.connect(libpq(PG_ADMIN_URL), connect_timeout=5) as conn:
            return conn.execute("SHOW server_version").fetchone()[0]
    except psycopg.OperationalError:
        return None


def machine() -> dict:
    info = _machine()
    try:
        meminfo = Path("/proc/meminfo").read_text().splitlines()
        kib = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
        info["memory_gib"] = round(kib / 1024 / 1024, 1)
    except (OSError, StopIteration, ValueError):
        info["memory_gib"] = None
    try:
        info["os"] = next(line.split("=", 1)[1].strip('"') for line in
                          Path("/etc/os-release").read_text().splitlines()
                          if line.startswith("PRETTY_NAME="))
    except (OSError, StopIteration):
        info["os"] = None
    info["postgresql"] = pg_version()
    try:
        info["wrk"] = subprocess.run(["wrk", "--version"], capture_output=True, text=True,
                                     timeout=10).stdout.splitlines()[0].strip()
    except (OSError, IndexError, subprocess.TimeoutExpired):
        info["wrk"] = None
    from importlib import metadata
    for package in ("fastapi", "starlette", "uvicorn", "sqlalchemy", "psycopg", "pydantic"):
        info[package] = metadata.version(package)
    info["load_average"] = list(os.getloadavg())
    info["commit"] = _git("rev-parse", "--short", "HEAD")
    # Uncommitted changes to what is measured (the app, the rules, the benchmark itself).
    info["uncommitted_changes"] = bool(_git("status", "--porcelain", "--", "app", "rules", "bench",
                                            "migrations"))
    return info


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True,
                              timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


class Server:
    """A server process on a fixed loopback port: start, wait until ready, SIGKILL, stop.

    `command` is the argv after the interpreter's own scripts folder is resolved, e.g.
    [STUCKFUNDS, "serve", ...]; `--host/--port` are added here.
    """

    def __init__(self, command: Sequence[str], *, log_path: Path, env: dict[str, str] | None = None,
                 port: int | None = None, ready_path: str = "/readyz") -> None:
        self.command = list(command)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = {**os.environ, **SERVER_ENV, **(env or {})}
        self.ready_path = ready_path
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self.database: str | None = None  # the database it serves, for per-database accounting

    def start(self, extra_env: dict[str, str] | None = None) -> None:
        log = self.log_path.open("ab")
        log.write(f"\n--- start {self.starts + 1} at {time.time():.3f} ---\n".encode())
        log.flush()
        self.process = subprocess.Popen(
            [*self.command, "--host", "127.0.0.1", "--port", str(self.port)],
            env={**self.env, **(extra_env or {})}, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, cwd=self.log_path.parent)
        log.close()  # the child holds its own descriptor
        self.starts += 1

    def wait_ready(self, timeout: float = 90) -> float:
        started = time.monotonic()
        deadline = started + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.tail()}")
            try:
                if httpx.get(self.url + self.ready_path, timeout=2).status_code == 200:
                    return time.monotonic() - started
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"server not ready after {timeout} s:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL the whole group: the supervisor and every worker, mid-request or not."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()

    def stop(self, grace: float = 15) -> None:
        if self.process is None or self.process.poll() is not None:
            self.kill()
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=grace)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            pass
        self.kill()

    def cpu_seconds(self) -> float:
        """User + system CPU of every process in the server's group (supervisor and workers)."""
        return group_cpu_seconds(lambda fields, _name: int(fields[2]) == self.process.pid)

    def tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def group_cpu_seconds(select) -> float:
    """Sum utime + stime over the live processes whose /proc stat fields `select` picks.

    `select` gets the fields after the command name ([state, ppid, pgrp, ...]) and the name.
    CPU of processes that exited in between is lost: servers are measured while they run.
    """
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        name = raw[raw.find("(") + 1:raw.rfind(")")]
        fields = raw[raw.rfind(")") + 2:].split()
        if select(fields, name):
            total += int(fields[11]) + int(fields[12])
    return total / tick


def postgres_cpu(database: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving `database`, by pid (no WAL writer etc.)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if not cmdline.startswith("postgres: ") or f" {database} " not in cmdline:
                continue
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rfind(")") + 2:].split()
        out[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    return out


def cpu_since(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU spent between two snapshots by the processes alive at the second (a backend that
    exited in between is missed, so this is a lower bound)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())
