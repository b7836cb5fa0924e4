"""The official PRC working-day calendar, for periods counted in 工作日.

Sources, in order of precedence (later wins):

1. The ``chinese_calendar`` package: the State Council's annual holiday notices, including
   调休 (weekend days made working days). It knows a fixed range of years (2004–2026 in
   version 1.11.0) and raises ``NotImplementedError`` outside it.
2. The packaged override file ``lawtrail/core/data/calendar_overrides.toml``.
3. The files named by the environment variable ``LAWTRAIL_CALENDAR_OVERRIDES`` (one path, or
   several separated by ``os.pathsep``), in the order given.

Override file format (stdlib ``tomllib``)::

    [[year]]
    year = 2027
    complete = true   # the whole year's arrangement; unlisted days: Mon–Fri work, Sat/Sun rest
    source = "国务院办公厅关于2027年部分节假日安排的通知"
    holidays = ["2027-01-01", "2027-02-06"]   # days off (including weekday holidays)
    workdays = ["2027-02-14"]                 # weekend days made working days (调休)

``complete = false`` entries only correct individual dates of a year that is otherwise known
(from the package or a complete override); they never make an unknown year known. A complete
entry replaces whatever earlier sources said about its year; later entries for the same year
then correct it date by date.

A year that no source knows is never guessed: asking about it raises
``CalendarUnknownError``, because a deadline computed on a guessed calendar could be wrong in
either direction.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import chinese_calendar

ENV_VAR = "LAWTRAIL_CALENDAR_OVERRIDES"

_ENTRY_KEYS = frozenset({"year", "complete", "source", "holidays", "workdays"})
_REQUIRED_KEYS = ("year", "complete", "source")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class CalendarDataError(ValueError):
    """An override file is unreadable or malformed; the message names the file and entry."""


class CalendarUnknownError(LookupError):
    """The holiday arrangement of a year is not loaded, so working days cannot be counted."""

    year: int

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"{year}年的法定节假日安排未载入工作日历，无法计算工作日期限或期限末日的节假日顺延；"
            f"请管理员在日历覆盖文件中补充该年安排（环境变量 {ENV_VAR}）"
        )

    def __reduce__(self) -> tuple[type[CalendarUnknownError], tuple[int]]:
        return (type(self), (self.year,))


@dataclass(frozen=True)
class YearOverride:
    """One ``[[year]]`` entry of an override file."""

    year: int
    complete: bool
    source: str
    holidays: frozenset[date]
    workdays: frozenset[date]
    origin: str


def _library_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


class WorkdayCalendar:
    """Answers "is this Shanghai calendar day a working day?" for the years it knows."""

    def __init__(self, overrides: Sequence[YearOverride] = ()) -> None:
        self._overrides: tuple[YearOverride, ...] = tuple(overrides)
        # Years stated completely by an override: the library is not consulted for them.
        self._complete_years: set[int] = set()
        # Per-date verdicts from overrides: True = working day, False = day off.
        self._days: dict[date, bool] = {}
        for override in self._overrides:
            if override.complete:
                self._complete_years.add(override.year)
                for day in [d for d in self._days if d.year == override.year]:
                    del self._days[day]
            for day in override.holidays:
                self._days[day] = False
            for day in override.workdays:
                self._days[day] = True
        self._library_years: dict[int, bool] = {}

    @property
    def overrides(self) -> tuple[YearOverride, ...]:
        return self._overrides

    @classmethod
    def default(cls) -> WorkdayCalendar:
        """The packaged overrides plus the files named by ``LAWTRAIL_CALENDAR_OVERRIDES``.

        Cached per value of the environment variable; a changed variable is re-read.
        """
        return _default_for(os.environ.get(ENV_VAR, ""))

    @classmethod
    def from_files(cls, paths: Iterable[Path]) -> WorkdayCalendar:
        overrides: list[YearOverride] = []
        for path in paths:
            overrides.extend(load_overrides(Path(path)))
        return cls(overrides)

    def knows_year(self, year: int) -> bool:
        if year in self._complete_years:
            return True
        known = self._library_years.get(year)
        if known is None:
            known = _library_knows(year)
            self._library_years[year] = known
        return known

    def is_working_day(self, day: date) -> bool:
        if isinstance(day, datetime):
            raise TypeError("is_working_day 需要日期（date），而不是时间（datetime）")
        if not self.knows_year(day.year):
            raise CalendarUnknownError(day.year)
        verdict = self._days.get(day)
        if verdict is not None:
            return verdict
        if day.year in self._complete_years:
            return day.weekday() < 5
        return bool(chinese_calendar.is_workday(day))

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after ``start``; ``start`` itself never counts (n >= 1)."""
        if isinstance(n, bool) or n < 1:
            raise ValueError(f"工作日数必须是正整数，收到 {n!r}")
        day = start
        remaining = n
        while remaining:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day


def _packaged_resource() -> Traversable:
    return resources.files("lawtrail.core") / "data" / "calendar_overrides.toml"


def packaged_overrides() -> list[YearOverride]:
    """The overrides shipped inside the package (read as a resource, so zipped installs work)."""
    resource = _packaged_resource()
    origin = str(resource)
    try:
        text = resource.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CalendarDataError(f"日历覆盖文件 {origin} 无法读取：{exc}") from exc
    return parse_overrides(text, origin=origin)


