"""The inbox by person (issue #15): what I must do, what I wait for from whom, overdue first,
the count in the navigation — read from the inbox's own rows (``InboxTask``), which are checked
against the ledger like the case index and cost the same whatever the number of cases."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from lawtrail.core import timeutil
from lawtrail.web import inbox_index
from lawtrail.web.models import CaseIndex, InboxTask, User
from tests.integration.web.test_web_inbox import open_case, submit_approval
from tests.integration.web.test_web_projections import check, found, raw_sql
from tests.integration.web.test_web_projections import open_case as open_emergency

pytestmark = pytest.mark.django_db

Login = Callable[[str], Client]
MARKET = "tonghua-market"


def section(html: str, heading: str) -> str:
    """The HTML of the inbox's section under ``heading`` (up to the next heading)."""
    start = html.index(heading)
    end = html.find('<h2 class="inbox-section">', start + len(heading))
    return html[start : end if end > 0 else len(html)]


def nav_count(html: str) -> int:
    found = re.search(r'<span class="nav-count[^"]*"[^>]*>(\d+)</span>', html)
    return int(found[1]) if found else 0


def test_the_handler_sees_whom_a_submitted_approval_waits_for_and_the_reviewer_has_it(
    demo_users: object, login: Login
) -> None:
    handler = login("market.handler")
    index = open_case("market.handler", "通市监罚〔2026〕901号")
    submit_approval(handler, index, "market.handler")
    page = handler.get("/inbox/").content.decode()
    waiting = section(page, "等待他人办理")
    assert "通市监罚〔2026〕901号" in waiting
    reviewer = User.objects.get(username="market.reviewer")
    # the person's name, not only the role
    assert f"审核人：{reviewer.name}" in waiting
    mine = login("market.reviewer").get("/inbox/").content.decode()
    assert "通市监罚〔2026〕901号" in section(mine, "我的待办")
    assert "内部审批审核" in section(mine, "我的待办")
    # the head waits for the review before approving: not in the head's list yet
    head = login("market.head").get("/inbox/").content.decode()
    assert "内部审批审核" not in section(head, "我的待办")


def test_the_navigation_counts_my_tasks_and_my_overdue_ones_on_every_page(
    demo_users: object, login: Login
) -> None:
    handler = User.objects.get(username="market.handler")
    client = login("market.handler")
    open_emergency("通市监罚〔2026〕902号")
    expected = inbox_index.mine(handler).count()
    assert expected > 0
    for url in ("/inbox/", "/cases/", "/account/"):
        html = client.get(url).content.decode()
        assert nav_count(html) == expected, url
        assert 'class="nav-count overdue"' not in html
    mine = section(client.get("/inbox/").content.decode(), "我的待办")
    assert f"（{expected} 项" in mine
    # Long after every deadline: the badge turns red and counts them.
    later = timeutil.now() + timedelta(days=400)
    with time_machine.travel(later, tick=False):
        html = login("market.handler").get("/cases/").content.decode()  # (a new session)
        overdue = inbox_index.mine(handler).filter(due__lt=later).count()
        assert overdue > 0
        assert 'class="nav-count overdue"' in html
        assert f"{overdue} 项已逾期" in html


def test_overdue_tasks_come_first_then_by_deadline(demo_users: object, login: Login) -> None:
    open_emergency("通市监罚〔2026〕903号")
    later = timeutil.now() + timedelta(days=3)
    with time_machine.travel(later, tick=False):
        open_emergency("通市监罚〔2026〕904号")
    handler = User.objects.get(username="market.handler")
    rows = list(inbox_index.mine(handler))
    dues = [row.due for row in rows if row.due is not None]
    assert len(dues) >= 2 and dues == sorted(dues)
    # tasks without a deadline come last
    undated = [i for i, row in enumerate(rows) if row.due is None]
    assert undated == list(range(len(rows) - len(undated), len(rows)))
    # and on the page: the earliest (overdue first, a week later) at the top
    with time_machine.travel(later + timedelta(days=2), tick=False):
        page = section(login("market.handler").get("/inbox/").content.decode(), "我的待办")
    assert page.index("通市监罚〔2026〕903号") < page.index("通市监罚〔2026〕904号")
    assert page.index("已逾期") < page.index("通市监罚〔2026〕904号")


