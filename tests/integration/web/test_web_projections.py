"""Nothing unverified on screen (issue #12, item 6): the case index the lists and the inbox read
is rebuilt from the ledger and checked by `lawtrail verify`'s projection check; a record page
finds its ledger entry by the hashed body, not by the unhashed ``ref`` column.

Each attack is made the way an insider with the database would make it — raw SQL on Django's
connection — on SQLite and (``LAWTRAIL_TEST_WEB_DB=postgresql``) on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import Client

from lawtrail import web_cli
from lawtrail.core import timeutil
from lawtrail.ledger.verify import Report, verify
from lawtrail.web import actions, projections, wiring
from lawtrail.web.models import ApiToken, CaseIndex, User

pytestmark = pytest.mark.django_db

MARKET = "tonghua-market"
EXAMPLE = "通市监罚〔2026〕12号"  # compliant, closed, 22 records; imported (no opener)
VIOLATIONS = "通市监罚〔2026〕27号"  # the typical-violations example: violations > 0
OPENED = "通市监罚〔2026〕801号"

Login = Callable[[str], Client]


def check(**scope: Any) -> Report:
    """`lawtrail verify` as the CLI wires it: the ledger and the web application's projections."""
    checks = web_cli.projection_checks()
    return verify(wiring.ledger(), wiring.keys(), projections=checks, **scope)


