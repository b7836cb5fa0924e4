"""Approvals, the 待办 inbox and the supervisor's access log, through the pages.

The internal chain 承办人 → 审核人 → 批准人 (002 art. 38) is walked by three different demo users;
each step is a new record in the ledger, refused steps store nothing, and each step's task is in
the inbox of the user whose turn it is, and only until it is done.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from lawtrail.core import timeutil
from lawtrail.core.engine import evaluate
from lawtrail.core.timeutil import SHANGHAI
from lawtrail.web import actions, wiring
from lawtrail.web.models import Agency, CaseIndex, User

pytestmark = pytest.mark.django_db

Login = Callable[[str], Client]
MARKET = "tonghua-market"
SUBJECT = "鑫盛达商贸有限公司销售侵权运动鞋案处罚决定审批"


def open_case(
    username: str,
    case_number: str,
    *,
    origin: str = "ex_officio",
    first_record: dict[str, Any] | None = None,
) -> CaseIndex:
    header = {
        "case_number": case_number,
        "title": "销售侵犯注册商标专用权商品案",
        "acts": ["penalty"],
        "procedure": "general",
        "origin": origin,
        "opened_at": timeutil.now().isoformat(),
        "parties": [{"id": "p1", "name": "通化市鑫盛达商贸有限公司"}],
    }
    return actions.do_open_case(User.objects.get(username=username), header, first_record)


def submit_approval(client: Client, index: CaseIndex, handler: str) -> str:
    """The handler submits an internal approval through the generic record form; returns the
    new record's id."""
    before = record_ids(index)
    response = client.post(
        f"/cases/{index.pk}/records/new/internal_approval/",
        {
            "at": timeutil.now().strftime("%Y-%m-%dT%H:%M"),
            "f_subject": SUBJECT,
            "f_handler_opinion": "拟没收侵权运动鞋185双，并处罚款110,000元",
            "f_handler_reason": "违反《商标法》第五十七条第（三）项，依第六十条第二款处罚",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    [new] = [rid for rid in record_ids(index) if rid not in before]
    return new


def record_entries(index: CaseIndex) -> list[dict[str, Any]]:
    entries = wiring.ledger().entries(
        index.agency_id, case_number=index.case_number, types=("record",)
    )
    return [entry.data()["record"] for entry in entries]


def record_ids(index: CaseIndex) -> list[str]:
    return [record["id"] for record in record_entries(index)]


def approvals(index: CaseIndex) -> list[dict[str, Any]]:
    return [r for r in record_entries(index) if r["kind"] == "internal_approval"]


def step(client: Client, index: CaseIndex, record_id: str, opinion: str, decision: str) -> Any:
    return client.post(
        f"/cases/{index.pk}/approvals/{record_id}/", {"opinion": opinion, "decision": decision}
    )


def inbox_links(client: Client) -> list[str]:
    page = client.get("/inbox/").content.decode()
    return re.findall(r'href="(/cases/\d+/(?:approvals|records/new)/[^"]+)"', page)


# ---------------------------------------------------------------------------- the chain


def test_the_chain_handler_reviewer_approver_through_the_pages_leaves_three_records_and_no_finding(
    login: Login,
) -> None:
    index = open_case("market.handler", "通市监罚〔2026〕101号")
    handler, reviewer, head = (
        login("market.handler"),
        login("market.reviewer"),
        login("market.head"),
    )
    first = submit_approval(handler, index, "market.handler")

    # the reviewer's turn: it is in the reviewer's inbox only, linking to the approval page
    review_url = f"/cases/{index.pk}/approvals/{first}/"
    assert review_url in inbox_links(reviewer)
    assert review_url not in inbox_links(handler)
    assert not [link for link in inbox_links(head) if "/approvals/" in link]
    page = reviewer.get(review_url).content.decode()
    assert SUBJECT in page
    assert "拟没收侵权运动鞋185双" in page
    assert 'value="agree"' in page  # the form is offered to the reviewer …
    page = head.get(review_url).content.decode()
    assert 'value="agree"' not in page  # … not to the approver yet
    assert "等待审核人审核" in page

    response = step(reviewer, index, first, "事实清楚，证据充分，同意承办人意见", "agree")
    assert response.status_code == 302
    second = approvals(index)[-1]["id"]
    assert response["Location"] == f"/cases/{index.pk}/approvals/{second}/"

    # the approver's turn now; the reviewer's task is gone
    approve_url = f"/cases/{index.pk}/approvals/{second}/"
    assert not [link for link in inbox_links(reviewer) if "/approvals/" in link]
    assert approve_url in inbox_links(head)
    response = step(head, index, second, "按承办人意见作出处罚决定", "agree")
    assert response.status_code == 302

    assert not [link for link in inbox_links(head) if "/approvals/" in link]
    chain = approvals(index)
    assert len(chain) == 3
    assert [r.get("corrects", {}).get("reason") for r in chain] == [None, "审核意见", "批准意见"]
    assert chain[1]["corrects"]["record"] == chain[0]["id"]
    assert chain[2]["corrects"]["record"] == chain[1]["id"]

    case = actions.case_of(index)
    [effective] = [r for r in case.effective_records() if r.kind == "internal_approval"]
    assert effective.id == chain[2]["id"]
    assert effective.value("handler") == "market.handler"
    assert effective.value("handler_opinion") == "拟没收侵权运动鞋185双，并处罚款110,000元"
    assert effective.value("reviewer") == "market.reviewer"
    assert effective.value("reviewer_opinion") == "同意：事实清楚，证据充分，同意承办人意见"
    assert effective.value("approver") == "market.head"
    assert effective.value("approver_opinion") == "同意：按承办人意见作出处罚决定"
    reviewed_at, approved_at = effective.value("reviewed_at"), effective.value("approved_at")
    assert isinstance(reviewed_at, datetime)
    assert isinstance(approved_at, datetime)
    assert reviewed_at.utcoffset() == timedelta(hours=8)
    assert effective.at <= reviewed_at <= approved_at
    findings = evaluate(case).findings
    assert [f for f in findings if f.rule.startswith("market.internal.")] == []

    # the page shows the whole chain, with every version kept
    page = handler.get(f"/cases/{index.pk}/approvals/{first}/", follow=True).content.decode()
    assert "审批已结束：批准人同意" in page
    for record in chain:
        assert f"/cases/{index.pk}/records/{record['id']}/" in page
    assert 'value="agree"' not in page


def test_a_reviewer_who_disagrees_passes_the_approval_on_to_the_approver_who_decides(
    login: Login,
) -> None:
    index = open_case("market.handler", "通市监罚〔2026〕102号")
    first = submit_approval(login("market.handler"), index, "market.handler")
    assert step(login("market.reviewer"), index, first, "证据不足", "disagree").status_code == 302
    second = approvals(index)[-1]["id"]
    head = login("market.head")
    assert f"/cases/{index.pk}/approvals/{second}/" in inbox_links(head)
    page = head.get(f"/cases/{index.pk}/approvals/{second}/").content.decode()
    assert "不同意" in page and "证据不足" in page
    assert step(head, index, second, "退回承办人补充调查", "disagree").status_code == 302
    page = head.get(f"/cases/{index.pk}/approvals/{second}/", follow=True).content.decode()
    assert "审批已结束：批准人不同意" in page


def test_approving_before_the_review_is_refused_in_chinese_and_stores_nothing(
    login: Login,
) -> None:
    index = open_case("market.handler", "通市监罚〔2026〕103号")
    first = submit_approval(login("market.handler"), index, "market.handler")
    before = record_ids(index)
    response = step(login("market.head"), index, first, "同意", "agree")
    assert response.status_code == 403
    assert "尚未经审核人审核，不能批准" in response.content.decode()
    assert record_ids(index) == before


def test_reviewing_ones_own_submission_is_refused_and_stores_nothing(login: Login) -> None:
    index = open_case("market.reviewer", "通市监罚〔2026〕104号")
    reviewer = login("market.reviewer")
    # the reviewer is an officer too and handles this case: the submission is theirs
    first = submit_approval(reviewer, index, "market.reviewer")
    assert f"/cases/{index.pk}/approvals/{first}/" not in inbox_links(reviewer)
    before = record_ids(index)
    response = step(reviewer, index, first, "同意", "agree")
    assert response.status_code == 403
    assert "承办人不能审核或批准本人提出的审批" in response.content.decode()
    assert record_ids(index) == before


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("market.officer", "您不是审核人，不能审核内部审批"),
        ("market.legal", "您不是审核人，不能审核内部审批"),
        ("supervisor", "您无权办理该机关的内部审批"),
    ],
)
def test_a_user_without_the_role_is_refused_and_nothing_is_stored(
    login: Login, username: str, message: str
) -> None:
    index = open_case("market.handler", "通市监罚〔2026〕105号")
    first = submit_approval(login("market.handler"), index, "market.handler")
    before = record_ids(index)
    client = login(username)
    assert (
        'value="agree"' not in client.get(f"/cases/{index.pk}/approvals/{first}/").content.decode()
    )
    response = step(client, index, first, "同意", "agree")
    assert response.status_code == 403
    assert message in response.content.decode()
    assert record_ids(index) == before


