"""Dossier, sample: build realistic cases through the HTTP API in-process and write a dossier.

    .venv/bin/python -m app.dossier.sample            # writes docs/sample-dossier.pdf and .md
    .venv/bin/python -m app.dossier.sample --track fraud --lang en --out /tmp/x

Everything runs against a temporary SQLite file and evidence folder; the clock is fixed so the
same command gives the same dossier. The tests build their cases with the same functions.
"""

import argparse
import io
import struct
import tempfile
import wave
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol

from PIL import Image, ImageDraw, ImageFont

from app.locales import DEFAULT_LOCALE, LOCALES, Locale

CHINA = timezone(timedelta(hours=8))
# The moment the sample dossier is written; the case's events lie in the three weeks before it.
SAMPLE_NOW = datetime(2026, 11, 20, 10, 0, tzinfo=CHINA)
_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


class Poster(Protocol):
    def post(self, url: str, **kw: Any) -> Any: ...


def _image(lines: list[str], size: tuple[int, int] = (720, 400)) -> bytes:
    """A plain screenshot-like picture; uses the CJK font when the host has it."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(_FONT), 26) if _FONT.exists() else ImageFont.load_default()
    for row, line in enumerate(lines):
        draw.text((30, 30 + row * 48), line, fill="black", font=font)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _recording(seconds: float = 1.0) -> bytes:
    """A short mono WAV standing in for a call recording."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", (i % 40 - 20) * 300) for i in range(int(8000 * seconds))))
    return out.getvalue()


def _check(response: Any) -> dict:
    if response.status_code not in (200, 201):
        raise RuntimeError(f"{response.status_code}: {response.text}")
    return response.json()


def _at(now: datetime, days: float, hour: int = 10) -> str:
    moment = (now - timedelta(days=days)).astimezone(CHINA).replace(hour=hour, minute=15, second=0,
                                                                     microsecond=0)
    return min(moment, now - timedelta(minutes=1)).isoformat()


def _event(api: Poster, case_id: str, type_: str, at: str, data: dict | None = None,
           note: str | None = None) -> dict:
    body = {"type": type_, "occurred_at": at, "data": data or {}} | ({"note": note} if note else {})
    return _check(api.post(f"/v1/cases/{case_id}/events", json=body))["event"]


def _upload(api: Poster, case_id: str, content: bytes, name: str, kind: str, at: str,
            description: str) -> dict:
    return _check(api.post(f"/v1/cases/{case_id}/evidence",
                           data={"kind": kind, "captured_at": at, "description": description},
                           files={"file": (name, content, "application/octet-stream")}))


def build_complaint_case(api: Poster, *, now: datetime) -> str:
    """A licensed insurer's app stalls a 38,000 CNY surrender for three weeks, promise after promise."""
    case = _check(api.post("/v1/cases", json={
        "platform": {"name": "安心人寿保险APP", "kind": "insurer", "licensed": True,
                     "app_source": "official_store"},
        "amount": "38000.00", "withdrawal_requested_at": _at(now, 21, 9), "province": "浙江",
        "external_ref": f"sample-{now:%Y%m%d%H%M%S%f}"}))
    cid = case["id"]
    _event(api, cid, "notice_posted", _at(now, 20), {
        "notice_kind": "channel_maintenance", "published_at": _at(now, 20, 8), "scope": "all_users"},
        note="App 首页公告：“支付通道维护中，提现将延迟到账”，没有写结束时间和原因。")
    _upload(api, cid, _image(["【系统公告】", "支付通道维护中，", "提现将延迟到账，", "给您带来不便敬请谅解。"]),
            "公告截图.png", "notice_screenshot", _at(now, 20, 11), "App 首页公告全文截图，含发布时间")
    _event(api, cid, "regulator_checked", _at(now, 19), {"found_related_notice": False,
                                                          "source": "国家金融监督管理总局官网"})
    _event(api, cid, "peers_checked", _at(now, 19, 14), {"peers_affected": False})
    _event(api, cid, "license_checked", _at(now, 19, 15), {"licensed": True})
    _event(api, cid, "support_contacted", _at(now, 18), {
        "channel": "phone", "agent_id": "KF-0831", "explanation_kind": "channel_maintenance",
        "details_given": {"channel": False, "maintainer": False, "duration": True},
        "promised_resolution_at": _at(now, 15, 18), "in_writing": False, "recorded": True},
        note="询问是哪个支付通道、由谁维护、何时恢复；说明这笔钱急用。")
    _upload(api, cid, _recording(), "客服通话录音.wav", "call_recording", _at(now, 18, 10),
            "与客服 KF-0831 的通话录音，对方承诺三天内到账")
    _event(api, cid, "urgency_stated", _at(now, 18, 11), {"reason": "medical"},
           note="家人住院，需要支付手术费。")
    _event(api, cid, "support_contacted", _at(now, 14), {
        "channel": "online_chat", "agent_id": "在线客服-小周", "explanation_kind": "risk_review",
        "details_given": {"criteria": False}, "promised_resolution_at": _at(now, 10, 18),
        "in_writing": True}, note="承诺时间已过，再次追问；要求书面说明原因和日期。")
    _upload(api, cid, "2026-11 在线客服聊天记录\n客服：您的提现正在风控审核中，7 个工作日内处理完毕。\n"
            "我：请问审核的标准是什么？\n客服：具体标准不便透露。\n".encode(), "聊天记录.txt", "chat_log",
            _at(now, 14, 11), "在线客服聊天记录导出，含“7 个工作日内处理完毕”的书面承诺")
    _event(api, cid, "complaint_filed", _at(now, 9), {"authority": "platform", "reference": "TS20261111-0457"},
           note="通过 App 投诉入口提交书面投诉，要求全额支付并说明原因。")
    _event(api, cid, "complaint_filed", _at(now, 2), {"authority": "hotline_12378"},
           note="拨打 12378 登记投诉。")
    return cid


