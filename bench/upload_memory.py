"""Benchmark: a worker's memory under oversized bodies (prints RSS figures; asserts nothing).

    .venv/bin/python -m bench.upload_memory            # needs PostgreSQL on 127.0.0.1:5432

Serves `stuckfunds serve --workers 2` on a fresh PostgreSQL database and sends, 10 at a time:
30 anonymous 20 MiB uploads, 30 authenticated ones announced over the cap, 30 authenticated
chunked streams that never say their size, 30 JSON bodies of 20 MiB, and 10 real 19 MiB uploads.
It samples the resident memory of every server process every 50 ms and prints, per scenario,
the answers and the largest worker's RSS before, at peak and after.
"""

import io
import os
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import httpx

from bench.harness import STUCKFUNDS, Server, create_pg_database, drop_pg_database

MiB = 1024 * 1024
PAGE = os.sysconf("SC_PAGE_SIZE")


def _group_rss(pgrp: int) -> dict[int, int]:
    """Resident bytes of each process in the server's process group."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgrp:
                out[int(entry.name)] = int((entry / "statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
    return out


class Sampler:
    """The largest process's RSS, sampled in a thread (the supervisor is small; workers serve)."""

    def __init__(self, pgrp: int) -> None:
        self.pgrp, self.peak, self._stop = pgrp, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def now(self) -> int:
        return max(_group_rss(self.pgrp).values(), default=0)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.now())
            time.sleep(0.05)

    def __enter__(self):
        self.peak = self.now()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _send(fn) -> str:
    try:
        return str(fn().status_code)
    except httpx.HTTPError as exc:  # the server answered and closed before taking the whole body
        return type(exc).__name__


def _chunks(total: int, size: int = MiB):
    # A well-formed multipart start, then a file part that goes on and on.
    yield (b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n'
           b"Content-Type: application/octet-stream\r\n\r\n")
    sent = 0
    while sent < total:
        yield b"\0" * min(size, total - sent)
        sent += size


def main() -> None:
    database = create_pg_database("bench_upload_memory")
    if database is None:
        sys.exit("PostgreSQL is not reachable on 127.0.0.1:5432")
    workdir = Path(tempfile.mkdtemp(prefix="upload-memory-"))
    from app.auth.service import create_client
    from app.db.engine import make_engine, make_sessionmaker
    from app.db.migrate import upgrade_to_head
    from app.settings import Settings

    upgrade_to_head(database)
    engine = make_engine(Settings(database_url=database))
    with make_sessionmaker(engine).begin() as session:
        key = create_client(session=session, name="bench", now=datetime.now(timezone.utc)).key
    engine.dispose()
    server = Server([STUCKFUNDS, "serve", "--workers", "2", "--database-url", database],
                    log_path=workdir / "server.log",
                    env={"STUCKFUNDS_EVIDENCE_DIR": str(workdir / "evidence")})
    server.start()
    try:
        server.wait_ready()
        auth = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=server.url, timeout=120) as http:
            case_id = http.post("/v1/cases", headers=auth, json={
                "platform": {"name": "安心保险APP", "kind": "insurer", "licensed": True},
                "amount": "30000.00", "currency": "CNY",
                "withdrawal_requested_at": "2026-11-01T10:00:00+08:00"}).json()["id"]
        upload = f"/v1/cases/{case_id}/evidence"
        form = {"kind": "other", "captured_at": "2026-11-02T10:00:00+08:00"}
        big = b"\x89PNG\r\n\x1a\n" + b"\0" * (20 * MiB)
        fits = b"%PDF-1.4\n" + os.urandom(19 * MiB)

        def over_cap(client: httpx.Client, headers: dict):
            return client.post(upload, headers=headers, data=form, files={"file": ("a.png", io.BytesIO(big))})

        scenarios = [
            ("30 anonymous 20 MiB uploads", 30, lambda c: over_cap(c, {})),
            ("30 authenticated 20 MiB uploads (Content-Length over the cap)", 30, lambda c: over_cap(c, auth)),
            ("30 authenticated 30 MiB chunked streams", 30, lambda c: c.post(
                upload, headers={**auth, "Content-Type": "multipart/form-data; boundary=x"},
                content=_chunks(30 * MiB))),
            ("30 authenticated 20 MiB JSON bodies", 30, lambda c: c.post(
                "/v1/cases", headers={**auth, "Content-Type": "application/json"},
                content=b'{"a":"' + b"x" * (20 * MiB) + b'"}')),
            ("10 authenticated 19 MiB uploads (accepted)", 10, lambda c: c.post(
                upload, headers={**auth, "Idempotency-Key": uuid.uuid4().hex}, data=form,
                files={"file": (f"{uuid.uuid4().hex}.pdf", io.BytesIO(fits[:-16] + os.urandom(16)))})),
        ]
        print(f"stuckfunds serve --workers 2 (PostgreSQL); evidence_max_bytes 20 MiB, max_json_bytes 256 KiB")
        print(f"{'scenario':66} {'answers':24} {'RSS MiB before/peak/after':>26}")
        for name, count, request in scenarios:
            with Sampler(server.process.pid) as sampler:
                before = sampler.now()
                with httpx.Client(base_url=server.url, timeout=120) as client, ThreadPoolExecutor(10) as pool:
                    answers = Counter(pool.map(lambda _: _send(lambda: request(client)), range(count)))
                time.sleep(0.5)
                after = sampler.now()
            shown = ", ".join(f"{n}x {status}" for status, n in sorted(answers.items()))
            print(f"{name:66} {shown:24} {before / MiB:8.0f} {sampler.peak / MiB:8.0f} {after / MiB:8.0f}")
    finally:
        server.stop()
        drop_pg_database(database)


if __name__ == "__main__":
    main()