def raw_sql(sql: str, params: tuple[Any, ...] = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def found(report: Report, code: str) -> list[tuple[str, str, str]]:
    return [(p.agency, p.case_number, p.column) for p in report.problems if p.code == code]


def open_case(number: str = OPENED, at: str | None = None) -> CaseIndex:
    """A case opened in the web application by market.handler (by default just now): an
    emergency start, which the rules follow with the start approval within 24 hours (a pending
    task with a deadline)."""
    at = at or timeutil.now().replace(second=0, microsecond=0).isoformat()
    handler = User.objects.get(username="market.handler")
    header = {
        "case_number": number,
        "title": "某商店销售过期食品案",
        "acts": ["penalty"],
        "procedure": "general",
        "origin": "emergency",
        "opened_at": at,
        "parties": [{"id": "p1", "name": "某商店"}],
    }
    first = {"id": "r1", "kind": "emergency_start", "at": at, "fields": {"reason": "正在销售"}}
    return actions.do_open_case(handler, header, first)


# ---------------------------------------------------------------------------- the case index


def test_the_projection_check_reads_the_models_own_table_and_columns() -> None:
    assert CaseIndex._meta.db_table == projections.TABLE
    assert User._meta.db_table == projections.USER_TABLE
    columns = {f.column for f in CaseIndex._meta.concrete_fields}
    # every column the pages read is rebuilt, or is the row's key, its handler or its moment
    keys = {"id", "agency_id", "case_number", "handler_id", "updated_at"}
    assert columns == {*projections.COLUMNS, *keys}


def test_the_demo_case_index_matches_its_rebuild_from_the_ledger(demo_cases: None) -> None:
    open_case()
    report = check()
    assert report.problems == []
    summary, orders, reviews, totals, accesses = report.projections
    assert (summary.name, summary.table, summary.rows) == ("案件索引", "lawtrail_caseindex", 12)
    assert (orders.name, orders.table, orders.rows) == (
        "责令整改索引",
        "lawtrail_rectificationorder",
        0,
    )
    assert (reviews.name, reviews.rows) == ("案卷评查索引", 0)  # test_case_review.py has rows
    assert (totals.name, totals.table) == ("监督看板统计", "lawtrail_openedaggregate")
    assert (accesses.name, accesses.table) == ("查阅记录索引", "lawtrail_accessindex")
    assert check(agency=MARKET).projections[0].rows == 4
    assert check(agency=MARKET, case_number=EXAMPLE).projections[0].rows == 1


@pytest.mark.parametrize(
    ("number", "column", "sql"),
    [
        (VIOLATIONS, "violations", "violations = 0"),  # off the 有违规 filter
        (VIOLATIONS, "warnings", "warnings = warnings + 1"),
        (EXAMPLE, "closed", "closed = %s"),  # back on the 办理中 list
        (EXAMPLE, "archived", "archived = %s"),
        (EXAMPLE, "records", "records = 3"),
        (EXAMPLE, "title", "title = '另一个案由'"),
        (EXAMPLE, "stage", "stage = 'investigation'"),
        (OPENED, "next_due", "next_due = NULL"),  # off the 已逾期 filter
        (OPENED, "pending", "pending = '[]'"),  # off everyone's inbox
        (OPENED, "opened_at", "opened_at = '2025-01-01 00:00:00'"),
    ],
)
def test_an_edited_case_index_column_is_reported_naming_the_case_and_the_column(
    demo_cases: None, number: str, column: str, sql: str
) -> None:
    open_case()
    params: tuple[Any, ...] = (False,) if "%s" in sql else ()
    raw_sql(f"UPDATE lawtrail_caseindex SET {sql} WHERE case_number = %s", (*params, number))
    report = check()
    assert found(report, "case_index_mismatch") == [(MARKET, number, column)]
    # A column the dashboard counts: its sums (lawtrail.web.aggregates), still the ledger's,
    # no longer add up to the edited rows — reported too, without a case (a sum of many).
    sums = [p for p in report.problems if p.code == "dashboard_aggregate_mismatch"]
    assert bool(sums) == (column in ("violations", "opened_at")), sums
    row_problems = [p for p in report.problems if p not in sums]
    assert {p.code for p in row_problems} == {"case_index_mismatch"}
    (problem,) = row_problems
    assert number in problem.message and column in problem.message
    assert check(agency=MARKET, case_number=number).problems == row_problems
    # `lawtrail manage reindex` rebuilds the row from the ledger
    call_command("reindex")
    assert check().problems == []


def test_a_case_index_row_routed_to_another_handler_is_reported(demo_cases: None) -> None:
    index = open_case()
    assert index.handler is not None and index.handler.username == "market.handler"
    other = User.objects.get(username="market.reviewer")
    raw_sql("UPDATE lawtrail_caseindex SET handler_id = %s WHERE id = %s", (other.pk, index.pk))
    report = check()
    assert found(report, "case_index_mismatch") == [(MARKET, OPENED, "handler")]
    assert "market.handler" in report.problems[0].message


def test_a_deleted_index_row_hides_the_case_and_is_reported(demo_cases: None, login: Login) -> None:
    raw_sql("DELETE FROM lawtrail_caseindex WHERE case_number = %s", (VIOLATIONS,))
    assert VIOLATIONS not in login("market.handler").get("/cases/").content.decode()
    report = check()
    assert found(report, "case_index_missing") == [(MARKET, VIOLATIONS, "")]
    assert "reindex" in report.problems[0].message


def test_a_case_index_row_for_no_case_of_the_ledger_is_reported(demo_cases: None) -> None:
    raw_sql(
        "UPDATE lawtrail_caseindex SET case_number = %s WHERE case_number = %s",
        ("通市监罚〔2026〕999号", VIOLATIONS),
    )
    report = check()
    assert set(found(report, "case_index_orphan")) == {(MARKET, "通市监罚〔2026〕999号", "")}
    assert set(found(report, "case_index_missing")) == {(MARKET, VIOLATIONS, "")}


def test_a_row_dated_in_the_future_is_reported(demo_cases: None) -> None:
    raw_sql(
        "UPDATE lawtrail_caseindex SET updated_at = %s WHERE case_number = %s",
        # Django keeps the column in UTC without an offset: a Shanghai time 30 days ahead, in UTC.
        (
            (timeutil.now() + timedelta(days=30)).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            EXAMPLE,
        ),
    )
    assert found(check(), "case_index_mismatch") == [(MARKET, EXAMPLE, "updated_at")]


def test_an_honest_row_written_before_a_deadline_passed_still_verifies(demo_users: Any) -> None:
    """The row is rebuilt as of its own ``updated_at``: a deadline that passed since the last
    write is not a mismatch (the list shows it overdue from ``next_due`` at request time)."""
    start = datetime(2026, 11, 20, 10, 0, tzinfo=timeutil.SHANGHAI)
    with time_machine.travel(start, tick=False):
        index = open_case(at="2026-11-20T10:00:00+08:00")
        assert index.violations == 0 and index.next_due is not None
    with time_machine.travel(start + timedelta(days=3), tick=False):
        assert check().problems == []
        actions.project(MARKET, OPENED)  # a new write: the missed deadline is a violation now
        assert CaseIndex.objects.get(pk=index.pk).violations == 1
        assert check().problems == []


def test_reindex_restores_the_handler_from_the_account_that_opened_the_case(
    demo_users: Any,
) -> None:
    open_case()
    raw_sql("DELETE FROM lawtrail_caseindex")
    call_command("reindex")
    index = CaseIndex.objects.get(case_number=OPENED)
    assert index.handler is not None and index.handler.username == "market.handler"
    assert check().problems == []


# ---------------------------------------------------------------------------- a swapped ref


def swap_refs(agency: str, a: int, b: int) -> None:
    """Swap the unhashed ``ref`` column of two entries, the append-only triggers switched off
    (inside the test's transaction: undone afterwards)."""
    refs = dict(
        wiring.ledger().db.all(
            "SELECT seq, ref FROM ledger_entry WHERE agency = ? AND seq IN (?, ?)", (agency, a, b)
        )
    )
    if connection.vendor == "sqlite":
        raw_sql("DROP TRIGGER IF EXISTS ledger_entry_no_update")
    else:
        raw_sql("ALTER TABLE ledger_entry DISABLE TRIGGER ALL")
    for seq, other in ((a, b), (b, a)):
        raw_sql(
            "UPDATE ledger_entry SET ref = %s WHERE agency = %s AND seq = %s",
            (refs[other], agency, seq),
        )
    if connection.vendor != "sqlite":
        raw_sql("ALTER TABLE ledger_entry ENABLE TRIGGER ALL")


def record_seqs(agency: str, case_number: str) -> dict[str, tuple[int, str]]:
    """record id → (seq, leaf hash), from the hashed bodies."""
    entries = wiring.ledger().entries(agency, case_number=case_number, types=("record",))
    return {e.data()["record"]["id"]: (e.seq, e.leaf_hash.hex()) for e in entries}


def test_a_swapped_ref_column_does_not_move_a_record_page_to_another_entry(
    demo_cases: None, login: Login
) -> None:
    index = CaseIndex.objects.get(agency_id=MARKET, case_number=EXAMPLE)
    seqs = record_seqs(MARKET, EXAMPLE)
    (a, leaf_a), (b, leaf_b) = seqs["r02"], seqs["r05"]
    swap_refs(MARKET, a, b)
    client = login("market.handler")
    for record, seq, leaf, other in (("r02", a, leaf_a, b), ("r05", b, leaf_b, a)):
        text = client.get(f"/cases/{index.pk}/records/{record}/").content.decode()
        assert f"<dt>账本序号</dt><dd>第 {seq} 条</dd>" in text, record
        assert f"第 {other} 条" not in text
        assert leaf in text
    # the REST API's record and the case page's timeline too
    _, key = ApiToken.issue(User.objects.get(username="market.handler"), "tests")
    api = Client(headers={"authorization": f"Bearer {key}"})
    assert api.get(f"/api/cases/{index.pk}/records/r02").json()["seq"] == a
    assert api.get(f"/api/cases/{index.pk}/records/r05").json()["seq"] == b
    timeline = client.get(f"/cases/{index.pk}/").content.decode()
    for record, seq in (("r02", a), ("r05", b)):
        row = timeline.split(f'id="seq-{seq}"', 1)[1].split("</tr>", 1)[0]
        assert f"/records/{record}/" in row
    # and `lawtrail verify` names both entries and the column
    report = check()
    swapped = [
        (p.seq, p.record, p.column) for p in report.problems if p.code == "entry_header_mismatch"
    ]
    assert sorted(swapped) == sorted([(a, "r02", "ref"), (b, "r05", "ref")])
    assert all("r02" in p.message or "r05" in p.message for p in report.problems)
    case_report = verify(wiring.ledger(), wiring.keys(), agency=MARKET, case_number=EXAMPLE)
    assert {(p.seq, p.column) for p in case_report.problems} == {(a, "ref"), (b, "ref")}
