"""Test data: evidence files made on the spot, and helpers to upload them and build cases."""

import io
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from tests.support.payloads import ago, event, intake


def png_bytes(color: str = "white", size: tuple[int, int] = (64, 40), text: str = "") -> bytes:
    image = Image.new("RGB", size, color)
    if text:
        ImageDraw.Draw(image).text((4, 4), text, fill="black")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


HTML_PAGE = b"<!DOCTYPE html><html><body><script>fetch('/steal')</script></body></html>"
ELF_BINARY = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56 + b"\x90" * 200
CHAT_LOG = "2026-11-20 10:02 客服 KF-0831：通道维护中，预计 11 月 22 日前恢复。\n".encode()


@pytest.fixture
def evidence_dir(app, tmp_path) -> Iterator[Path]:
    """A store of its own for each test, so counting files in it means something."""
    # Assigned and restored by hand: starlette's State keeps attributes in a dict of its own,
    # which monkeypatch's undo does not put back.
    path, shared = tmp_path / "evidence", app.state.settings
    app.state.settings = shared.model_copy(update={"evidence_dir": path})
    yield path
    app.state.settings = shared


def stored_files(evidence_dir: Path) -> list[Path]:
    return sorted(p for p in (evidence_dir / "sha256").rglob("*") if p.is_file()) \
        if (evidence_dir / "sha256").exists() else []


def open_case(api, **overrides) -> str:
    response = api.post("/v1/cases", json=intake(**overrides))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def post_event(api, case_id: str, type_: str, data: dict | None = None, **kw) -> dict:
    response = api.post(f"/v1/cases/{case_id}/events", json=event(type_, data, **kw))
    assert response.status_code == 201, response.text
    return response.json()["event"]


def upload(api, case_id: str, content: bytes, *, name: str = "notice.png",
           content_type: str = "application/octet-stream", kind: str = "notice_screenshot",
           captured_at: str | None = None, description: str | None = None):
    form = {"kind": kind, "captured_at": captured_at or ago(hours=2)}
    if description is not None:
        form["description"] = description
    return api.post(f"/v1/cases/{case_id}/evidence", data=form,
                    files={"file": (name, content, content_type)})


def in_future(**kw) -> str:
    return (datetime.now(timezone.utc) + timedelta(**kw)).isoformat()