def test_an_empty_opinion_gets_a_chinese_error_and_stores_nothing(login: Login) -> None:
    index = open_case("market.handler", "通市监罚〔2026〕106号")
    first = submit_approval(login("market.handler"), index, "market.handler")
    before = record_ids(index)
    reviewer = login("market.reviewer")
    for opinion, decision, message in [
        ("   ", "agree", "请填写意见"),
        ("同意", "", "请选择同意或不同意"),
        ("同意", "maybe", "请选择同意或不同意"),
    ]:
        response = step(reviewer, index, first, opinion, decision)
        assert response.status_code == 200
        assert message in response.content.decode()
    assert record_ids(index) == before


def test_a_step_cannot_be_taken_twice(login: Login) -> None:
    index = open_case("market.handler", "通市监罚〔2026〕107号")
    first = submit_approval(login("market.handler"), index, "market.handler")
    reviewer = login("market.reviewer")
    assert step(reviewer, index, first, "同意", "agree").status_code == 302
    after_review = record_ids(index)
    # the same form posted again (a second click, a stale page) …
    response = step(reviewer, index, first, "同意", "agree")
    assert response.status_code == 403
    assert "该审批已有新的审批环节" in response.content.decode()
    # … or on the new version, where it is no longer the reviewer's turn
    second = approvals(index)[-1]["id"]
    response = step(reviewer, index, second, "同意", "agree")
    assert response.status_code == 403
    assert "您不是批准人" in response.content.decode()
    assert record_ids(index) == after_review

    head = login("market.head")
    assert step(head, index, second, "同意", "agree").status_code == 302
    third = approvals(index)[-1]["id"]
    response = step(head, index, third, "同意", "agree")
    assert response.status_code == 403
    assert "审批流程已结束" in response.content.decode()
    assert len(approvals(index)) == 3


