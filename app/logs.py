"""Observability: JSON log lines, one object per record, extras included."""

import json
import logging
import re
import sys
from datetime import datetime, timezone

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
# Whatever reaches a log line (an exception's SQL parameters, a user's note) is scrubbed of
# secrets and of the personal numbers users type: mainland mobile and resident ID numbers.
_SCRUB = [
    (re.compile(r"\b(sf_|sfct_|whsec_)[A-Za-z0-9_\-+/=]{8,}"), r"\1[redacted]"),
    (re.compile(r"(?i)(bearer\s+)[^\s\"']+"), r"\1[redacted]"),
    (re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)"), "[id-number]"),
    (re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)"), "[phone]"),
]


def scrub(text: str) -> str:
    for pattern, replacement in _SCRUB:
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
