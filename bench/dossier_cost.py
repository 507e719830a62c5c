"""Benchmark: what a dossier PDF costs, and why long Chinese notes cost more (prints figures).

    .venv/bin/python -m bench.dossier_cost            # ~1-2 minutes on a small machine

Part 1 renders one long note in a table cell and in a paragraph, Chinese and English, with the
automatic and the fixed table layout. Part 2 builds cases through the HTTP API (a temporary
SQLite file) and times GET .../dossier as a client sees it: 20 events with 2,000-character
Chinese notes, and a case past the per-dossier cap of events.
"""

import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

NOTE_ZH = "客服说通道维护中预计下周恢复但是一直没有消息我多次联系都只是让我等待。"
NOTE_EN = "The support agent said the channel is under maintenance and would be back next week. "


def _seconds(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def part_one(chars: int = 2000) -> None:
    from weasyprint import HTML

    from app.dossier.render_pdf import ASSETS

    css = (ASSETS / "dossier.css").read_text()
    zh, en = (NOTE_ZH * chars)[:chars], (NOTE_EN * chars)[:chars]
    print(f"one note of {chars} characters, rendered alone (seconds):")
    print(f"{'':14}{'zh-CN':>8}{'en':>8}")
    for label, layout, cell in (("paragraph", "fixed", False), ("cell, auto", "auto", True),
                                ("cell, fixed", "fixed", True)):
        row = []
        for text, lang in ((zh, "zh-CN"), (en, "en")):
            body = f"<table><tr><td>1</td><td>{text}</td></tr></table>" if cell else f"<p>{text}</p>"
            html = (f'<html lang="{lang}"><head><style>{css} table {{ table-layout: {layout} }}'
                    f"</style></head><body>{body}</body></html>")
            row.append(_seconds(lambda: HTML(string=html).write_pdf()))
        print(f"{label:14}{row[0]:8.2f}{row[1]:8.2f}")


def part_two() -> None:
    from cryptography.fernet import Fernet
    from fastapi.testclient import TestClient

    from app.auth.service import create_client
    from app.main import create_app
    from app.settings import Settings

    folder = Path(tempfile.mkdtemp(prefix="dossier-bench-"))
    settings = Settings(database_url=f"sqlite:///{folder / 'bench.db'}", evidence_dir=folder / "evidence",
                        embedded_worker=False, secret_key=Fernet.generate_key().decode(),
                        rate_limit_api_key="100000/minute")
    app = create_app(settings)
    with app.state.write_sessions.begin() as session:
        key = create_client(session=session, name="bench", now=datetime.now(timezone.utc)).key
    http = TestClient(app, headers={"Authorization": f"Bearer {key}"})
    started = datetime.now(timezone.utc) - timedelta(days=30)

    def case_with(events: int, note_chars: int) -> str:
        case = http.post("/v1/cases", json={
            "platform": {"name": "安心保险APP", "kind": "insurer", "licensed": True}, "amount": "30000.00",
            "currency": "CNY", "withdrawal_requested_at": started.isoformat()}).json()["id"]
        for number in range(events):
            at = started + timedelta(hours=1 + number * 0.5)
            response = http.post(f"/v1/cases/{case}/events", json={
                "type": "support_contacted", "occurred_at": at.isoformat(),
                "data": {"channel": "online_chat"}, "note": (f"第{number}次：" + NOTE_ZH * 60)[:note_chars]})
            assert response.status_code == 201, response.text
        return case

    print(f"\nGET /v1/cases/{{id}}/dossier as PDF (limits: {settings.dossier_max_events} events, "
          f"{settings.dossier_max_total_note_chars} characters of notes in all, "
          f"{settings.dossier_max_note_chars} characters a note, {settings.dossier_render_timeout_seconds:g} s):")
    for events, chars in ((20, 2000), (400, 2000)):
        case = case_with(events, chars)
        answers = []
        first = _seconds(lambda: answers.append(http.get(f"/v1/cases/{case}/dossier")))
        again = _seconds(lambda: answers.append(http.get(f"/v1/cases/{case}/dossier")))
        print(f"{events} events x {chars} chars: {answers[0].status_code}, {len(answers[0].content) // 1024} KiB, "
              f"first answer {first:.2f} s (renders so far: {app.state.dossier_renderer.rendered}); "
              f"same version again {again:.3f} s (cached: {answers[1].content == answers[0].content})")
    app.state.engine.dispose()


if __name__ == "__main__":
    part_one()
    part_two()