def test_the_action_refuses_another_agencys_staff_and_an_unknown_record(login: Login) -> None:
    index = open_case("market.handler", "通市监罚〔2026〕108号")
    first = submit_approval(login("market.handler"), index, "market.handler")
    outsider = User.objects.get(username="postal.reviewer")
    with pytest.raises(actions.PermissionDenied):
        actions.do_approval_step(outsider, index, first, opinion="同意", approve=True)
    reviewer = User.objects.get(username="market.reviewer")
    from lawtrail.services import ServiceError

    with pytest.raises(ServiceError, match="本案没有内部审批记录"):
        actions.do_approval_step(reviewer, index, "r999", opinion="同意", approve=True)
    with pytest.raises(ServiceError, match="请填写意见"):
        actions.do_approval_step(reviewer, index, first, opinion=" ", approve=True)
    assert len(approvals(index)) == 1


# ---------------------------------------------------------------------------- the inbox


def test_an_overdue_required_act_is_first_and_marked_in_the_handlers_inbox(
    demo_users: list[tuple[str, str, str]],
) -> None:
    start = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)
    with time_machine.travel(start, tick=False):
        index = open_case(
            "market.handler",
            "通市监罚〔2026〕109号",
            origin="emergency",
            first_record={
                "id": "r1",
                "kind": "emergency_start",
                "at": start.isoformat(),
                "fields": {"reason": "现场发现正在销售假冒商品，需立即查处"},
            },
        )
        due_task = next(t for t in index.pending if t["kind"] == "initiation_approval")
        assert due_task["due"] == (start + timedelta(hours=24)).isoformat()

    def handler_inbox() -> str:
        client = Client()
        assert client.login(username="market.handler", password="lawtrail-demo")
        return client.get("/inbox/").content.decode()

    with time_machine.travel(start + timedelta(hours=2), tick=False):
        page = handler_inbox()
        assert "2026-11-03 09:00" in page
        assert "已逾期" not in page
    with time_machine.travel(start + timedelta(hours=30), tick=False):
        page = handler_inbox()
        rows = re.findall(r'<tr class="inbox-item[^"]*">.*?</tr>', page, re.S)
        assert rows, page
        assert "inbox-overdue" in rows[0]  # sorted first
        assert "程序启动审批表" in rows[0]
        assert "已逾期" in rows[0]
        assert "2026-11-03 09:00" in rows[0]  # Beijing time
        assert "第八条" in rows[0]
        assert f"/cases/{index.pk}/records/new/initiation_approval/" in rows[0]
        assert sum("inbox-overdue" in row for row in rows) == 1

        # a later write re-projects the case after the deadline: still owed, still overdue
        actions.do_append_record(
            User.objects.get(username="market.handler"),
            index,
            {
                "id": "r2",
                "kind": "site_inspection",
                "at": timeutil.now().isoformat(),
                "fields": {},
            },
        )
        rows = re.findall(r'<tr class="inbox-item[^"]*">.*?</tr>', handler_inbox(), re.S)
        assert "inbox-overdue" in rows[0] and "程序启动审批表" in rows[0]

        # the supervisor sees it, read-only; the officer of another agency does not
        supervisor = Client()
        assert supervisor.login(username="supervisor", password="lawtrail-demo")
        page = supervisor.get("/inbox/").content.decode()
        assert "所监督机关的逾期事项" in page
        assert "通市监罚〔2026〕109号" in page
        assert "/records/new/" not in page
        postal = Client()
        assert postal.login(username="postal.handler", password="lawtrail-demo")
        assert "通市监罚〔2026〕109号" not in postal.get("/inbox/").content.decode()


