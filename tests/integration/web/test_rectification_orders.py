"""责令限期整改 (issue #14 item 4): a supervisor orders an agency to correct a failure within a time
limit (000 art. 36, 001 art. 30, 002 art. 37, 004 art. 15; 001 art. 6), the agency's head answers
with what was done and evidence; both are entries of the agency's ledger, the lists read an index
that `lawtrail verify` checks, and overdue orders show on both sides."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client

from lawtrail import supervision
from lawtrail import verify as offline
from lawtrail.core import timeutil
from lawtrail.web import wiring
from lawtrail.web.models import CaseIndex, RectificationOrder
from tests.integration.web.test_documents_web import (
    body_of,
    build_stats_case,
    exports_dir,  # noqa: F401 - a fixture
    package_name,
)
from tests.integration.web.test_web_projections import check

pytestmark = pytest.mark.django_db

Login = Callable[[str], Client]
MARKET = "tonghua-market"
STATS = "luanchuan-stats"
BADGE = '<span class="badge bad">已逾期</span>'


def market_case() -> CaseIndex:
    return CaseIndex.objects.filter(agency_id=MARKET).order_by("pk").first()  # type: ignore[return-value]


def supervision_entries(agency: str = MARKET) -> list[dict[str, Any]]:
    return [e.data() for e in wiring.ledger().entries(agency, types=("supervision",))]


def denied(agency: str, username: str) -> list[dict[str, Any]]:
    bodies = [e.data()["access"] for e in wiring.ledger().entries(agency, types=("access",))]
    return [b for b in bodies if b["user"] == username and b["outcome"] == "denied"]


def issue(client: Client, index: CaseIndex, **extra: Any) -> Any:
    due = (timeutil.local_date(timeutil.now()) + timedelta(days=10)).isoformat()
    data = {
        "case": index.pk,
        "agency": index.agency_id,
        "category": "not_made",
        "text": "询问笔录未由当事人签名，限期补正并说明原因",
        "due": due,
        **extra,
    }
    return client.post("/supervision/orders/new/", data)


def the_order(agency: str = MARKET) -> supervision.Order:
    [order] = supervision.orders(wiring.ledger(), agency)
    return order


def test_a_supervisor_orders_the_agency_about_a_case_and_the_head_answers_with_evidence(
    demo_cases: None, login: Login
) -> None:
    index = market_case()
    supervisor = login("supervisor")
    page = supervisor.get(f"/cases/{index.pk}/").content.decode()
    assert "责令限期整改" in page  # the link on the case header
    form = supervisor.get(f"/supervision/orders/new/?case={index.pk}")
    assert form.status_code == 200 and index.case_number in form.content.decode()

    response = issue(supervisor, index)
    assert response.status_code == 302, response.content.decode()
    order = the_order()
    assert response["Location"] == f"/supervision/orders/{MARKET}/{order.id}/"
    [entry] = supervision_entries()
    assert entry["case_number"] == index.case_number and entry["actor"] == "supervisor"
    body = entry["supervision"]
    assert (body["act"], body["order"], body["issued_by"]) == ("order", order.id, "supervisor")
    assert body["about"] == {"case_number": index.case_number}
    row = RectificationOrder.objects.get(order_id=order.id)
    assert (row.agency_id, row.case_number, row.answered_at) == (MARKET, index.case_number, None)

    # visible to the supervisor (list, page) and to the head (inbox, page)
    assert order.id in supervisor.get("/supervision/orders/").content.decode()
    head = login("market.head")
    inbox = head.get("/inbox/").content.decode()
    assert "监督机关责令整改" in inbox and order.id in inbox and BADGE not in inbox
    detail = head.get(f"/supervision/orders/{MARKET}/{order.id}/")
    assert detail.status_code == 200 and "答复整改情况" in detail.content.decode()
    views = [
        e.data()["access"]
        for e in wiring.ledger().entries(MARKET, types=("access",))
        if e.data()["access"]["action"] == "view_order"
    ]
    assert views[-1]["user"] == "market.head" and views[-1]["target"] == order.id

    photo = io.BytesIO(b"\xff\xd8\xff\xe0 rectified \xff\xd9")
    photo.name = "整改后照片.jpg"
    answered = head.post(
        f"/supervision/orders/{MARKET}/{order.id}/answer/",
        {"done": "已补正询问笔录签名，并对承办人员进行培训", "evidence": [photo]},
    )
    assert answered.status_code == 302, answered.content.decode()
    answer = supervision_entries()[-1]
    assert answer["actor"] == "market.head" and answer["supervision"]["act"] == "answer"
    [evidence] = answer["supervision"]["evidence"]
    assert evidence["filename"] == "整改后照片.jpg" and wiring.media_store().exists(
        evidence["sha256"]
    )
    assert the_order().answer is not None
    assert RectificationOrder.objects.get(order_id=order.id).answered_at is not None
    page = supervisor.get(f"/supervision/orders/{MARKET}/{order.id}/").content.decode()
    assert "已答复" in page and "已补正询问笔录签名" in page
    download = supervisor.get(
        f"/supervision/orders/{MARKET}/{order.id}/evidence/{evidence['sha256']}/"
    )
    assert body_of(download) == b"\xff\xd8\xff\xe0 rectified \xff\xd9"

    # one answer per order
    again = head.post(f"/supervision/orders/{MARKET}/{order.id}/answer/", {"done": "再次答复"})
    assert again.status_code == 403
    assert "不能再次答复" in denied(MARKET, "market.head")[-1]["reason"]
    assert len(supervision_entries()) == 2
    assert "监督机关责令整改" in head.get("/inbox/").content.decode()
    assert order.id not in head.get("/inbox/").content.decode()  # answered: off the inbox
    assert check().problems == []


@pytest.mark.parametrize(
    ("username", "reason"),
    [
        ("market.handler", "只有该机关的监督人员可以责令限期整改"),
        ("market.head", "只有该机关的监督人员可以责令限期整改"),
    ],
)
def test_only_a_supervisor_of_the_agency_issues(
    demo_cases: None, login: Login, username: str, reason: str
) -> None:
    index = market_case()
    response = issue(login(username), index)
    assert response.status_code == 403
    assert reason in denied(MARKET, username)[-1]["reason"]
    assert supervision_entries() == [] and not RectificationOrder.objects.exists()


def test_a_supervisor_of_another_agency_is_refused(demo_cases: None, login: Login) -> None:
    from lawtrail.web.models import Agency, User

    other = User.objects.get(username="supervisor")
    other.supervised_agencies.set(Agency.objects.exclude(code=MARKET))
    index = market_case()
    client = login("supervisor")
    assert issue(client, index).status_code == 403
    assert client.get(f"/supervision/orders/new/?case={index.pk}").status_code == 403
    assert len(denied(MARKET, "supervisor")) == 2
    assert supervision_entries() == [] and not RectificationOrder.objects.exists()


def test_only_the_agencys_own_head_answers_and_reads(demo_cases: None, login: Login) -> None:
    index = market_case()
    assert issue(login("supervisor"), index).status_code == 302
    order = the_order()
    url = f"/supervision/orders/{MARKET}/{order.id}/"
    for username in ("stats.head", "market.handler"):
        client = login(username)
        assert client.get(url).status_code == 403
        assert client.post(url + "answer/", {"done": "已整改"}).status_code == 403
        assert len(denied(MARKET, username)) == 2, username
    assert login("supervisor").post(url + "answer/", {"done": "x"}).status_code == 403
    assert len(supervision_entries()) == 1 and the_order().answer is None


def test_an_order_past_its_due_date_shows_overdue_on_both_sides(
    demo_cases: None, login: Login
) -> None:
    client = login("supervisor")
    response = client.post(
        "/supervision/orders/new/",
        {
            "agency": MARKET,
            "category": "storage",
            "pattern": "多起案件的执法记录仪视频未在 24 小时内导入存储",
            "text": "建立音像资料当日导入制度",
            "due": (timeutil.local_date(timeutil.now()) + timedelta(days=3)).isoformat(),
        },
    )
    assert response.status_code == 302, response.content.decode()
    order = the_order()
    assert order.case_number == "" and supervision_entries()[0]["case_number"] == ""
    assert BADGE not in client.get("/supervision/orders/").content.decode()
    with time_machine.travel(timeutil.now() + timedelta(days=5)):
        client = login("supervisor")  # a fresh session: the old one has timed out
        listing = client.get("/supervision/orders/", {"status": "overdue"}).content.decode()
        assert order.id in listing and BADGE in listing
        assert order.id in client.get("/inbox/").content.decode()  # the supervisor's inbox
        inbox = login("market.head").get("/inbox/").content.decode()
        assert order.id in inbox and BADGE in inbox
        api = login("supervisor").get("/api/orders", {"status": "overdue"})
        assert [o["id"] for o in api.json()] == [order.id]


def test_verify_reports_an_edited_order_row_and_reindex_restores_it(
    demo_cases: None, login: Login
) -> None:
    assert issue(login("supervisor"), market_case()).status_code == 302
    report = check()
    assert report.problems == [] and report.projections[1].rows == 1
    later = (timeutil.local_date(timeutil.now()) + timedelta(days=90)).isoformat()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE lawtrail_rectificationorder SET due = %s", (later,))
    problems = check().problems
    assert [(p.code, p.column) for p in problems] == [("order_index_mismatch", "due")]
    assert "整改期限" in problems[0].message
    call_command("reindex")
    assert check().problems == []
    RectificationOrder.objects.all().delete()
    assert [p.code for p in check().problems] == ["order_index_missing"]
    call_command("reindex")
    assert check().problems == []


def test_the_api_issues_lists_reads_and_answers(demo_cases: None, login: Login) -> None:
    index = market_case()
    supervisor = login("supervisor")
    due = (timeutil.local_date(timeutil.now()) + timedelta(days=7)).isoformat()
    body = {
        "agency": MARKET,
        "case_number": index.case_number,
        "category": "other",
        "text": "限期说明情况",
        "due": due,
    }
    created = supervisor.post("/api/orders", body, content_type="application/json")
    assert created.status_code == 201, created.content.decode()
    order_id = created.json()["id"]
    assert created.json()["status"] == "open"
    refused = login("market.handler").post("/api/orders", body, content_type="application/json")
    assert refused.status_code == 403
    head = login("market.head")
    assert [o["id"] for o in head.get("/api/orders").json()] == [order_id]
    assert head.get(f"/api/orders/{MARKET}/{order_id}").json()["answer"] is None
    url = f"/api/orders/{MARKET}/{order_id}/answer"
    report = b"%PDF-1.7 report of what was done"
    scan = SimpleUploadedFile("整改报告.pdf", report, "application/pdf")
    answer = head.post(url, {"done": "已说明", "evidence": [scan]})  # multipart
    assert answer.status_code == 200 and answer.json()["status"] == "answered"
    [evidence] = answer.json()["answer"]["evidence"]
    assert evidence["filename"] == "整改报告.pdf"
    assert evidence["sha256"] == hashlib.sha256(report).hexdigest()
    assert wiring.media_store().exists(evidence["sha256"])
    assert head.post(url, {"done": "再次"}).status_code == 403
    assert login("stats.head").get(f"/api/orders/{MARKET}/{order_id}").status_code == 403
    past = {**body, "due": timeutil.local_date(timeutil.now()).isoformat()}
    late = supervisor.post("/api/orders", past, content_type="application/json")
    assert late.status_code == 400 and "整改期限应晚于今天" in late.content.decode()


def test_an_archived_case_with_an_order_still_verifies_offline(
    demo_cases: None,
    login: Login,
    exports_dir: Path,  # noqa: F811
    tmp_path: Path,
    web_env: Path,
) -> None:
    number = "栾统罚〔2026〕19号"
    index = build_stats_case(login, number)
    supervisor = login("supervisor")
    assert issue(supervisor, index).status_code == 302  # before the archiving
    client = login("stats.archivist")
    archived = client.post(
        f"/cases/{index.pk}/archive/", {"volume_number": "栾统档〔2026〕19号", "retention": "永久"}
    )
    assert archived.status_code == 302
    assert issue(supervisor, index, category="other").status_code == 302  # and after it
    head = login("stats.head")
    [first, _] = supervision.orders(wiring.ledger(), STATS)
    assert (
        head.post(f"/supervision/orders/{STATS}/{first.id}/answer/", {"done": "已整改"}).status_code
        == 302
    )
    data = body_of(client.get(f"/cases/{index.pk}/export/"))
    top = package_name(number)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        zf.extractall(tmp_path / "out")
    key = (web_env / "keys" / f"{STATS}.vkey").read_text("utf-8")
    checked = offline.verify_package(tmp_path / "out" / top, key=key, allow_unwitnessed=True)
    assert checked.intact, offline.report_text(checked)
    assert check().problems == []
