"""Legal time periods and when they fall due.

The five regulations LawTrail checks use three kinds of period:

* ``24h`` — "24小时": clock hours. Due exactly N hours after the anchor instant (computed on
  the absolute timeline, so the result does not depend on the offset the anchor was given in).
  Never moved, whatever day it ends on.
* ``30d`` — "30日": calendar days. Counted as the Civil Code does (民法典 第二百零一条:
  按照年、月、日计算期间的，开始的当日不计入，自下一日开始计算), so the Shanghai calendar
  day of the anchor is not counted and the period ends at the last instant of the N-th day
  after it: ``end_of_day(local_date(anchor) + N days)`` — moved past a rest day, see below.
* ``2wd`` — "2个工作日": working days on the official PRC calendar, including 调休.
  The anchor's own day never counts, even when it is a working day; the period ends at the
  last instant of the N-th working day after it. A year whose holiday arrangement is not
  loaded raises ``CalendarUnknownError`` instead of guessing.

An act is on time iff its instant is ``<= due_at(...)``.

A calendar-day period whose last day is a 法定休假日 — a day off on the official calendar: a
statutory holiday, or a weekend day not made a working day by 调休 — ends instead at the last
instant of the next working day (民法典 第二百零三条: 期间的最后一日是法定休假日的，以法定
休假日结束的次日为期间的最后一日; 民事诉讼法 第八十五条 says the same of procedural periods:
以法定休假日后的第一日为期间届满的日期). The five regulations are silent on how their periods
are computed, so the general rule of computing periods applies, as it already does for the
uncounted first day; an officer cannot be expected to archive a case file or regularise an
emergency start on a day the agency is closed. It is pack policy, explicit per agency:
``RulePack.holiday_extension``, the optional ``extend_over_holidays`` key of a pack's
``[agency]`` table, default on; ``due_at(..., holiday_extension=False)`` gives the plain
count. Hour periods never move (the rule speaks of a period's last *day*); working-day periods
already end on a working day. The extension consults the calendar from the last day on, so a
year whose arrangement is not loaded raises ``CalendarUnknownError`` for it too.

All results are aware datetimes in Asia/Shanghai.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from lawtrail.core.calendar import WorkdayCalendar
from lawtrail.core.timeutil import SHANGHAI, end_of_day, local_date, require_aware


class PeriodUnit(StrEnum):
    HOURS = "hours"
    DAYS = "days"
    WORKING_DAYS = "working_days"


_SUFFIX: dict[PeriodUnit, str] = {
    PeriodUnit.HOURS: "h",
    PeriodUnit.DAYS: "d",
    PeriodUnit.WORKING_DAYS: "wd",
}
_UNIT_BY_SUFFIX: dict[str, PeriodUnit] = {suffix: unit for unit, suffix in _SUFFIX.items()}
_LABEL_ZH: dict[PeriodUnit, str] = {
    PeriodUnit.HOURS: "{n}小时",
    PeriodUnit.DAYS: "{n}日",
    PeriodUnit.WORKING_DAYS: "{n}个工作日",
}
_PERIOD_TEXT = re.compile(r"(?P<amount>[0-9]+)(?P<suffix>h|d|wd)")
_FORMS = "“24h”（小时）、“30d”（日）或“2wd”（工作日）"


@dataclass(frozen=True)
class Period:
    """A legal period: an amount of clock hours, calendar days or working days."""

    amount: int
    unit: PeriodUnit

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise TypeError(f"期间数额必须是整数，收到 {self.amount!r}")
        if self.amount < 1:
            raise ValueError(f"期间数额必须至少为 1，收到 {self.amount}")
        if not isinstance(self.unit, PeriodUnit):
            raise TypeError(f"期间单位必须是 PeriodUnit，收到 {self.unit!r}")

    @classmethod
    def parse(cls, text: str) -> Period:
        """``"24h"`` → 24 hours, ``"30d"`` → 30 calendar days, ``"2wd"`` → 2 working days."""
        match = _PERIOD_TEXT.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"无法识别的期间 {text!r}：应写成 {_FORMS}")
        digits = match["amount"]
        amount = int(digits)
        if amount < 1:
            raise ValueError(f"期间 {text!r} 无效：数额必须至少为 1")
        if digits != str(amount):
            raise ValueError(
                f"期间 {text!r} 无效：数额不能有前导零，应写成 {amount}{match['suffix']}"
            )
        return cls(amount, _UNIT_BY_SUFFIX[match["suffix"]])

    def label_zh(self) -> str:
        """How the regulations write it: ``"24小时"``, ``"30日"``, ``"2个工作日"``."""
        return _LABEL_ZH[self.unit].format(n=self.amount)

    def __str__(self) -> str:
        return f"{self.amount}{_SUFFIX[self.unit]}"


def due_at(
    anchor: datetime,
    period: Period,
    calendar: WorkdayCalendar,
    *,
    holiday_extension: bool = True,
) -> datetime:
    """The last instant at which an act started by ``anchor`` is still on time.

    ``holiday_extension``: move the last day of a calendar-day period that falls on a rest day
    to the next working day (民法典 第二百零三条); pass the pack's policy.
    """
    require_aware(anchor)
    if period.unit is PeriodUnit.HOURS:
        due = anchor.astimezone(UTC) + timedelta(hours=period.amount)
        return due.astimezone(SHANGHAI)
    start = local_date(anchor)
    if period.unit is PeriodUnit.DAYS:
        last = start + timedelta(days=period.amount)
        if holiday_extension:
            last = next_working_day_from(last, calendar)
        return end_of_day(last)
    return end_of_day(calendar.add_working_days(start, period.amount))


def next_working_day_from(day: date, calendar: WorkdayCalendar) -> date:
    """``day`` itself if it is a working day, else the first working day after it."""
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


__all__ = ["Period", "PeriodUnit", "due_at", "next_working_day_from"]