def test_the_inbox_routes_decisions_to_legal_review_head_approval_and_archiving(
    login: Login,
) -> None:
    handler = User.objects.get(username="market.handler")
    index = open_case_major(handler)
    now = timeutil.now().isoformat()
    actions.do_append_record(
        handler, index, {"id": "r1", "kind": "decision_draft", "at": now, "fields": {}}
    )
    legal_link = f"/cases/{index.pk}/records/new/legal_review/"
    assert legal_link in inbox_links(login("market.legal"))
    assert legal_link not in inbox_links(login("market.head"))
    actions.do_append_record(
        User.objects.get(username="market.legal"),
        index,
        {"id": "r2", "kind": "legal_review", "at": now, "fields": {"opinion": "合法"}},
    )
    assert legal_link not in inbox_links(login("market.legal"))
    head_link = f"/cases/{index.pk}/records/new/head_approval/"
    assert head_link in inbox_links(login("market.head"))
    actions.do_append_record(
        User.objects.get(username="market.head"),
        index,
        {"id": "r3", "kind": "head_approval", "at": now, "fields": {"opinion": "同意"}},
    )
    assert head_link not in inbox_links(login("market.head"))
    archive_link = f"/cases/{index.pk}/records/new/case_file/"
    assert archive_link not in inbox_links(login("market.archivist"))
    actions.do_append_record(
        handler, index, {"id": "r4", "kind": "closure", "at": now, "fields": {}}
    )
    page = login("market.archivist").get("/inbox/").content.decode()
    assert archive_link in page
    assert "第三十二条" in page


def open_case_major(handler: User) -> CaseIndex:
    header = {
        "case_number": "通市监罚〔2026〕110号",
        "title": "重大案件",
        "acts": ["penalty"],
        "procedure": "general",
        "origin": "ex_officio",
        "major": True,
        "opened_at": timeutil.now().isoformat(),
    }
    return actions.do_open_case(handler, header)


# ---------------------------------------------------------------------------- the access log


def access_entries() -> int:
    ledger = wiring.ledger()
    return sum(ledger.size(agency.code) for agency in Agency.objects.all())


