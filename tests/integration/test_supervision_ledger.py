"""责令限期整改 on a real ledger (SQLite and PostgreSQL): orders and answers are ``supervision``
entries of the agency's log, found by their hashed body, one answer per order; the case itself,
its completeness and `lawtrail verify` are unaffected."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from lawtrail import services, supervision
from lawtrail.core import timeutil
from lawtrail.core.model import Case
from lawtrail.ledger.db import Database
from lawtrail.ledger.keys import KeyDirectory
from lawtrail.ledger.log import Ledger
from lawtrail.ledger.verify import verify
from lawtrail.services import ServiceError
from tests.builders import PEOPLE, t

AGENCY = "tonghua-market"
CASE = "测〔2026〕9号"


@pytest.fixture
def ledger(database_url: str, tmp_path: Path) -> Iterator[Ledger]:
    led = Ledger(Database(database_url), KeyDirectory(tmp_path / "keys"), "lawtrail.local")
    services.do_open_case(
        led,
        Case(
            agency=AGENCY,
            case_number=CASE,
            acts=("penalty",),
            procedure="general",
            origin="ex_officio",
            opened_at=t("2026-09-01 09:00"),
            people=PEOPLE,
        ),
        now=t("2026-09-01 09:05"),
    )
    yield led
    led.db.close()


def due_in(days: int) -> date:
    return timeutil.local_date(timeutil.now()) + timedelta(days=days)


def test_an_order_and_its_answer_are_entries_of_the_agencys_log(ledger: Ledger) -> None:
    order = supervision.do_issue_order(
        ledger,
        AGENCY,
        category="tampered",
        text="说明删改原因",
        due=due_in(5),
        issued_by="supervisor",
        case_number=CASE,
    )
    [entry] = ledger.entries_named(AGENCY, "supervision", order.id)
    assert (entry.type, entry.case_number, entry.ref, entry.body_ref()) == (
        "supervision",
        CASE,
        order.id,
        order.id,
    )
    assert entry.data()["actor"] == "supervisor"
    assert "责令整改" in entry.describe()
    answered = supervision.do_answer_order(
        ledger, AGENCY, order.id, done="已说明", answered_by="market.head"
    )
    assert answered.answer is not None and answered.answer.seq == order.seq + 1
    assert supervision.get_order(ledger, AGENCY, order.id) == answered
    with pytest.raises(supervision.OrderRefused, match="不能再次答复"):
        supervision.do_answer_order(
            ledger, AGENCY, order.id, done="再次", answered_by="market.head"
        )
    assert len(ledger.entries_named(AGENCY, "supervision", order.id)) == 2
    # the case reads as before, its archive entries leave the orders out, the log verifies
    assert services.load_case(ledger, AGENCY, CASE).case_number == CASE
    assert [e.type for e in services.case_entries_by_body(ledger, AGENCY, CASE)] == ["case"]
    ledger.integrate(AGENCY)
    report = verify(ledger, ledger.keys, allow_unpinned=True, allow_unwitnessed=True)
    assert report.problems == [], report.problems


def test_an_order_names_a_case_and_record_of_the_agency(ledger: Ledger) -> None:
    with pytest.raises(ServiceError) as exc:
        supervision.do_issue_order(
            ledger,
            AGENCY,
            category="other",
            text="x",
            due=due_in(3),
            issued_by="s",
            case_number="不存在〔2026〕1号",
        )
    assert "$.about.case_number" in {i.path for i in exc.value.issues}
    with pytest.raises(ServiceError) as exc:
        supervision.do_issue_order(
            ledger,
            AGENCY,
            category="other",
            text="x",
            due=due_in(3),
            issued_by="s",
            case_number=CASE,
            record="r9",
        )
    assert "$.about.record" in {i.path for i in exc.value.issues}
    with pytest.raises(supervision.OrderRefused):
        supervision.do_answer_order(
            ledger, AGENCY, "ZG20261202-abcdef", done="x", answered_by="market.head"
        )
    assert supervision.orders(ledger, AGENCY) == []


def test_a_pattern_order_has_no_case_and_is_overdue_after_its_day(ledger: Ledger) -> None:
    order = supervision.do_issue_order(
        ledger,
        "luanchuan-stats",
        category="storage",
        text="建立制度",
        due=due_in(1),
        issued_by="supervisor",
        pattern="音像资料未及时导入",
    )
    assert order.case_number == "" and order.pattern == "音像资料未及时导入"
    [listed] = supervision.orders(ledger, "luanchuan-stats")
    assert listed.id == order.id and listed.status(timeutil.now()) == "open"
    two_days = timeutil.now() + timedelta(days=2)
    assert listed.status(two_days) == "overdue" and isinstance(two_days, datetime)