def env_override_paths(value: str | None = None) -> list[Path]:
    """The paths named by ``LAWTRAIL_CALENDAR_OVERRIDES`` (or ``value``), empty parts skipped."""
    raw = os.environ.get(ENV_VAR, "") if value is None else value
    return [Path(part) for part in raw.split(os.pathsep) if part.strip()]


@lru_cache(maxsize=8)
def _default_for(env_value: str) -> WorkdayCalendar:
    overrides = packaged_overrides()
    for path in env_override_paths(env_value):
        overrides.extend(load_overrides(path))
    return WorkdayCalendar(overrides)


def load_overrides(path: Path) -> list[YearOverride]:
    """Parse and validate one override file; any defect raises ``CalendarDataError``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CalendarDataError(f"日历覆盖文件 {path} 无法读取：{exc}") from exc
    return parse_overrides(text, origin=str(path))


def parse_overrides(text: str, *, origin: str) -> list[YearOverride]:
    """Parse override TOML text; ``origin`` (the file path) is named in every error."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CalendarDataError(f"日历覆盖文件 {origin} 不是合法的 TOML：{exc}") from exc

    unknown = sorted(set(document) - {"year"})
    if unknown:
        raise CalendarDataError(
            f"日历覆盖文件 {origin}：未知的顶层键 {', '.join(unknown)}（只允许 [[year]] 条目）"
        )
    entries = document.get("year", [])
    if not isinstance(entries, list):
        raise CalendarDataError(f"日历覆盖文件 {origin}：year 必须写成 [[year]] 表数组")

    result: list[YearOverride] = []
    seen: set[int] = set()
    for index, entry in enumerate(entries, start=1):
        override = _parse_entry(origin, index, entry)
        if override.year in seen:
            raise CalendarDataError(
                f"日历覆盖文件 {origin}：第{index}个 [[year]] 条目（year = {override.year}）"
                "与同一文件中的另一条目年份重复"
            )
        seen.add(override.year)
        result.append(override)
    return result


def _parse_entry(origin: str, index: int, entry: Any) -> YearOverride:
    where = f"日历覆盖文件 {origin}：第{index}个 [[year]] 条目"
    if not isinstance(entry, Mapping):
        raise CalendarDataError(f"{where} 不是表")
    year_value = entry.get("year")
    if isinstance(year_value, int) and not isinstance(year_value, bool):
        where += f"（year = {year_value}）"

    unknown = sorted(set(entry) - _ENTRY_KEYS)
    if unknown:
        raise CalendarDataError(
            f"{where}：未知的键 {', '.join(unknown)}（允许的键：{', '.join(sorted(_ENTRY_KEYS))}）"
        )
    for key in _REQUIRED_KEYS:
        if key not in entry:
            raise CalendarDataError(f"{where}：缺少必填键 {key}")

    if not isinstance(year_value, int) or isinstance(year_value, bool):
        raise CalendarDataError(f"{where}：year 必须是整数年份，收到 {year_value!r}")
    if not 1 <= year_value <= 9998:
        raise CalendarDataError(f"{where}：year 超出范围：{year_value}")
    complete = entry["complete"]
    if not isinstance(complete, bool):
        raise CalendarDataError(f"{where}：complete 必须是 true 或 false，收到 {complete!r}")
    source = entry["source"]
    if not isinstance(source, str) or not source.strip():
        raise CalendarDataError(f"{where}：source 必须是非空字符串，注明数据来源")

    holidays = _parse_days(where, "holidays", entry.get("holidays", []), year_value)
    workdays = _parse_days(where, "workdays", entry.get("workdays", []), year_value)
    both = sorted(holidays & workdays)
    if both:
        listed = ", ".join(d.isoformat() for d in both)
        raise CalendarDataError(f"{where}：日期 {listed} 同时列在 holidays 和 workdays 中")

    return YearOverride(
        year=year_value,
        complete=complete,
        source=source.strip(),
        holidays=holidays,
        workdays=workdays,
        origin=origin,
    )


def _parse_iso_day(text: str) -> date | None:
    if _ISO_DAY.fullmatch(text) is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _parse_days(where: str, key: str, values: Any, year: int) -> frozenset[date]:
    if not isinstance(values, list):
        raise CalendarDataError(f"{where}：{key} 必须是日期列表")
    days: set[date] = set()
    for value in values:
        if isinstance(value, datetime):
            raise CalendarDataError(f"{where}：{key} 中的 {value.isoformat()} 带有时刻，应只写日期")
        if isinstance(value, date):
            day: date | None = value
        elif isinstance(value, str):
            day = _parse_iso_day(value)
        else:
            day = None
        if day is None:
            raise CalendarDataError(f"{where}：{key} 中的 {value!r} 不是 YYYY-MM-DD 格式的日期")
        if day.year != year:
            raise CalendarDataError(f"{where}：{key} 中的日期 {day.isoformat()} 不在 {year} 年内")
        days.add(day)
    return frozenset(days)


__all__ = [
    "ENV_VAR",
    "CalendarDataError",
    "CalendarUnknownError",
    "WorkdayCalendar",
    "YearOverride",
    "env_override_paths",
    "load_overrides",
    "packaged_overrides",
    "parse_overrides",
]