def test_a_supervisor_sees_the_overdue_tasks_of_the_supervised_agencies_naming_who_must_act(
    demo_users: object, login: Login
) -> None:
    open_emergency("通市监罚〔2026〕905号")
    handler = User.objects.get(username="market.handler")
    with time_machine.travel(timeutil.now() + timedelta(days=400), tick=False):
        page = login("supervisor").get("/inbox/").content.decode()
    overdue = section(page, "所监督机关的逾期事项")
    assert "通市监罚〔2026〕905号" in overdue
    assert f"承办人：{handler.name}" in overdue
    assert "办理</a>" not in overdue  # read-only


def test_the_inbox_costs_the_same_queries_at_any_number_of_cases(
    demo_users: object, login: Login
) -> None:
    client = login("market.handler")
    open_emergency("通市监罚〔2026〕910号")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/inbox/").status_code == 200
        return len(captured)

    queries()  # (the session's first request does its own bookkeeping)
    few = queries()
    for n in range(911, 921):
        open_emergency(f"通市监罚〔2026〕{n}号")
    assert CaseIndex.objects.filter(agency_id=MARKET).count() >= 11
    assert queries() == few


def test_an_edited_or_inserted_inbox_row_is_reported_by_verify(
    demo_users: object, login: Login
) -> None:
    index = open_emergency("通市监罚〔2026〕906号")
    assert check().problems == []
    task = InboxTask.objects.filter(case=index).order_by("position").first()
    assert task is not None
    raw_sql("UPDATE lawtrail_inboxtask SET role = 'archivist' WHERE id = %s", (task.pk,))
    report = check()
    assert found(report, "inbox_task_mismatch") == [(MARKET, index.case_number, "tasks")]
    raw_sql("UPDATE lawtrail_inboxtask SET role = %s WHERE id = %s", (task.role, task.pk))
    assert check().problems == []
    raw_sql("DELETE FROM lawtrail_inboxtask WHERE id = %s", (task.pk,))
    assert found(check(), "inbox_task_mismatch") == [(MARKET, index.case_number, "tasks")]
    raw_sql(
        "INSERT INTO lawtrail_inboxtask (case_id, agency_id, position, role, kind, title, "
        "regulation, record, step, not_by) VALUES (%s, %s, 0, 'handler', 'closure', 'x', '', "
        "'', '', '')",
        (index.pk + 100_000, MARKET),
    )
    assert "inbox_task_orphan" in {p.code for p in check().problems}


def test_the_navigation_count_is_the_inbox_query_for_every_kind_of_task(
    demo_users: object,
) -> None:
    """The badge's SQL (``counts``) answers as ``mine`` does: other agencies' and other roles'
    tasks, a handler's task of another handler, steps the user may not take — and a username
    with LIKE's wildcards, which must match only itself."""
    case = open_emergency("通市监罚〔2026〕906号")
    now = timeutil.now()
    wild = User.objects.create_user("mk_a%1", agency_id=MARKET, roles=["handler", "reviewer"])
    near = User.objects.create_user("mkXaZ1", agency_id=MARKET, roles=["handler", "reviewer"])
    other = User.objects.get(username="market.handler")
    rows = [
        # (role, handler, not_by, due, agency)
        ("handler", None, "", now - timedelta(days=1), MARKET),
        ("handler", wild, "", now + timedelta(days=1), MARKET),
        ("handler", other, "", now - timedelta(days=1), MARKET),
        ("reviewer", other, ",mkXaZ1,", None, MARKET),  # bars the look-alike, not `wild`
        ("reviewer", other, ",mk_a%1,", now - timedelta(days=2), MARKET),
        ("reviewer", None, ",someone,mk_a%1,", now, MARKET),
        ("approver", None, "", now - timedelta(days=3), MARKET),
        ("reviewer", None, "", now - timedelta(days=3), "tonghua-postal"),
    ]
    InboxTask.objects.bulk_create(
        InboxTask(case=case, agency_id=agency, position=100 + i, role=role, kind="k", title="t",
                  due=due, handler=handler, not_by=not_by)
        for i, (role, handler, not_by, due, agency) in enumerate(rows)
    )  # fmt: skip
    for user in (wild, near, other, User.objects.get(username="market.reviewer")):
        expected = inbox_index.mine(user)
        later = now + timedelta(hours=1)
        assert inbox_index.counts(user, later) == (
            expected.count(),
            expected.filter(due__lt=later).count(),
        ), user.username
    assert inbox_index.counts(wild, now)[0] == inbox_index.mine(wild).count() >= 3
    nobody = User.objects.create_user("no.agency", roles=["handler"])
    assert inbox_index.counts(nobody, now) == (0, 0)