def build_fraud_case(api: Poster, *, now: datetime) -> str:
    """An 'investment' app installed from a link asks for an unfreeze fee to a personal account."""
    case = _check(api.post("/v1/cases", json={
        "platform": {"name": "鑫盛财富", "kind": "investment", "licensed": None, "app_source": "link_or_qr"},
        "amount": "52000.00", "withdrawal_requested_at": _at(now, 6, 20), "province": "江苏"}))
    cid = case["id"]
    _event(api, cid, "support_contacted", _at(now, 5), {
        "channel": "in_app", "agent_id": "客服经理-李", "explanation_kind": "risk_review"},
        note="对方称账户“流水异常”，需要先验证资金。")
    _event(api, cid, "fee_demanded", _at(now, 5, 11), {"fee_kind": "unfreeze", "amount": "5200.00"},
           note="要求缴纳提现金额 10% 的解冻费。")
    _event(api, cid, "payment_instruction_received", _at(now, 5, 12), {
        "destination": "personal_account", "amount": "5200.00", "account_changes_each_time": True},
        note="收款人为个人，户名与平台名称不符。")
    _upload(api, cid, _image(["转账成功", "金额：5,200.00 元", "收款人：个人账户（尾号 3317）",
                              "时间：当日 12:20"]), "转账凭证.png", "transfer_receipt", _at(now, 5, 12),
            "向对方指定个人账户转账 5,200 元的手机银行回单")
    _event(api, cid, "fee_demanded", _at(now, 3), {"fee_kind": "tax", "amount": "7800.00"},
           note="又称需要先缴个人所得税才能出款。")
    return cid


class _Api:
    """The HTTP client with the sample's API key, shaped like the tests' Api."""

    def __init__(self, http: Any, key: str) -> None:
        self.http, self.headers = http, {"Authorization": f"Bearer {key}"}

    def post(self, url: str, **kw: Any) -> Any:
        return self.http.post(url, headers=self.headers, **kw)

    def get(self, url: str, **kw: Any) -> Any:
        return self.http.get(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)


def write_sample(out: Path, *, track: str = "dispute", lang: Locale = DEFAULT_LOCALE) -> list[Path]:
    from fastapi.testclient import TestClient

    from app.auth.service import create_client
    from app.deps import get_now
    from app.main import create_app
    from app.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(database_url=f"sqlite:///{tmp}/sample.db", embedded_worker=False,
                                  evidence_dir=Path(tmp) / "evidence", secret_key_file=Path(tmp) / "key"))
        app.dependency_overrides[get_now] = lambda: SAMPLE_NOW
        with app.state.write_sessions.begin() as session:
            key = create_client(session=session, name="sample", now=SAMPLE_NOW).key
        with TestClient(app) as http:
            api = _Api(http, key)
            build = build_fraud_case if track == "fraud" else build_complaint_case
            case_id = build(api, now=SAMPLE_NOW)
            out.mkdir(parents=True, exist_ok=True)
            written = []
            for fmt, suffix in (("pdf", "pdf"), ("markdown", "md")):
                response = api.get(f"/v1/cases/{case_id}/dossier?format={fmt}&lang={lang}")
                if response.status_code != 200:
                    raise RuntimeError(f"{response.status_code}: {response.text}")
                path = out / f"sample-dossier{'' if track == 'dispute' else '-' + track}.{suffix}"
                path.write_bytes(response.content)
                written.append(path)
        app.state.engine.dispose()
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a sample dossier built through the API.")
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--track", choices=("dispute", "fraud"), default="dispute")
    parser.add_argument("--lang", choices=LOCALES, default=DEFAULT_LOCALE)
    args = parser.parse_args(argv)
    for path in write_sample(args.out, track=args.track, lang=args.lang):
        print(path)


if __name__ == "__main__":
    main()
