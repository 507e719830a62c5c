"""Observability: JSON log lines, one object per record, extras included."""

import json
import logging
import re
import sys
from datetime import datetime, timezone

# color_message: uvicorn's copy of msg with ANSI colours, noise in a JSON line.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime",
                                                                           "color_message"}
# Whatever reaches a log line (an exception's SQL parameters, a user's note) is scrubbed of
# secrets and of the personal numbers users type: mainland mobile and resident ID numbers.
_SECRETS = [
    (re.compile(r"\b(sf_|sfct_|whsec_)[A-Za-z0-9_\-+/=]{8,}"), r"\1[redacted]"),
    (re.compile(r"(?i)(bearer\s+)[^\s\"']+"), r"\1[redacted]"),
]
_PERSONAL = [
    (re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)"), "[id-number]"),
    (re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)"), "[phone]"),
]


# Ids (case and client UUIDs, request ids) are hex: a run of their digits can look like a phone
# or ID number, and a scrubbed id no longer finds its case. They are kept whole.
_HEX_ID = re.compile(r"(?<![0-9A-Za-z_])(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
                     r"|[0-9a-f]{32})(?![0-9A-Za-z_])", re.IGNORECASE)


# Every log line passes here (one access line per request), and each pattern is a scan of it.
# Each is tried only where it could match: a secret needs its literal prefix, a personal number
# a run of 11 digits. The check for the run is a byte translation (ASCII text only; `\d` also
# matches other scripts' digits, so other text takes every pattern). The result is the same.
_SECRET_MARKS = ("sf_", "sfct_", "whsec_")
_ONLY_DIGITS = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_DIGIT_RUN = b"0" * 11


def _may_hold_personal(text: str) -> bool:
    return not text.isascii() or _DIGIT_RUN in text.encode("ascii").translate(_ONLY_DIGITS)


def scrub(text: str) -> str:
    if any(mark in text for mark in _SECRET_MARKS):
        text = _SECRETS[0][0].sub(_SECRETS[0][1], text)
    if "bearer" in text.lower():
        text = _SECRETS[1][0].sub(_SECRETS[1][1], text)
    if not _may_hold_personal(text):
        return text
    kept, last = [], 0
    for match in _HEX_ID.finditer(text):
        kept += [_personal(text[last:match.start()]), match.group()]
        last = match.end()
    return "".join([*kept, _personal(text[last:])])


def _personal(text: str) -> str:
    for pattern, replacement in _PERSONAL:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        line.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return scrub(json.dumps(line, ensure_ascii=False, default=str))


def configure_logging(level: str = "INFO") -> None:
    """Send the service's own logs to stderr as JSON lines (idempotent)."""
    root = logging.getLogger("stuckfunds")
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False


def uvicorn_log_config(level: str = "INFO") -> dict:
    """uvicorn's own lines (start-up, shutdown, errors) as JSON too, in every worker process."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "app.logs.JsonFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json",
                                "stream": "ext://sys.stderr"}},
        "loggers": {name: {"handlers": ["stderr"], "level": level.upper(), "propagate": False}
                    for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
    }
