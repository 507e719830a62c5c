"""Checks on the working-day calendar: rules/calendar/cn-working-days.yaml and its loader.

Art. 33 of 《银行业保险业消费投诉处理管理办法》 gives the regulator 7 working days to forward
a complaint (FACTS B1.11, B1.13); working days skip statutory holidays and include the
weekend days the State Council turns into working days (调休).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import warnings
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from app.evaluation import CompiledRuleset, RulesError, evaluate, load_ruleset
from app.evaluation.calendar import CALENDAR_FILE as CALENDAR_IN_RULES
from app.evaluation.calendar import (
    CHINA_TZ,
    CalendarError,
    WorkingCalendar,
    load_calendar,
)
from app.scenarios import load_scenario, scenario_paths

ROOT = Path(__file__).resolve().parents[2]
CALENDAR_FILE = ROOT / "rules" / "calendar" / "cn-working-days.yaml"
CN = CHINA_TZ
UTC = timezone.utc


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return load_calendar(CALENDAR_FILE)


@pytest.fixture(scope="module")
def raw() -> dict:
    with CALENDAR_FILE.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


# --- the file -------------------------------------------------------------------------------

def test_the_ruleset_reads_the_calendar_from_its_rules_directory():
    assert ROOT / "rules" / CALENDAR_IN_RULES == CALENDAR_FILE
    assert CALENDAR_FILE.is_file()
    assert load_ruleset(ROOT / "rules").calendar == load_calendar(CALENDAR_FILE)


def test_file_loads_and_covers_the_established_years(calendar):
    assert calendar.version == 1
    assert {2025, 2026} <= calendar.years
    for year in calendar.years:
        assert "国务院办公厅关于" in calendar.sources[year] and f"{year}年部分节假日安排的通知" in calendar.sources[year]


def test_holidays_never_fall_on_a_listed_workday(raw):
    for year, entry in raw["years"].items():
        clash = set(entry["holidays"] or []) & set(entry["workdays"] or [])
        assert not clash, f"{year}: dates listed as both holiday and workday: {sorted(clash)}"


def test_every_listed_date_belongs_to_its_year(raw):
    for year, entry in raw["years"].items():
        for key in ("holidays", "workdays"):
            for d in entry[key] or []:
                assert isinstance(d, date) and not isinstance(d, datetime), f"{year} {key}: {d!r}"
                assert d.year == year, f"{d} is filed under {year}"


def test_workdays_are_weekend_days(raw):
    for year, entry in raw["years"].items():
        for d in entry["workdays"] or []:
            assert d.weekday() >= 5, f"{year}: workday {d} is not a Saturday or Sunday"


@pytest.mark.parametrize("year, off_days, make_up_days", [
    # 元旦 1 + 春节 8 + 清明 3 + 劳动节 5 + 端午 3 + 国庆中秋 8; 5 调休 days.
    (2025, 28, 5),
    # 元旦 3 + 春节 9 + 清明 3 + 劳动节 5 + 端午 3 + 中秋 3 + 国庆 7; 6 调休 days.
    (2026, 33, 6),
])
def test_year_totals_match_the_notice(calendar, year, off_days, make_up_days):
    assert len([d for d in calendar.holidays if d.year == year]) == off_days
    assert len([d for d in calendar.workdays if d.year == year]) == make_up_days


# The State Council has published each year's schedule between late October and mid-December
# of the year before (2023: 2022-12-08; 2025: 2024-11-12; 2026: 2025-11-04). Before the window
# closes a missing next year cannot be added by anyone, so the check bites from then on.
PUBLICATION_WINDOW_CLOSES = (12, 15)


def missing_next_year(today: date, covers) -> int | None:
    """The year the calendar must already hold on `today` but does not, if any."""
    if not covers(date(today.year, 1, 1)):
        return today.year
    if (today.month, today.day) >= PUBLICATION_WINDOW_CLOSES and not covers(date(today.year + 1, 1, 1)):
        return today.year + 1
    return None


def test_missing_next_year_is_caught_once_the_schedule_is_due(calendar):
    assert missing_next_year(date(2026, 12, 20), calendar.covers) == 2027
    assert missing_next_year(date(2025, 12, 20), calendar.covers) is None
    assert missing_next_year(date(2027, 3, 1), calendar.covers) == 2027


def test_calendar_covers_next_year():
    today = datetime.now(CN).date()
    shipped = load_calendar(CALENDAR_FILE)
    missing = missing_next_year(today, shipped.covers)
    if missing is None and not shipped.covers(date(today.year + 1, 1, 1)):
        warnings.warn(f"{CALENDAR_FILE.name} lacks {today.year + 1}; add it once the State Council "
                      "publishes its schedule", stacklevel=1)
    assert missing is None, (
        f"{CALENDAR_FILE.relative_to(ROOT)} has no schedule for {missing}: add it from the State "
        f"Council's notice 《国务院办公厅关于{missing}年部分节假日安排的通知》 (usually published on "
        f"www.gov.cn in November or December), holidays and 调休 workdays, with the notice's title and "
        f"number in `source`. Until then working days in {missing} are counted as plain Monday-Friday."
    )


# --- counting -------------------------------------------------------------------------------

@pytest.mark.parametrize("start, expected", [
    # Friday before the 2025 National Day week: Sun 9/28 is 调休 (1), 9/29-9/30 (2-3),
    # 10/1-10/8 off, 10/9-10/10 (4-5), Sat 10/11 调休 (6), Mon 10/13 (7).
    (datetime(2025, 9, 26, 10, 0, tzinfo=CN), datetime(2025, 10, 13, 10, 0, tzinfo=CN)),
    # 2026: Fri 9/25 is itself a holiday (中秋); 9/28-9/30 (1-3), 10/1-10/7 off, 10/8-10/9 (4-5),
    # Sat 10/10 调休 (6), Mon 10/12 (7).
    (datetime(2026, 9, 25, 10, 0, tzinfo=CN), datetime(2026, 10, 12, 10, 0, tzinfo=CN)),
])
def test_seven_working_days_before_national_day_land_after_the_holiday(calendar, start, expected):
    assert calendar.add_working_days(start, 7) == expected
    # Monday-Friday alone would have landed inside the holiday week.
    assert WorkingCalendar(1, frozenset(), frozenset(), frozenset()).add_working_days(start, 7) < expected


def test_adjusted_saturday_counts_as_a_working_day(calendar):
    # Sat 2026-02-14 is a 调休 working day before the Spring Festival.
    assert calendar.is_working_day(date(2026, 2, 14))
    start = datetime(2026, 2, 13, 9, 0, tzinfo=CN)  # Friday
    assert calendar.add_working_days(start, 1) == datetime(2026, 2, 14, 9, 0, tzinfo=CN)
    # Sun 2025-09-28 likewise.
    assert calendar.add_working_days(datetime(2025, 9, 26, 9, 0, tzinfo=CN), 1) == \
        datetime(2025, 9, 28, 9, 0, tzinfo=CN)


def test_holiday_weekday_is_skipped(calendar):
    # Mon 2026-04-06 is 清明节.
    assert not calendar.is_working_day(date(2026, 4, 6))
    start = datetime(2026, 4, 3, 15, 0, tzinfo=CN)  # Friday
    assert calendar.add_working_days(start, 1) == datetime(2026, 4, 7, 15, 0, tzinfo=CN)
    # The whole Spring Festival 2026 (2/15-2/23), then Sat 2/28 is 调休.
    start = datetime(2026, 2, 14, 9, 0, tzinfo=CN)
    assert calendar.add_working_days(start, 1) == datetime(2026, 2, 24, 9, 0, tzinfo=CN)
    assert calendar.add_working_days(start, 5) == datetime(2026, 2, 28, 9, 0, tzinfo=CN)


def test_counting_crosses_the_year_boundary(calendar):
    # Wed 2025-12-31: 2026-01-01..03 off, Sun 2026-01-04 is 调休.
    start = datetime(2025, 12, 31, 18, 0, tzinfo=CN)
    assert calendar.add_working_days(start, 1) == datetime(2026, 1, 4, 18, 0, tzinfo=CN)


def test_time_of_day_and_timezone_are_kept(calendar):
    start = datetime(2026, 3, 2, 14, 35, 17, 123456, tzinfo=CN)  # Monday
    result = calendar.add_working_days(start, 7)
    assert result == datetime(2026, 3, 11, 14, 35, 17, 123456, tzinfo=CN)
    assert result.utcoffset() == timedelta(hours=8)
    start_utc = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in China, Monday
    result_utc = calendar.add_working_days(start_utc, 7)
    assert result_utc == datetime(2026, 3, 11, 1, 0, tzinfo=UTC)
    assert result_utc.tzinfo is UTC


def test_utc_start_late_in_the_evening_is_judged_by_its_china_date(calendar):
    # 2026-09-30 17:00 UTC is already 2026-10-01 01:00 in China (National Day).
    start = datetime(2026, 9, 30, 17, 0, tzinfo=UTC)
    assert calendar.add_working_days(start, 1) == datetime(2026, 10, 7, 17, 0, tzinfo=UTC)
    # 2026-02-13 16:30 UTC is Sat 2026-02-14 00:30 in China: the next working day after that
    # China date is Tue 2/24, not the 调休 Saturday itself.
    start = datetime(2026, 2, 13, 16, 30, tzinfo=UTC)
    result = calendar.add_working_days(start, 1)
    assert result == datetime(2026, 2, 23, 16, 30, tzinfo=UTC)
    assert result.astimezone(CN).date() == date(2026, 2, 24)


def test_zero_days_is_the_start_and_bad_inputs_are_refused(calendar):
    start = datetime(2026, 10, 3, 8, 0, tzinfo=CN)
    assert calendar.add_working_days(start, 0) == start
    with pytest.raises(ValueError, match="forwards"):
        calendar.add_working_days(start, -1)
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.add_working_days(datetime(2026, 10, 3, 8, 0), 1)


def test_uncovered_year_falls_back_to_monday_to_friday(calendar):
    assert calendar.covers(date(2026, 6, 1))
    assert not calendar.covers(date(2031, 10, 1))
    assert calendar.is_working_day(date(2031, 10, 1))  # a Wednesday; no schedule known
    start = datetime(2031, 9, 26, 10, 0, tzinfo=CN)  # Friday
    assert calendar.add_working_days(start, 7) == datetime(2031, 10, 7, 10, 0, tzinfo=CN)


def _forward_scenario():
    [path] = [p for p in scenario_paths(ROOT / "rules") if p.stem.startswith("246_")]
    return load_scenario(path)


def test_another_rules_dir_brings_its_own_calendar_and_hash(tmp_path):
    """STUCKFUNDS_RULES_DIR moves the calendar with the hash: no calendar is process-wide."""
    other = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", other, ignore=shutil.ignore_patterns("scenarios"))
    path = other / CALENDAR_IN_RULES
    # Make Monday 21 July 2025, the regulator's 7th working day in scenario 246, a holiday.
    text = path.read_text(encoding="utf-8")
    assert "  2025:\n" in text.split("    holidays:\n", 1)[0]  # the first year listed is 2025
    path.write_text(text.replace("    holidays:\n", "    holidays:\n      - 2025-07-21\n", 1),
                    encoding="utf-8")
    shipped, edited = load_ruleset(ROOT / "rules"), load_ruleset(other)
    assert edited.hash != shipped.hash
    assert not edited.calendar.is_working_day(date(2025, 7, 21))
    assert shipped.calendar.is_working_day(date(2025, 7, 21))
    scenario = _forward_scenario()
    due = {}
    for name, ruleset in (("shipped", shipped), ("edited", edited)):
        ev = evaluate(scenario.case, scenario.events, scenario.as_of, CompiledRuleset(ruleset))
        [deadline] = [d for d in ev.deadlines if d.kind == "regulator_forward"]
        due[name] = deadline.due_at
        assert ev.ruleset_hash == ruleset.hash
    # Shipped: due at the end of Monday 21 July; with that Monday off, a day later.
    assert due["edited"] - due["shipped"] == timedelta(days=1)
    # The shipped evaluation is unchanged by having loaded the other one.
    again = evaluate(scenario.case, scenario.events, scenario.as_of, CompiledRuleset(shipped))
    assert [d.due_at for d in again.deadlines if d.kind == "regulator_forward"] == [due["shipped"]]


def test_a_broken_calendar_stops_the_ruleset_loading(tmp_path):
    other = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", other, ignore=shutil.ignore_patterns("scenarios"))
    (other / CALENDAR_IN_RULES).write_text("version: 1\nyears: {}\n", encoding="utf-8")
    with pytest.raises(RulesError, match="cn-working-days.yaml.*non-empty"):
        load_ruleset(other)


def test_module_imports_neither_fastapi_nor_sqlalchemy():
    code = ("import sys, app.evaluation.calendar; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('fastapi', 'sqlalchemy')]; "
            "assert not bad, bad")
    # app/evaluation/__init__ runs first; the check covers the package import path too.
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


# --- malformed files ------------------------------------------------------------------------

GOOD_YEAR = """\
  2026:
    source: "国务院办公厅关于2026年部分节假日安排的通知"
    holidays: [2026-10-01]
    workdays: [2026-10-10]
