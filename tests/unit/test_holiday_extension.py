"""Calendar-day periods whose last day is a rest day end on the next working day.

民法典 第二百零三条: 期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日
(民事诉讼法 第八十五条 likewise). Pack policy, ``[agency] extend_over_holidays``, default on.

Dates checked against the calendar LawTrail uses (chinese_calendar 1.11.0, the State Council's
2026 notice): National Day 2026-10-01..07 off, Sat 10-10 and Sun 09-20 working (调休);
Mid-Autumn 09-25..27 off; Spring Festival 2026-02-15..23 off, Sat 02-14 and Sat 02-28 working.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
import time_machine

from lawtrail.core.calendar import CalendarUnknownError, WorkdayCalendar
from lawtrail.core.deadlines import Period, due_at, next_working_day_from
from lawtrail.core.engine import evaluate
from lawtrail.core.rules import PackError, RulePack, Severity, all_packs, load_pack, parse_pack
from lawtrail.core.timeutil import end_of_day
from tests.builders import CaseBuilder, fired, required, t


@pytest.fixture
def cal() -> WorkdayCalendar:
    return WorkdayCalendar()  # the official calendar without any override file


def last_day(anchor: str, period: str, cal: WorkdayCalendar, *, extend: bool = True) -> date:
    due = due_at(t(anchor), Period.parse(period), cal, holiday_extension=extend)
    assert due == end_of_day(due.date())  # day periods always end at the day's last instant
    return due.date()


# ------------------------------------------------------------------------- due_at


@pytest.mark.parametrize(
    ("anchor", "period", "plain", "extended"),
    [
        # National Day: the 30th day is 10-01, the holiday's first day → Thursday 10-08.
        ("2026-09-01 10:00", "30d", "2026-10-01", "2026-10-08"),
        # The last day is the holiday's last day (Wed 10-07) → the day after it.
        ("2026-09-07 10:00", "30d", "2026-10-07", "2026-10-08"),
        # "2日"补办 that would end on Friday 10-02, in the holiday.
        ("2026-09-30 16:00", "2d", "2026-10-02", "2026-10-08"),
        # Sat 10-10 is a 调休 working day: a weekend day, yet the period is not moved.
        ("2026-09-10 10:00", "30d", "2026-10-10", "2026-10-10"),
        # Sun 10-11 is an ordinary rest day just after the holiday → Monday 10-12.
        ("2026-09-11 10:00", "30d", "2026-10-11", "2026-10-12"),
        # Mid-Autumn, Fri 09-25 .. Sun 09-27 → Monday 09-28.
        ("2026-08-26 10:00", "30d", "2026-09-25", "2026-09-28"),
        # Sun 09-20 is a 调休 working day before National Day: not moved.
        ("2026-08-21 10:00", "30d", "2026-09-20", "2026-09-20"),
    ],
)
def test_national_day_2026(
    cal: WorkdayCalendar, anchor: str, period: str, plain: str, extended: str
) -> None:
    assert last_day(anchor, period, cal, extend=False) == date.fromisoformat(plain)
    assert last_day(anchor, period, cal) == date.fromisoformat(extended)


@pytest.mark.parametrize(
    ("anchor", "period", "plain", "extended"),
    [
        # Spring Festival 2026: 02-15 (Sun) .. 02-23 (Mon) off → Tuesday 02-24.
        ("2026-01-16 10:00", "30d", "2026-02-15", "2026-02-24"),
        ("2026-02-13 10:00", "2d", "2026-02-15", "2026-02-24"),
        ("2026-01-24 10:00", "30d", "2026-02-23", "2026-02-24"),
        # Sat 02-14, the 调休 working day before the festival, stays the last day.
        ("2026-01-15 10:00", "30d", "2026-02-14", "2026-02-14"),
        # Sat 02-28 is a working day too.
        ("2026-01-29 10:00", "30d", "2026-02-28", "2026-02-28"),
    ],
)
def test_spring_festival_2026(
    cal: WorkdayCalendar, anchor: str, period: str, plain: str, extended: str
) -> None:
    assert last_day(anchor, period, cal, extend=False) == date.fromisoformat(plain)
    assert last_day(anchor, period, cal) == date.fromisoformat(extended)


def test_an_ordinary_weekend_moves_the_last_day_to_monday(cal: WorkdayCalendar) -> None:
    # Thursday + 2 days = Saturday 2026-06-06, an ordinary weekend (no 调休 around it).
    assert last_day("2026-06-04 10:00", "2d", cal, extend=False) == date(2026, 6, 6)
    assert last_day("2026-06-04 10:00", "2d", cal) == date(2026, 6, 8)
    assert last_day("2026-06-05 10:00", "2d", cal) == date(2026, 6, 8)  # Sunday → Monday


def test_a_working_last_day_is_not_moved(cal: WorkdayCalendar) -> None:
    assert last_day("2026-11-23 15:00", "30d", cal) == date(2026, 12, 23)  # Wednesday


def test_hour_periods_never_move(cal: WorkdayCalendar) -> None:
    # 24 hours from the eve of National Day end inside the holiday, either way.
    for extend in (True, False):
        due = due_at(t("2026-09-30 10:00"), Period.parse("24h"), cal, holiday_extension=extend)
        assert due == t("2026-10-01 10:00")
        due = due_at(t("2026-02-14 18:30"), Period.parse("24h"), cal, holiday_extension=extend)
        assert due == t("2026-02-15 18:30")


def test_working_day_periods_are_unaffected(cal: WorkdayCalendar) -> None:
    for extend in (True, False):
        due = due_at(t("2026-09-30 10:00"), Period.parse("2wd"), cal, holiday_extension=extend)
        assert due == end_of_day(date(2026, 10, 9))


def test_the_extension_is_on_by_default(cal: WorkdayCalendar) -> None:
    assert due_at(t("2026-09-01 10:00"), Period.parse("30d"), cal) == end_of_day(date(2026, 10, 8))


def test_extension_into_an_unknown_year_raises_but_the_plain_count_does_not(
    cal: WorkdayCalendar,
) -> None:
    assert not cal.knows_year(2027)
    with pytest.raises(CalendarUnknownError) as caught:
        due_at(t("2026-12-15 10:00"), Period.parse("30d"), cal)
    assert caught.value.year == 2027
    plain = due_at(t("2026-12-15 10:00"), Period.parse("30d"), cal, holiday_extension=False)
    assert plain == end_of_day(date(2027, 1, 14))


def test_next_working_day_from(cal: WorkdayCalendar) -> None:
    assert next_working_day_from(date(2026, 10, 8), cal) == date(2026, 10, 8)
    assert next_working_day_from(date(2026, 10, 1), cal) == date(2026, 10, 8)
    assert next_working_day_from(date(2026, 10, 11), cal) == date(2026, 10, 12)


# ------------------------------------------------------------------------- pack policy

HEADER = """
[agency]
id = "x"
name = "测试"
regulation = "002_414a546ea0455888.txt"
acts_covered = ["penalty"]
"""

ARCHIVE_RULE = """
[[rule]]
id = "x.archive.within_30_days"
title = "执法行为终结之日起30日内形成案卷并归档"
article = 32
quote = "在行政执法行为终结之日起 30日内"
kinds = ["closure"]
check = { type = "followed_by", kinds = ["case_file"], within = "30d" }
"""


def test_the_policy_defaults_to_on_and_every_shipped_pack_has_it() -> None:
    assert parse_pack(HEADER).holiday_extension is True
    assert RulePack("x", "测试", "r.txt", (), ()).holiday_extension is True
    assert [p.agency for p in all_packs() if not p.holiday_extension] == []


@pytest.mark.parametrize("value", ["true", "false"])
def test_the_policy_is_read_from_the_agency_table(value: str) -> None:
    pack = parse_pack(HEADER + f"extend_over_holidays = {value}\n")
    assert pack.holiday_extension is (value == "true")


@pytest.mark.parametrize("value", ['"yes"', "1", "0", '"false"', "[true]"])
def test_a_policy_that_is_not_a_bool_is_rejected(value: str) -> None:
    with pytest.raises(PackError, match="extend_over_holidays"):
        parse_pack(HEADER + f"extend_over_holidays = {value}\n", source="rulepacks/x.toml")


def test_the_policy_key_is_not_accepted_outside_the_agency_table() -> None:
    with pytest.raises(PackError, match="未知的键"):
        parse_pack("extend_over_holidays = true\n" + HEADER)


# ------------------------------------------------------------------------- engine

ARCHIVING_PACKS = {
    "tonghua-market": "market.archive.within_30_days",
    "tonghua-postal": "postal.archive.within_30_days",
    "tonghua-gazetteer": "gazetteer.archive.within_30_days",
    "benxi-hrss": "hrss.archive.within_30_days",
}


def archived(agency: str, closed: str, filed: str | None) -> CaseBuilder:
    b = CaseBuilder(agency)
    b.add("closure", closed, {})
    if filed is not None:
        b.add("case_file", filed, {"archivist": "a1"})
    return b


@pytest.mark.parametrize(("agency", "rule"), ARCHIVING_PACKS.items())
def test_archiving_on_the_first_working_day_after_national_day(agency: str, rule: str) -> None:
    # Closed 2026-09-01: the 30th day is 10-01, National Day; filed Thursday 10-08 morning.
    b = archived(agency, "2026-09-01 10:00", "2026-10-08 09:30")
    pack = load_pack(agency)
    assert pack.holiday_extension
    at = t("2026-11-23 12:00")
    assert fired(evaluate(b.build(), at=at, pack=pack), rule) == []

    strict = replace(pack, holiday_extension=False)
    [finding] = fired(evaluate(b.build(), at=at, pack=strict), rule)
    assert finding.record == "r1"
    assert "2026-10-01" in finding.message  # the unextended last day
    # Filed on the holiday's first day: on time either way.
    early = archived(agency, "2026-09-01 10:00", "2026-10-01 16:00").build()
    assert fired(evaluate(early, at=at, pack=strict), rule) == []


def test_archiving_a_day_after_the_extended_deadline_is_late() -> None:
    b = archived("tonghua-market", "2026-09-01 10:00", "2026-10-09 09:00")
    [finding] = fired(b.evaluate(), "market.archive.within_30_days")
    assert "2026-10-08" in finding.message


def test_a_parsed_pack_with_the_policy_off_does_not_move_the_deadline() -> None:
    b = archived("tonghua-market", "2026-09-01 10:00", "2026-10-08 09:30")
    at = t("2026-11-23 12:00")
    on = parse_pack(HEADER + ARCHIVE_RULE)
    off = parse_pack(HEADER + "extend_over_holidays = false\n" + ARCHIVE_RULE)
    assert fired(evaluate(b.build(), at=at, pack=on), "x.archive.within_30_days") == []
    assert len(fired(evaluate(b.build(), at=at, pack=off), "x.archive.within_30_days")) == 1


def test_the_pending_archive_is_due_after_the_holiday_and_late_only_then() -> None:
    """Evaluated at "now" (time-machine): pending through the holiday, overdue after 10-08."""
    case = archived("tonghua-market", "2026-09-01 10:00", None).build()
    rule = "market.archive.within_30_days"
    with time_machine.travel(t("2026-10-05 12:00"), tick=False):
        ev = evaluate(case)
        assert fired(ev, rule) == []
        [pending] = required(ev, rule)
        assert pending.due == end_of_day(date(2026, 10, 8))
    with time_machine.travel(t("2026-10-08 23:00"), tick=False):
        assert fired(evaluate(case), rule) == []
    with time_machine.travel(t("2026-10-09 00:00"), tick=False):
        assert len(fired(evaluate(case), rule)) == 1
    strict = replace(load_pack("tonghua-market"), holiday_extension=False)
    with time_machine.travel(t("2026-10-05 12:00"), tick=False):
        assert len(fired(evaluate(case, pack=strict), rule)) == 1


def test_two_day_emergency_approval_over_the_spring_festival() -> None:
    """004 art. 6 "2日内补办": started Friday 02-13, the 2nd day is 02-15, in the festival."""
    rule = "stats.start.emergency_approval_2d"
    b = CaseBuilder("luanchuan-stats", origin="emergency", acts=("inspection",))
    b.add("emergency_start", "2026-02-13 17:00", {})
    b.add("initiation_approval", "2026-02-24 09:00", {"approved": True})
    at = t("2026-03-31 12:00")
    pack = load_pack("luanchuan-stats")
    assert fired(evaluate(b.build(), at=at, pack=pack), rule) == []
    strict = replace(pack, holiday_extension=False)
    assert len(fired(evaluate(b.build(), at=at, pack=strict), rule)) == 1


class TestUnknownYear:
    """The 30th day is in 2027, a year the calendar does not know (the engine's fallback)."""

    rule = "market.archive.within_30_days"
    cal = WorkdayCalendar()
    at = t("2027-03-01 12:00")

    def run(self, filed: str, *, extend: bool = True) -> list[Any]:
        assert not self.cal.knows_year(2027)
        b = archived("tonghua-market", "2026-12-15 10:00", filed)
        pack = replace(load_pack("tonghua-market"), holiday_extension=extend)
        return fired(evaluate(b.build(), at=self.at, pack=pack, calendar=self.cal), self.rule)

    def test_done_within_the_plain_count_is_certainly_on_time(self) -> None:
        assert self.run("2027-01-14 17:00") == []

    def test_done_after_the_plain_count_cannot_be_judged(self) -> None:
        [finding] = self.run("2027-01-15 09:00")
        assert finding.severity is Severity.WARNING
        assert "无法判定期限「30日」" in finding.message
        assert "2027年" in finding.message

    def test_with_the_policy_off_the_plain_count_decides(self) -> None:
        [finding] = self.run("2027-01-15 09:00", extend=False)
        assert finding.severity is Severity.VIOLATION

    def test_not_yet_done_is_due_by_the_plain_count_without_a_warning(self) -> None:
        # Closing a case in December 2026 must not raise a warning on every case before the
        # State Council publishes 2027's holidays: the act is due by the earliest possible day.
        b = CaseBuilder("tonghua-market")
        b.add("closure", "2026-12-15 10:00")
        pack = load_pack("tonghua-market")
        ev = evaluate(b.build(), at=t("2026-12-20 12:00"), pack=pack, calendar=self.cal)
        assert fired(ev, self.rule) == []
        [todo] = required(ev, self.rule)
        assert todo.due == end_of_day(date(2027, 1, 14))
        # Past that day, still not done: the calendar cannot tell whether it is late.
        late = evaluate(b.build(), at=t("2027-01-15 09:00"), pack=pack, calendar=self.cal)
        [finding] = fired(late, self.rule)
        assert finding.severity is Severity.WARNING