def test_the_supervisor_sees_access_entries_including_a_denied_cross_agency_attempt(
    login: Login,
) -> None:
    index = open_case("market.handler", "通市监罚〔2026〕120号")
    assert login("market.handler").get(f"/cases/{index.pk}/").status_code == 200
    assert login("postal.officer").get(f"/cases/{index.pk}/").status_code == 403

    supervisor = login("supervisor")
    size = access_entries()
    page = supervisor.get("/supervision/access/").content.decode()
    assert access_entries() == size  # reading the log is not itself an access
    rows = re.findall(r'<tr class="access-(?:allowed|denied)">.*?</tr>', page, re.S)
    assert len(rows) == 2
    denied, allowed = rows  # newest first
    assert "access-denied" in denied
    assert "postal.officer" in denied
    assert "通化市邮政管理局" in denied  # the user's own agency
    assert "拒绝" in denied
    assert "通市监罚〔2026〕120号" in denied
    assert "查看案件" in denied
    assert "网页" in denied
    assert "127.0.0.1" in denied
    assert re.search(r"#\d+", denied)
    assert "market.handler" in allowed and "允许" in allowed

    def rows_for(query: str) -> list[str]:
        page = supervisor.get(f"/supervision/access/?{query}").content.decode()
        return re.findall(r'<tr class="access-(?:allowed|denied)">.*?</tr>', page, re.S)

    assert [("postal.officer" in r) for r in rows_for("outcome=denied")] == [True]
    assert [("market.handler" in r) for r in rows_for("outcome=allowed")] == [True]
    assert [("postal.officer" in r) for r in rows_for("user=postal.officer")] == [True]
    assert len(rows_for(f"case={index.case_number}")) == 2
    assert rows_for("case=通市监罚〔2026〕999号") == []
    assert len(rows_for(f"agency={MARKET}")) == 2
    assert rows_for("agency=tonghua-postal") == []
    today = timeutil.now().date()
    assert len(rows_for(f"since={today}&until={today}")) == 2
    assert rows_for(f"until={today - timedelta(days=1)}") == []
    assert rows_for(f"since={today + timedelta(days=1)}") == []
    page = supervisor.get("/supervision/access/?since=2026-13-40").content.decode()
    assert "日期格式应为" in page
    page = supervisor.get(f"/supervision/access/?since={today}&until=2020-01-01").content.decode()
    assert "起始日期不能晚于截止日期" in page


def test_the_access_log_is_paged_newest_first(login: Login) -> None:
    index = open_case("market.handler", "通市监罚〔2026〕121号")
    officer = User.objects.get(username="market.officer")
    for n in range(55):
        actions.do_log_access(
            officer, MARKET, index.case_number, action="view_record", target=f"t-{n:02d}"
        )
    supervisor = login("supervisor")
    first = supervisor.get("/supervision/access/?outcome=allowed").content.decode()
    targets = re.findall(r"t-(\d\d)", first)
    assert targets == [f"{n:02d}" for n in range(54, 4, -1)]
    assert "下一页" in first and "上一页" not in first
    second = supervisor.get("/supervision/access/?outcome=allowed&page=2").content.decode()
    assert re.findall(r"t-(\d\d)", second) == ["04", "03", "02", "01", "00"]
    assert "上一页" in second and "下一页" not in second
    assert "页码应为正整数" in supervisor.get("/supervision/access/?page=0").content.decode()


def test_a_supervisor_sees_only_the_agencies_it_supervises(login: Login) -> None:
    index = open_case("market.handler", "通市监罚〔2026〕122号")
    assert login("postal.officer").get(f"/cases/{index.pk}/").status_code == 403
    narrow = User.objects.create_user(
        "narrow.supervisor", password="lawtrail-demo", name="钱监督", roles=["supervisor"]
    )
    narrow.supervised_agencies.set([Agency.objects.get(code="tonghua-postal")])
    client = login("narrow.supervisor")
    page = client.get("/supervision/access/").content.decode()
    assert "postal.officer" not in page  # the attempt is in the market's log, not supervised
    page = client.get(f"/supervision/access/?agency={MARKET}").content.decode()
    assert "只能查看您所监督机关的查阅记录" in page
    assert "postal.officer" not in page


@pytest.mark.parametrize("username", ["market.officer", "market.head", "admin"])
def test_only_supervisors_may_read_the_access_log(login: Login, username: str) -> None:
    response = login(username).get("/supervision/access/")
    assert response.status_code == 403
    assert "只有监督人员可以查看查阅记录" in response.content.decode()
