"""Aware times only: every instant in LawTrail is timezone-aware, shown in Asia/Shanghai."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class NaiveDatetimeError(ValueError):
    """A time without a UTC offset: it cannot be placed on the legal timeline."""


def require_aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise NaiveDatetimeError(f"时间缺少时区偏移: {value.isoformat()}")
    return value


def parse_aware(text: str) -> datetime:
    """Parse an ISO 8601 / RFC 3339 timestamp that carries an offset (Z or ±HH:MM)."""
    value = datetime.fromisoformat(text)
    return require_aware(value)


def local(value: datetime) -> datetime:
    """The same instant on the Shanghai wall clock."""
    return require_aware(value).astimezone(SHANGHAI)


def local_date(value: datetime) -> date:
    return local(value).date()


def end_of_day(day: date) -> datetime:
    """The last instant of a Shanghai calendar day (deadlines 'within N days' end here)."""
    return datetime.combine(day, time.max, tzinfo=SHANGHAI)


def now() -> datetime:
    return datetime.now(tz=SHANGHAI)


def format_local(value: datetime) -> str:
    """'2026-10-09 23:59' style, Shanghai time: what users read in reports."""
    return local(value).strftime("%Y-%m-%d %H:%M")


__all__ = [
    "SHANGHAI",
    "NaiveDatetimeError",
    "end_of_day",
    "format_local",
    "local",
    "local_date",
    "now",
    "parse_aware",
    "require_aware",
]
