"""The working-day calendar: official arrangement, 调休, unknown years and override files."""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import pytest

from lawtrail.core.calendar import (
    ENV_VAR,
    CalendarDataError,
    CalendarUnknownError,
    WorkdayCalendar,
    YearOverride,
    packaged_overrides,
)

COMPLETE_2027 = """
[[year]]
year = 2027
complete = true
source = "测试：假设的2027年安排"
holidays = ["2027-01-01", "2027-02-08"]
workdays = ["2027-02-14"]
"""


def write(tmp_path: Path, text: str, name: str = "overrides.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def official() -> WorkdayCalendar:
    return WorkdayCalendar()


# --- the official arrangement (chinese_calendar) -------------------------------------------


def test_national_day_2026_is_off_and_adjusted_weekend_days_are_working(
    official: WorkdayCalendar,
) -> None:
    for day in range(1, 8):
        assert not official.is_working_day(date(2026, 10, day)), f"2026-10-0{day}"
    assert official.is_working_day(date(2026, 10, 8))
    assert official.is_working_day(date(2026, 10, 9))
    assert official.is_working_day(date(2026, 9, 20))  # Sunday, 调休
    assert official.is_working_day(date(2026, 10, 10))  # Saturday, 调休


def test_ordinary_weekend_is_off_and_weekday_is_working(official: WorkdayCalendar) -> None:
    assert official.is_working_day(date(2026, 11, 23))  # Monday
    assert not official.is_working_day(date(2026, 11, 21))  # Saturday
    assert not official.is_working_day(date(2026, 11, 22))  # Sunday


def test_add_working_days_skips_national_day_holiday(official: WorkdayCalendar) -> None:
    assert official.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert official.add_working_days(date(2026, 9, 30), 2) == date(2026, 10, 9)


def test_add_working_days_counts_adjusted_sunday(official: WorkdayCalendar) -> None:
    assert official.add_working_days(date(2026, 9, 18), 1) == date(2026, 9, 20)
    assert official.add_working_days(date(2026, 9, 18), 2) == date(2026, 9, 21)


def test_add_working_days_never_counts_the_start_day(official: WorkdayCalendar) -> None:
    # Saturday 2026-10-10 is itself a 调休 working day, yet it is the start: not counted.
    assert official.add_working_days(date(2026, 10, 10), 1) == date(2026, 10, 12)
    assert official.add_working_days(date(2026, 10, 10), 2) == date(2026, 10, 13)


@pytest.mark.parametrize("n", [0, -1])
def test_add_working_days_rejects_non_positive_counts(official: WorkdayCalendar, n: int) -> None:
    with pytest.raises(ValueError, match="正整数"):
        official.add_working_days(date(2026, 5, 6), n)


# --- unknown years -------------------------------------------------------------------------


def test_known_and_unknown_years(official: WorkdayCalendar) -> None:
    assert official.knows_year(2026)
    assert official.knows_year(2004)
    assert not official.knows_year(2027)
    assert not official.knows_year(2003)


def test_unknown_year_raises_with_year_and_chinese_message(official: WorkdayCalendar) -> None:
    with pytest.raises(CalendarUnknownError) as caught:
        official.is_working_day(date(2027, 1, 4))
    assert caught.value.year == 2027
    assert "2027年的法定节假日安排未载入工作日历" in str(caught.value)
    assert isinstance(caught.value, LookupError)


def test_counting_into_an_unknown_year_raises(official: WorkdayCalendar) -> None:
    with pytest.raises(CalendarUnknownError) as caught:
        official.add_working_days(date(2026, 12, 31), 2)
    assert caught.value.year == 2027


# --- override files ------------------------------------------------------------------------


def test_complete_override_makes_unknown_year_computable(tmp_path: Path) -> None:
    cal = WorkdayCalendar.from_files([write(tmp_path, COMPLETE_2027)])
    assert cal.knows_year(2027)
    assert not cal.is_working_day(date(2027, 1, 1))  # listed holiday (Friday)
    assert not cal.is_working_day(date(2027, 2, 8))  # listed holiday (Monday)
    assert cal.is_working_day(date(2027, 2, 14))  # listed 调休 Sunday
    assert cal.is_working_day(date(2027, 2, 9))  # unlisted Tuesday: working
    assert not cal.is_working_day(date(2027, 2, 13))  # unlisted Saturday: rest
    # Thu 2026-12-31 → Mon 2027-01-04 (Jan 1 holiday, 2–3 weekend), Tue 2027-01-05.
    assert cal.add_working_days(date(2026, 12, 31), 2) == date(2027, 1, 5)
    # Fri 2027-02-12 → Sat 13 rest, Sun 14 a listed 调休 working day.
    assert cal.add_working_days(date(2027, 2, 12), 1) == date(2027, 2, 14)


def test_complete_override_replaces_library_arrangement(tmp_path: Path) -> None:
    text = """
[[year]]
year = 2026
complete = true
source = "测试：整年替换"
holidays = []
workdays = []
"""
    cal = WorkdayCalendar.from_files([write(tmp_path, text)])
    assert cal.is_working_day(date(2026, 10, 1))  # Thursday, no longer a holiday
    assert not cal.is_working_day(date(2026, 9, 20))  # Sunday, no longer 调休


def test_partial_override_corrects_one_date_and_keeps_the_rest(tmp_path: Path) -> None:
    text = """
[[year]]
year = 2026
complete = false
source = "测试：单日更正"
holidays = ["2026-10-08"]
"""
    cal = WorkdayCalendar.from_files([write(tmp_path, text)])
    assert not cal.is_working_day(date(2026, 10, 8))
    assert cal.is_working_day(date(2026, 10, 9))  # untouched library data
    assert cal.is_working_day(date(2026, 10, 10))  # untouched 调休
    assert cal.add_working_days(date(2026, 9, 30), 2) == date(2026, 10, 10)


def test_partial_override_does_not_make_unknown_year_known(tmp_path: Path) -> None:
    text = """
[[year]]
year = 2027
complete = false
source = "测试"
holidays = ["2027-01-01"]
"""
    cal = WorkdayCalendar.from_files([write(tmp_path, text)])
    assert not cal.knows_year(2027)
    with pytest.raises(CalendarUnknownError):
        cal.is_working_day(date(2027, 1, 1))


def test_later_file_wins_over_earlier_file(tmp_path: Path) -> None:
    first = write(tmp_path, COMPLETE_2027, "a.toml")
    second = write(
        tmp_path,
        '[[year]]\nyear = 2027\ncomplete = false\nsource = "更正"\nworkdays = ["2027-01-01"]\n',
        "b.toml",
    )
    cal = WorkdayCalendar.from_files([first, second])
    assert cal.is_working_day(date(2027, 1, 1))
    assert not cal.is_working_day(date(2027, 2, 8))  # first file still applies elsewhere


def test_native_toml_dates_are_accepted(tmp_path: Path) -> None:
    text = (
        '[[year]]\nyear = 2027\ncomplete = true\nsource = "测试"\n'
        "holidays = [2027-01-01]\nworkdays = [2027-02-14]\n"
    )
    cal = WorkdayCalendar.from_files([write(tmp_path, text)])
    assert not cal.is_working_day(date(2027, 1, 1))
    assert cal.is_working_day(date(2027, 2, 14))


def test_loaded_override_records_its_origin(tmp_path: Path) -> None:
    path = write(tmp_path, COMPLETE_2027)
    cal = WorkdayCalendar.from_files([path])
    assert cal.overrides == (
        YearOverride(
            year=2027,
            complete=True,
            source="测试：假设的2027年安排",
            holidays=frozenset({date(2027, 1, 1), date(2027, 2, 8)}),
            workdays=frozenset({date(2027, 2, 14)}),
            origin=str(path),
        ),
    )


MALFORMED = {
    "date_in_both_lists": (
        '[[year]]\nyear = 2027\ncomplete = true\nsource = "s"\n'
        'holidays = ["2027-02-14"]\nworkdays = ["2027-02-14"]\n',
        "2027-02-14",
    ),
    "unparsable_date": (
        '[[year]]\nyear = 2027\ncomplete = true\nsource = "s"\nholidays = ["2027-13-01"]\n',
        "2027-13-01",
    ),
    "not_iso_date": (
        '[[year]]\nyear = 2027\ncomplete = true\nsource = "s"\nholidays = ["2027/01/01"]\n',
        "2027/01/01",
    ),
    "date_outside_year": (
        '[[year]]\nyear = 2027\ncomplete = true\nsource = "s"\nholidays = ["2026-12-31"]\n',
        "2026-12-31",
    ),
    "missing_source": (
        '[[year]]\nyear = 2027\ncomplete = true\nholidays = ["2027-01-01"]\n',
        "source",
    ),
    "empty_source": (
        '[[year]]\nyear = 2027\ncomplete = true\nsource = "  "\n',
        "source",
    ),
    "missing_complete": (
        '[[year]]\nyear = 2027\nsource = "s"\n',
        "complete",
    ),
    "unknown_entry_key": (
        '[[year]]\nyear = 2027\ncomplete = true\nsource = "s"\nholiday = ["2027-01-01"]\n',
        "holiday",
    ),
    "unknown_top_level_key": (
        'version = 1\n[[year]]\nyear = 2027\ncomplete = true\nsource = "s"\n',
        "version",
    ),
    "year_not_integer": (
        '[[year]]\nyear = "2027"\ncomplete = true\nsource = "s"\n',
        "year",
    ),
    "complete_not_boolean": (
        '[[year]]\nyear = 2027\ncomplete = "yes"\nsource = "s"\n',
        "complete",
    ),
    "same_year_twice": (
        '[[year]]\nyear = 2027\ncomplete = true\nsource = "s"\n'
        '[[year]]\nyear = 2027\ncomplete = false\nsource = "t"\n',
        "重复",
    ),
    "invalid_toml": ("[[year]\nyear = 2027\n", "TOML"),
}


@pytest.mark.parametrize(("text", "detail"), MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_override_file_raises_naming_file_and_entry(
    tmp_path: Path, text: str, detail: str
) -> None:
    path = write(tmp_path, text, "bad-overrides.toml")
    with pytest.raises(CalendarDataError) as caught:
        WorkdayCalendar.from_files([path])
    message = str(caught.value)
    assert str(path) in message
    assert detail in message


def test_entry_errors_name_the_entry(tmp_path: Path) -> None:
    text = COMPLETE_2027 + '\n[[year]]\nyear = 2028\ncomplete = true\nsource = "s"\nx = 1\n'
    path = write(tmp_path, text)
    with pytest.raises(CalendarDataError, match=r"第2个 \[\[year\]\] 条目（year = 2028）"):
        WorkdayCalendar.from_files([path])


def test_missing_override_file_raises_naming_file(tmp_path: Path) -> None:
    path = tmp_path / "does-not-exist.toml"
    with pytest.raises(CalendarDataError, match=re.escape(str(path))):
        WorkdayCalendar.from_files([path])


# --- packaged file and environment variable ------------------------------------------------


def test_packaged_override_file_loads_and_is_valid() -> None:
    overrides = packaged_overrides()
    assert all(o.source for o in overrides)


def test_default_calendar_without_env_var_uses_library_data(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    cal = WorkdayCalendar.default()
    assert cal.is_working_day(date(2026, 9, 20))
    assert not cal.knows_year(2027)


def test_default_calendar_honours_env_var_and_rereads_when_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    complete = write(tmp_path, COMPLETE_2027, "complete.toml")
    correction = write(
        tmp_path,
        '[[year]]\nyear = 2026\ncomplete = false\nsource = "更正"\nholidays = ["2026-10-09"]\n',
        "correction.toml",
    )
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert not WorkdayCalendar.default().knows_year(2027)

    monkeypatch.setenv(ENV_VAR, str(complete))
    assert WorkdayCalendar.default().knows_year(2027)
    assert WorkdayCalendar.default().is_working_day(date(2026, 10, 9))

    monkeypatch.setenv(ENV_VAR, f"{complete}{os.pathsep}{correction}")
    cal = WorkdayCalendar.default()
    assert cal.knows_year(2027)
    assert not cal.is_working_day(date(2026, 10, 9))

    monkeypatch.delenv(ENV_VAR)
    assert not WorkdayCalendar.default().knows_year(2027)


def test_default_calendar_reports_bad_env_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "[[year]]\nyear = 2027\ncomplete = true\n", "env-bad.toml")
    monkeypatch.setenv(ENV_VAR, str(path))
    with pytest.raises(CalendarDataError, match=re.escape(str(path))):
        WorkdayCalendar.default()