"""


@pytest.mark.parametrize("body, message", [
    ("version: 1\nyears: [", "not valid YAML"),
    ("- 1\n", "top level"),
    ("version: 2\nyears:\n" + GOOD_YEAR, "version"),
    ("version: 1\nyears: {}\n", "non-empty"),
    ("version: 1\nyear:\n" + GOOD_YEAR, "unknown top-level"),
    ("version: 1\nyears:\n  '2026':\n    source: x\n    holidays: []\n    workdays: []\n", "plausible year"),
    ("version: 1\nyears:\n  2026:\n    source: x\n    holiday: []\n    workdays: []\n", "missing keys"),
    ("version: 1\nyears:\n  2026:\n    source: ''\n    holidays: []\n    workdays: []\n", "source"),
    ("version: 1\nyears:\n  2026:\n    source: x\n    holidays: [2027-01-01]\n    workdays: []\n",
     "belongs to 2027"),
    ("version: 1\nyears:\n  2026:\n    source: x\n    holidays: ['next monday']\n    workdays: []\n",
     "not a date"),
    ("version: 1\nyears:\n  2026:\n    source: x\n    holidays: [2026-10-10]\n    workdays: [2026-10-10]\n",
     "both holiday and workday"),
    ("version: 1\nyears:\n  2026:\n    source: x\n    holidays: []\n    workdays: [2026-10-09]\n",
     "already Monday-Friday"),
    ("version: 1\nyears:\n  2026:\n    source: x\n    holidays: [2026-10-01, 2026-10-01]\n    workdays: []\n",
     "twice"),
])
def test_malformed_file_error_names_the_file(tmp_path, body, message):
    path = tmp_path / "broken-calendar.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(CalendarError, match=message) as info:
        load_calendar(path)
    assert str(path) in str(info.value)


def test_missing_file_error_names_the_file(tmp_path):
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(CalendarError, match="missing") as info:
        load_calendar(path)
    assert str(path) in str(info.value)


def test_minimal_good_file_loads(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("version: 1\nyears:\n" + GOOD_YEAR, encoding="utf-8")
    loaded = load_calendar(path)
    assert loaded.years == frozenset({2026})
    assert not loaded.is_working_day(date(2026, 10, 1))
    assert loaded.is_working_day(date(2026, 10, 10))
