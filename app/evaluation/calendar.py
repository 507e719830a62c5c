"""Evaluation, dates: working days for the few clocks counted in them (FACTS B1.11).

A working day in mainland China is Monday to Friday, except the statutory holidays, plus
the weekend days the State Council's yearly notice (国务院办公厅关于某年部分节假日安排的通知)
turns into working days (调休). Those dates are kept as versioned data in
rules/calendar/cn-working-days.yaml, one entry per year. The calendar is part of the
ruleset: `load_ruleset` reads it from the rules directory it loads (so it is hashed and
stamped with the rules), and no module keeps one of its own. For a year the file does not
cover, counting falls back to plain Monday to Friday; `WorkingCalendar.covers` tells
callers when that happens.

Dates are judged in China time (UTC+8; no daylight saving since 1991), whatever the
timezone of the datetime given. Imports neither FastAPI nor SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any

from app.evaluation.files import read_mapping

CHINA_TZ = timezone(timedelta(hours=8), "UTC+08:00")
# Where the calendar sits inside a rules directory.
CALENDAR_FILE = Path("calendar") / "cn-working-days.yaml"
SUPPORTED_VERSIONS = (1,)

_TOP_KEYS = {"version", "years"}
_YEAR_KEYS = {"source", "holidays", "workdays"}
_SATURDAY = 5


class CalendarError(ValueError):
    """The working-day calendar file is missing or malformed; the message names the file."""


@dataclass(frozen=True)
class WorkingCalendar:
    """Statutory holidays and adjusted working days (调休) for the years a file covers."""

    version: int
    years: frozenset[int]
    holidays: frozenset[date]
    workdays: frozenset[date]
    sources: Mapping[int, str] = field(default_factory=lambda: MappingProxyType({}),
                                       compare=False, hash=False)

    def covers(self, d: date) -> bool:
        """True when the official schedule for `d`'s year is in the calendar."""
        return d.year in self.years

    def is_working_day(self, d: date) -> bool:
        """A listed 调休 day, or Monday-Friday that is not a listed holiday.

        For a year the calendar does not cover this is plain Monday to Friday.
        """
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        return d.weekday() < _SATURDAY

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The moment `days` working days after `start`.

        Counting starts the day after `start`'s China (UTC+8) date, and the result is on the
        China date of the last working day counted. It keeps `start`'s time of day and
        timezone. `start` must be timezone-aware; `days` must not be negative.
        """
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError(f"add_working_days needs a timezone-aware datetime, got {start!r}")
        if days < 0:
            raise ValueError(f"add_working_days counts forwards only, got days={days}")
        first = start.astimezone(CHINA_TZ).date()
        current = first
        remaining = days
        while remaining > 0:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        # Whole days added in start's own timezone keep its wall-clock time and tzinfo.
        return start + timedelta(days=(current - first).days)


def load_calendar(path: Path | str) -> WorkingCalendar:
    """Read and check a working-day calendar file; raise CalendarError naming it if malformed."""
    path = Path(path)
    document = read_mapping(path, CalendarError, "a mapping with `version` and `years` at the top level")

    def fail(message: str) -> CalendarError:
        return CalendarError(f"{path}: {message}")

    unknown = set(document) - _TOP_KEYS
    if unknown:
        raise fail(f"unknown top-level keys {sorted(map(str, unknown))}")
    version = document.get("version")
    if version not in SUPPORTED_VERSIONS or isinstance(version, bool):
        raise fail(f"`version` must be one of {list(SUPPORTED_VERSIONS)}, got {version!r}")
    years_doc = document.get("years")
    if not isinstance(years_doc, dict) or not years_doc:
        raise fail("`years` must be a non-empty mapping of year -> schedule")

    holidays: set[date] = set()
    workdays: set[date] = set()
    sources: dict[int, str] = {}
    for year, entry in years_doc.items():
        if not isinstance(year, int) or isinstance(year, bool) or not 1949 < year < 2200:
            raise fail(f"year key {year!r} is not a plausible year (write it unquoted, e.g. 2026)")
        if not isinstance(entry, dict):
            raise fail(f"year {year}: expected a mapping with {sorted(_YEAR_KEYS)}")
        missing = _YEAR_KEYS - set(entry)
        unknown = set(entry) - _YEAR_KEYS
        if missing or unknown:
            raise fail(f"year {year}: missing keys {sorted(missing)}, unknown keys "
                       f"{sorted(map(str, unknown))}; expected exactly {sorted(_YEAR_KEYS)}")
        source = entry["source"]
        if not isinstance(source, str) or not source.strip():
            raise fail(f"year {year}: `source` must name the State Council notice")
        off = _dates(entry["holidays"], year, "holidays", fail)
        on = _dates(entry["workdays"], year, "workdays", fail)
        both = off & on
        if both:
            raise fail(f"year {year}: listed as both holiday and workday: {_fmt(both)}")
        weekdays = {d for d in on if d.weekday() < _SATURDAY}
        if weekdays:
            raise fail(f"year {year}: `workdays` lists only weekend days made working days (调休); "
                       f"these are already Monday-Friday: {_fmt(weekdays)}")
        holidays |= off
        workdays |= on
        sources[year] = source.strip()

    return WorkingCalendar(
        version=version,
        years=frozenset(sources),
        holidays=frozenset(holidays),
        workdays=frozenset(workdays),
        sources=MappingProxyType(dict(sorted(sources.items()))),
    )


def _dates(raw: Any, year: int, key: str, fail) -> set[date]:
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise fail(f"year {year}: `{key}` must be a list of dates (YYYY-MM-DD)")
    seen: set[date] = set()
    for item in raw:
        if isinstance(item, datetime) or not isinstance(item, date):
            raise fail(f"year {year}: `{key}` entry {item!r} is not a date (write YYYY-MM-DD, unquoted)")
        if item.year != year:
            raise fail(f"year {year}: `{key}` entry {item.isoformat()} belongs to {item.year}; "
                       f"file it under that year")
        if item in seen:
            raise fail(f"year {year}: `{key}` lists {item.isoformat()} twice")
        seen.add(item)
    return seen


def _fmt(dates: set[date]) -> str:
    return ", ".join(d.isoformat() for d in sorted(dates))

