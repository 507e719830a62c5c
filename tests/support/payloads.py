"""Test data: realistic intakes and events, built relative to now."""

from datetime import datetime, timedelta, timezone


def iso(dt: datetime) -> str:
    return dt.isoformat()


def ago(**kw) -> str:
    return iso(datetime.now(timezone.utc) - timedelta(**kw))


def ahead(**kw) -> str:
    return iso(datetime.now(timezone.utc) + timedelta(**kw))


def intake(**overrides) -> dict:
    body = {
        "platform": {"name": "安心保险APP", "kind": "insurer", "licensed": True},
        "amount": "30000.00",
        "currency": "CNY",
        "withdrawal_requested_at": ago(days=3),
        "province": "浙江",
    }
    body.update(overrides)
    return body


def event(type_: str, data: dict | None = None, **kw) -> dict:
    body = {"type": type_, "occurred_at": kw.pop("occurred_at", ago(hours=1)), "data": data or {}}
    body.update(kw)
    return body
