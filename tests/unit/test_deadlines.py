"""Legal periods: parsing, Chinese labels and when each kind falls due."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from lawtrail.core.calendar import CalendarUnknownError, WorkdayCalendar
from lawtrail.core.deadlines import Period, PeriodUnit, due_at
from lawtrail.core.timeutil import SHANGHAI, NaiveDatetimeError, end_of_day

END = (23, 59, 59, 999999)


@pytest.fixture
def cal() -> WorkdayCalendar:
    return WorkdayCalendar()


def sh(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=SHANGHAI)


# --- Period ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24h", Period(24, PeriodUnit.HOURS)),
        ("2d", Period(2, PeriodUnit.DAYS)),
        ("30d", Period(30, PeriodUnit.DAYS)),
        ("2wd", Period(2, PeriodUnit.WORKING_DAYS)),
        ("1h", Period(1, PeriodUnit.HOURS)),
    ],
)
def test_parse_reads_each_unit_and_str_round_trips(text: str, expected: Period) -> None:
    period = Period.parse(text)
    assert period == expected
    assert str(period) == text
    assert Period.parse(str(period)) == period


@pytest.mark.parametrize(
    "text", ["0d", "3x", "", "-1h", "0wd", "2 d", " 2d", "2D", "d", "2", "02d", "1.5h", "２d"]
)
def test_parse_rejects_malformed_or_non_positive_periods(text: str) -> None:
    with pytest.raises(ValueError, match="期间"):
        Period.parse(text)


def test_parse_rejects_zero_with_amount_message() -> None:
    with pytest.raises(ValueError, match="至少为 1"):
        Period.parse("0d")


def test_constructor_rejects_non_positive_amount() -> None:
    with pytest.raises(ValueError, match="至少为 1"):
        Period(0, PeriodUnit.DAYS)


@pytest.mark.parametrize(
    ("text", "label"), [("24h", "24小时"), ("30d", "30日"), ("2d", "2日"), ("2wd", "2个工作日")]
)
def test_label_zh_matches_regulation_wording(text: str, label: str) -> None:
    assert Period.parse(text).label_zh() == label


# --- hours -------------------------------------------------------------------------------


def test_hours_are_exact_clock_hours(cal: WorkdayCalendar) -> None:
    anchor = sh(2026, 5, 6, 9, 15, 30)
    assert due_at(anchor, Period.parse("24h"), cal) == sh(2026, 5, 7, 9, 15, 30)
    assert due_at(anchor, Period.parse("1h"), cal) == sh(2026, 5, 6, 10, 15, 30)


def test_hours_cross_midnight_and_ignore_holidays(cal: WorkdayCalendar) -> None:
    anchor = sh(2026, 9, 30, 22, 0)
    due = due_at(anchor, Period.parse("24h"), cal)
    assert due == sh(2026, 10, 1, 22, 0)
    assert due.utcoffset() == timedelta(hours=8)


def test_hours_from_utc_anchor_give_the_same_instant(cal: WorkdayCalendar) -> None:
    shanghai_anchor = sh(2026, 5, 6, 23, 30)
    utc_anchor = datetime(2026, 5, 6, 15, 30, tzinfo=UTC)
    assert utc_anchor == shanghai_anchor
    due = due_at(utc_anchor, Period.parse("24h"), cal)
    assert due == due_at(shanghai_anchor, Period.parse("24h"), cal)
    assert due == datetime(2026, 5, 7, 15, 30, tzinfo=UTC)
    assert due.tzinfo is SHANGHAI


# --- calendar days -----------------------------------------------------------------------


def test_days_do_not_count_the_anchor_day(cal: WorkdayCalendar) -> None:
    due = due_at(sh(2026, 11, 23, 15, 0), Period.parse("30d"), cal)
    assert due == sh(2026, 12, 23, *END)
    assert due == end_of_day(date(2026, 12, 23))


def test_days_cross_a_month_end(cal: WorkdayCalendar) -> None:
    # The plain count; both last days (2026-02-01, 2026-03-01) are Sundays, which the holiday
    # extension (民法典 第二百零三条, on by default) moves to the Monday after.
    two = Period.parse("2d")
    assert due_at(sh(2026, 1, 30, 8, 0), two, cal, holiday_extension=False) == sh(2026, 2, 1, *END)
    assert due_at(sh(2026, 2, 27, 8, 0), two, cal, holiday_extension=False) == sh(2026, 3, 1, *END)
    assert due_at(sh(2026, 1, 30, 8, 0), Period.parse("2d"), cal) == sh(2026, 2, 2, *END)
    assert due_at(sh(2026, 2, 27, 8, 0), Period.parse("2d"), cal) == sh(2026, 3, 2, *END)


def test_days_ending_in_a_holiday_move_to_the_next_working_day(cal: WorkdayCalendar) -> None:
    # Formerly the last day stayed in the holiday ("earlier is safer"); now a period whose
    # last day is a 法定休假日 ends on the day after the holiday (民法典 第二百零三条):
    # 2026-10-01 is National Day, the holiday runs to 10-07, Thursday 10-08 is the last day.
    assert due_at(sh(2026, 9, 29, 10, 0), Period.parse("2d"), cal) == sh(2026, 10, 8, *END)
    plain = due_at(sh(2026, 9, 29, 10, 0), Period.parse("2d"), cal, holiday_extension=False)
    assert plain == sh(2026, 10, 1, *END)


def test_days_count_from_the_shanghai_day_of_a_utc_anchor(cal: WorkdayCalendar) -> None:
    # 15:30Z is 23:30 in Shanghai on 2026-05-06: that Shanghai day is the uncounted one.
    anchor = datetime(2026, 5, 6, 15, 30, tzinfo=UTC)
    assert due_at(anchor, Period.parse("2d"), cal) == sh(2026, 5, 8, *END)
    # 16:30Z is already 00:30 on 2026-05-07 in Shanghai.
    later = datetime(2026, 5, 6, 16, 30, tzinfo=UTC)
    assert due_at(later, Period.parse("2d"), cal) == sh(2026, 5, 9, *END)


# --- working days ------------------------------------------------------------------------


def test_working_days_skip_national_day_2026(cal: WorkdayCalendar) -> None:
    due = due_at(sh(2026, 9, 30, 10, 0), Period.parse("2wd"), cal)
    assert due == sh(2026, 10, 9, *END)
    assert due.isoformat() == "2026-10-09T23:59:59.999999+08:00"


def test_working_days_count_adjusted_sunday(cal: WorkdayCalendar) -> None:
    due = due_at(sh(2026, 9, 18, 16, 0), Period.parse("2wd"), cal)
    assert due == sh(2026, 9, 21, *END)
    assert due_at(sh(2026, 9, 18, 16, 0), Period.parse("1wd"), cal) == sh(2026, 9, 20, *END)


def test_working_days_from_an_adjusted_saturday_anchor(cal: WorkdayCalendar) -> None:
    anchor = sh(2026, 10, 10, 9, 0)
    assert due_at(anchor, Period.parse("1wd"), cal) == sh(2026, 10, 12, *END)
    assert due_at(anchor, Period.parse("2wd"), cal) == sh(2026, 10, 13, *END)


def test_working_days_use_the_shanghai_day_of_a_utc_anchor(cal: WorkdayCalendar) -> None:
    # 2026-09-30 16:30Z is 2026-10-01 00:30 in Shanghai: a holiday is the (uncounted) start.
    anchor = datetime(2026, 9, 30, 16, 30, tzinfo=UTC)
    assert due_at(anchor, Period.parse("2wd"), cal) == sh(2026, 10, 9, *END)
    # 2026-09-30 15:30Z is still 23:30 on Sept 30 in Shanghai: the 1st working day is Oct 8.
    assert due_at(anchor - timedelta(hours=1), Period.parse("1wd"), cal) == sh(2026, 10, 8, *END)


def test_working_days_into_an_unknown_year_raise(cal: WorkdayCalendar) -> None:
    assert not cal.knows_year(2027)
    with pytest.raises(CalendarUnknownError) as caught:
        due_at(sh(2026, 12, 31, 10, 0), Period.parse("2wd"), cal)
    assert caught.value.year == 2027
    assert "2027年" in str(caught.value)
    assert "工作日" in str(caught.value)


def test_working_days_into_a_year_supplied_by_override(tmp_path: Path) -> None:
    path = tmp_path / "2027.toml"
    path.write_text(
        '[[year]]\nyear = 2027\ncomplete = true\nsource = "测试"\n'
        'holidays = ["2027-01-01"]\nworkdays = []\n',
        encoding="utf-8",
    )
    cal = WorkdayCalendar.from_files([path])
    due = due_at(sh(2026, 12, 31, 10, 0), Period.parse("2wd"), cal)
    assert due == sh(2027, 1, 5, *END)


def test_naive_anchor_is_rejected(cal: WorkdayCalendar) -> None:
    with pytest.raises(NaiveDatetimeError):
        due_at(datetime(2026, 5, 6, 10, 0), Period.parse("2d"), cal)
