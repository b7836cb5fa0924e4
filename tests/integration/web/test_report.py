"""The 评议考核 report (issue #14 item 3): every figure on a generated data set against the
same figure computed independently from the case files — each case loaded from the ledger
(``services.load_case``) and judged by the core engine, the orders read from the ledger's
supervision entries — the XLSX cell by cell, the PDF's text, who may see it, the access log
of its downloads, and period validation."""

from __future__ import annotations

import re
import subprocess
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from lawtrail import services, supervision
from lawtrail.core import accountability, review, timeutil
from lawtrail.core.engine import av_subjects, evaluate
from lawtrail.core.regulations import load_regulation
from lawtrail.web import orders, report_export, reviews, wiring
from lawtrail.web.dashboard import parse_period
from lawtrail.web.models import Agency, CaseIndex, User
from lawtrail.web.report import Report, build_report
from lawtrail.web.roles import SUPERVISOR
from tests.integration.web.test_dashboard import AGENCIES, _count_listed, _expected, _generate

pytestmark = pytest.mark.django_db

Login = Callable[[str], Client]
MARKET, POSTAL = AGENCIES


def _issue_orders() -> None:
    """Three orders to the market agency (one answered by its head) and one to the postal."""
    supervisor = User.objects.get(username="supervisor")
    tomorrow = timeutil.local_date(timeutil.now()) + timedelta(days=1)
    made = [
        orders.do_issue_order(
            supervisor, MARKET, category=category, text="请限期整改", due=tomorrow, pattern="抽查"
        )
        for category in ("not_made", "not_made", "storage")
    ]
    orders.do_issue_order(
        supervisor, POSTAL, category="other", text="请限期整改", due=tomorrow, pattern="抽查"
    )
    head = User.objects.get(username="market.head")
    orders.do_answer_order(head, MARKET, made[0].id, done="已整改")


def _expected_extra(
    made: list[tuple[str, str]], agency: str, year: int, now: datetime
) -> dict[str, Any]:
    """The figures the dashboard test does not compute, from the case files as well: AV
    acts required and covered, cases with an AV gap, per-officer cases with violations, and
    the orders by category and status (from the ledger's supervision entries)."""
    ledger = wiring.ledger()
    out: dict[str, Any] = {
        "av_required": 0,
        "av_covered": 0,
        "av_gap": 0,
        "with_violations": Counter(),
        "articles": {},
        "orders": defaultdict(Counter),
    }
    for code, number in made:
        if code != agency:
            continue
        case = services.load_case(ledger, code, number)
        if timeutil.local_date(case.opened_at).year != year:
            continue
        ev = evaluate(case, at=now)
        subjects = set(av_subjects(case, at=now, pack=ev.pack))
        missing = {(f.rule, f.record) for f in ev.findings} & subjects
        out["av_required"] += len(subjects)
        out["av_covered"] += len(subjects - missing)
        out["av_gap"] += bool(missing)
        handler = CaseIndex.objects.get(agency_id=code, case_number=number).handler
        assert handler is not None
        if ev.violations:
            out["with_violations"][handler.username] += 1
    for order in supervision.orders(ledger, agency):
        if timeutil.local_date(order.issued_at).year == year:
            out["orders"][order.category]["issued"] += 1
            out["orders"][order.category][order.status(now)] += 1
    return out


def _report(agency: str, year: int, now: datetime | None = None) -> Report:
    period = parse_period({"year": str(year)}, timeutil.local_date(timeutil.now()))
    return build_report(agency, period, now or timeutil.now())


def test_report_figures_match_the_case_files(demo_users: Any) -> None:
    made = _generate()
    _issue_orders()
    now = timeutil.now()
    year = timeutil.local_date(now).year
    expected = _expected(made, year)
    codes = list(accountability.category_labels())
    for agency in AGENCIES:
        extra = _expected_extra(made, agency, year, now)
        report = _report(agency, year)
        name = Agency.objects.get(code=agency).name
        assert report.title == f"{name}执法全过程记录工作评议考核报表（{year}年）"
        assert [s.key for s in report.sections] == [
            "basic",
            "recording",
            "accountability",
            "orders",
            "review",
            "integrity",
        ]

        basic = report.section("basic").table("cases")
        for key in ("opened", "closed", "archived"):
            assert basic.value(key, "count") == expected[key][agency], (agency, key)

        recording = report.section("recording")
        ind = recording.table("indicators")
        assert ind.value("violations", "value") == expected["violations"][agency]
        assert ind.value("av_late", "value") == expected["av_late"][agency]
        assert ind.value("archive_overdue", "value") == expected["archive_overdue"][agency]
        assert ind.value("approvals", "value") == expected["approvals"][agency]
        assert ind.value("av_required", "value") == extra["av_required"]
        assert ind.value("av_covered", "value") == extra["av_covered"]
        assert extra["av_required"] - extra["av_covered"] == expected["av_missing"][agency]
        assert ind.value("av_gap", "value") == extra["av_gap"]
        assert ind.value("av_rate", "value") == (
            round(100 * extra["av_covered"] / extra["av_required"], 1)
            if extra["av_required"]
            else None
        )
        lag = expected["lag"][agency]
        assert ind.value("archive_days", "value") == (
            round(sum(lag) / len(lag), 1) if lag else None
        )

        # Every violated article of this agency's regulation, with the regulation's title.
        regulation = Agency.objects.get(code=agency).regulation
        mine = {k: n for k, n in expected["articles"].items() if k[0] == regulation}
        assert mine, agency
        articles = recording.table("articles")
        title = load_regulation(regulation).title
        assert {(r.cells[0], r.cells[1]): (r.cells[2], r.cells[3]) for r in articles.rows} == {
            (title, f"第{art}条"): (n, len(expected["article_cases"][(reg, art)]))
            for (reg, art), n in mine.items()
        }
        assert ind.value("findings", "value") == sum(mine.values())
        assert articles.value("total", "findings") == sum(mine.values())

        # 问责情形 per officer: the handlers of this agency's cases.
        officers = report.section("accountability").table("officers")
        handlers = {u for u in expected["officer_cases"] if u.startswith(agency.split("-")[1])}
        assert {r.key for r in officers.rows} == handlers
        for username in handlers:
            cats = expected["officer_categories"][username]
            assert officers.value(username, "cases") == expected["officer_cases"][username]
            assert officers.value(username, "with_violations") == extra["with_violations"][username]
            for code in codes:
                assert officers.value(username, code) == cats.get(code, 0), (username, code)
            assert officers.value(username, "total") == sum(cats.values())
            person = User.objects.get(username=username)
            assert officers.value(username, "officer") == person.name
        assert officers.value("total", "total") == sum(mine.values())

        # 责令整改 by category, as of now and as of three days on (the open ones overdue then).
        table = report.section("orders").table("orders")
        for code in supervision.CATEGORIES:
            got = extra["orders"][code]
            assert table.value(code, "issued") == got["issued"]
            for status in ("answered", "overdue", "open"):
                assert table.value(code, status) == got[status], (code, status)
        assert table.value("total", "issued") == (3 if agency == MARKET else 1)
        later = now + timedelta(days=3)
        extra_later = _expected_extra(made, agency, year, later)
        late = _report(agency, year, later).section("orders").table("orders")
        for code in supervision.CATEGORIES:
            assert late.value(code, "overdue") == extra_later["orders"][code]["overdue"]
        assert late.value("total", "overdue") == (2 if agency == MARKET else 1)
        assert late.value("total", "open") == 0

        # 日志完整性: the latest signed checkpoint; no witness configured in the tests.
        integrity = report.section("integrity")
        state = integrity.table("log")
        checkpoint = wiring.ledger().latest_checkpoint(agency)
        assert checkpoint is not None
        assert state.value("checkpoint_size", "value") == checkpoint.size
        assert state.value("checkpoint_at", "value") == timeutil.local(
            timeutil.parse_aware(checkpoint.signed_at)
        )
        assert state.value("cosigned_size", "value") is None
        assert any("见证服务未配置" in n for n in integrity.notes)

        # The JSON form carries the same cells.
        data = report.as_json()
        assert data["sections"][0]["heading"] == "一、基本情况"
        assert data["sections"][0]["tables"][0]["rows"][0]["cells"][1] == expected["opened"][agency]

        _check_xlsx(report, report_export.xlsx_bytes(report))


def _xlsx_cell(value: Any) -> Any:
    """A cell as compared: a time as Beijing wall-clock time to the millisecond (Excel's
    precision; the workbook's times are naive, Beijing time as its title row says)."""
    if isinstance(value, datetime):
        wall = timeutil.local(value).replace(tzinfo=None) if value.tzinfo else value
        return wall.replace(microsecond=round(wall.microsecond, -3) % 1_000_000)
    return value


def _check_xlsx(report: Report, data: bytes) -> None:
    """The workbook opens with openpyxl and holds the report cell by cell: one sheet per
    section, the title rows, each table's title, header, rows and total; numbers as numbers."""
    wb = load_workbook(BytesIO(data))
    assert wb.properties.creator == f"{report.agency_name}（LawTrail 执法留痕）"
    assert "openpyxl" not in (wb.properties.creator or "")
    assert wb.properties.title == report.title
    assert wb.sheetnames == [heading for heading, _ in report.numbered()]
    for heading, section in report.numbered():
        ws = wb[heading]
        assert ws["A1"].value == report.title
        assert report.agency_name in ws["A2"].value and "北京时间" in ws["A2"].value
        assert timeutil.format_local(report.generated_at) in ws["A2"].value
        assert ws["A3"].value == heading
        assert ws.freeze_panes is not None
        assert ws.column_dimensions["A"].width >= 10
        titles = {
            row[0].row: row[0].value
            for row in ws.iter_rows(min_col=1, max_col=1)
            if row[0].font.bold and row[0].row > 3
        }
        for table in section.tables:
            r = next(r for r, v in titles.items() if v == table.title)
            header = [ws.cell(row=r + 1, column=c + 1).value for c in range(len(table.columns))]
            assert header == [c.label for c in table.columns]
            rows = [*table.rows, *([table.total] if table.total else [])]
            if not table.rows:
                assert ws.cell(row=r + 2, column=1).value == table.empty
            for i, row in enumerate(rows):
                got = [ws.cell(row=r + 2 + i, column=c + 1).value for c in range(len(row.cells))]
                assert [_xlsx_cell(v) for v in got] == [_xlsx_cell(v) for v in row.cells], (
                    heading,
                    table.key,
                    row.key,
                )
                for v, cell in zip(
                    row.cells,
                    (ws.cell(row=r + 2 + i, column=c + 1) for c in range(len(row.cells))),
                    strict=True,
                ):
                    if isinstance(v, int):
                        assert cell.data_type == "n"


def test_page_downloads_and_their_access_log(demo_users: Any, login: Login, tmp_path: Path) -> None:
    made = _generate()
    year = timeutil.local_date(timeutil.now()).year
    expected = _expected(made, year)
    client = login("supervisor")
    page = client.get("/supervision/report/", {"agency": MARKET, "year": str(year)})
    assert page.status_code == 200
    html = page.content.decode()
    assert "通化市市场监督管理局执法全过程记录工作评议考核报表" in html
    for heading in ("一、基本情况", "二、执法全过程记录制度执行情况", "三、问责情形（按承办人）"):
        assert heading in html
    assert "format=xlsx" in html and "format=pdf" in html and "<script>" not in html
    # Each count of cases links to the list of those cases (the dashboard's drill-down).
    report = _report(MARKET, year)
    linked = [
        *report.section("basic").table("cases").rows,
        *(
            r
            for r in report.section("recording").table("indicators").rows
            if r.key in ("violations", "av_gap", "av_late", "archive_overdue", "approvals")
        ),
    ]
    for row in linked:
        if row.cells[1]:
            assert _count_listed(client, row.link(1)) == row.cells[1], row.key
    # The dashboard links to it.
    assert "/supervision/report/" in client.get("/supervision/dashboard/").content.decode()

    xlsx = client.get(
        "/supervision/report/", {"agency": MARKET, "year": str(year), "format": "xlsx"}
    )
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"] == report_export.XLSX_TYPE
    disposition = xlsx["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=utf-8''" in disposition
    assert "%E8%AF%84%E8%AE%AE%E8%80%83%E6%A0%B8" in disposition  # 评议考核, RFC 6266/5987
    wb = load_workbook(BytesIO(xlsx.content))
    assert wb["一、基本情况"]["A1"].value.endswith(f"（{year}年）")

    pdf = client.get("/supervision/report/", {"agency": MARKET, "year": str(year), "format": "pdf"})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert report.title in text
    for heading, _ in report.numbered():
        assert heading in text
    assert "刘建国" in text and "不制作或不按要求制作" in text
    opened = expected["opened"][MARKET]
    assert any(
        line.split()[:2] == ["立案", str(opened)] for line in text.splitlines() if line.strip()
    ), text[:2000]
    pages = re.findall(r"—\s*(\d+)\s*/\s*(\d+)\s*—", text)  # page numbers: — 1 / 4 —
    assert pages and pages[0][0] == "1" and all(total == pages[0][1] for _, total in pages)

    accesses = [
        e.data()["access"]
        for e in wiring.ledger().entries(MARKET, types=("access",))
        if e.data()["access"]["action"] == "download_report"
    ]
    assert [(a["user"], a["outcome"], a["target"].split()[0]) for a in accesses] == [
        ("supervisor", "allowed", "xlsx"),
        ("supervisor", "allowed", "pdf"),
    ]


def test_who_may_see_the_report(demo_cases: None, login: Login) -> None:
    market = Agency.objects.get(code=MARKET)
    only_market = User.objects.create_user(
        "market.supervisor", password="lawtrail-demo", name="市场监督员", roles=[SUPERVISOR]
    )
    only_market.supervised_agencies.set([market])
    client = login("market.supervisor")
    assert client.get("/supervision/report/", {"agency": MARKET}).status_code == 200
    refused = client.get("/supervision/report/", {"agency": POSTAL})
    assert refused.status_code == 403
    assert client.get("/supervision/report/", {"agency": POSTAL, "format": "xlsx"}).status_code == (
        403
    )
    denied = [
        e.data()["access"]
        for e in wiring.ledger().entries(POSTAL, types=("access",))
        if e.data()["access"]["outcome"] == "denied"
    ]
    assert [(a["user"], a["action"]) for a in denied] == [
        ("market.supervisor", "report"),
        ("market.supervisor", "report"),
    ]
    assert "不在您可查看的范围内" in denied[0]["reason"]

    head = login("market.head")
    own = head.get("/supervision/report/")  # the head's own agency by default
    assert own.status_code == 200
    assert "通化市市场监督管理局执法全过程记录工作评议考核报表" in own.content.decode()
    assert head.get("/supervision/report/", {"agency": POSTAL}).status_code == 403
    for username in ("market.handler", "market.officer", "admin"):
        assert login(username).get("/supervision/report/").status_code == 403
    assert login("supervisor").get("/supervision/report/", {"agency": "nowhere"}).status_code == (
        404
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"year": "20x6"}, "年度"),
        ({"month": "2026-13"}, "月份"),
        ({"from": "2026-06-01", "to": "2026-01-01"}, "截止日期早于起始日期"),
        ({"year": "2026", "month": "2026-01"}, "只选择一种期间"),
        ({"year": "2026", "format": "docx"}, "不支持的下载格式"),
        ({"year": "20x6", "format": "xlsx"}, "年度"),
    ],
)
def test_bad_periods_are_said_in_chinese(
    demo_users: Any, login: Login, params: dict[str, str], message: str
) -> None:
    response = login("supervisor").get("/supervision/report/", {"agency": MARKET, **params})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert message in response.content.decode()


def test_month_report_of_an_agency_without_cases(demo_users: Any, login: Login) -> None:
    """A report of nothing: zeros, empty tables said so, in all three forms."""
    now = timeutil.now()
    period = parse_period({"month": "2026-02"}, timeutil.local_date(now))
    report = build_report(MARKET, period, now)
    assert report.title.endswith("（2026年2月）")
    assert report.section("basic").table("cases").value("opened", "count") == 0
    assert report.section("recording").table("articles").rows == ()
    assert report.section("accountability").table("officers").total is None
    assert report.section("orders").table("orders").value("total", "issued") == 0
    _check_xlsx(report, report_export.xlsx_bytes(report))
    assert report_export.pdf_bytes(report).startswith(b"%PDF-")
    page = login("market.head").get("/supervision/report/", {"month": "2026-02"})
    assert page.status_code == 200 and "本期间没有违规项" in page.content.decode()


def test_the_report_over_the_api(demo_cases: None, login: Login) -> None:
    year = timeutil.local_date(timeutil.now()).year
    client = login("supervisor")
    got = client.get("/api/report", {"agency": MARKET, "year": str(year)})
    assert got.status_code == 200, got.content
    data = got.json()
    report = _report(MARKET, year)
    assert data["title"] == report.title
    assert data["period"] == {
        "label": f"{year}年",
        "start": f"{year}-01-01",
        "end": f"{year}-12-31",
    }
    expected = report.as_json()
    for ours, theirs in zip(expected["sections"], data["sections"], strict=True):
        assert ours["heading"] == theirs["heading"]
        for t_ours, t_theirs in zip(ours["tables"], theirs["tables"], strict=True):
            assert t_ours["columns"] == t_theirs["columns"]
            if t_ours["key"] != "log":  # the checkpoint moves on with the accesses of the test
                assert t_ours["rows"] == t_theirs["rows"], t_ours["key"]
    span = client.get(
        "/api/report", {"agency": MARKET, "from": f"{year}-03-01", "to": f"{year}-03-31"}
    )
    assert span.status_code == 200 and span.json()["period"]["start"] == f"{year}-03-01"
    bad = client.get("/api/report", {"agency": MARKET, "month": "2026-13"})
    assert bad.status_code == 400 and "月份" in bad.json()["detail"]
    assert login("market.handler").get("/api/report").status_code == 403
    refused = login("market.head").get("/api/report", {"agency": POSTAL})
    assert refused.status_code == 403 and "不在您可查看的范围内" in refused.json()["detail"]
    denied = [
        e.data()["access"]
        for e in wiring.ledger().entries(POSTAL, types=("access",))
        if e.data()["access"]["outcome"] == "denied"
    ]
    assert [(a["user"], a["action"], a["channel"]) for a in denied] == [
        ("market.head", "report", "api")
    ]


def test_the_review_section_counts_the_current_sheets_of_the_period(demo_cases: None) -> None:
    """案卷评查 in the report: the samplings of the period and each case's current sheet (a
    re-score replaces the earlier one), against the sheets read straight from the supervising
    body's own log — and the same cells in the XLSX."""
    supervisor = User.objects.get(username="supervisor")
    closed = CaseIndex.objects.filter(agency_id=MARKET, closed_at__isnull=False)
    year = timeutil.local(max(c.closed_at for c in closed)).year
    period = reviews.period_of(date(year, 1, 1), date(year, 12, 31))
    sampling = reviews.do_sample(supervisor, MARKET, period, 100)
    assert len(sampling.selected) >= 2
    sheet = review.load_sheet(MARKET)
    full = {i.id: review.ManualScore(i.points) for i in sheet.manual_items}
    item = sheet.manual_items[0]
    lower = {**full, item.id: review.ManualScore(item.points - 1, "文书用语不够规范")}
    first = reviews.do_review(supervisor, sampling, sampling.selected[0], full)
    reviews.do_review(supervisor, sampling, sampling.selected[1], full)
    reviews.do_review(supervisor, sampling, sampling.selected[0], lower, supersedes=first.id)

    # independently: the hashed bodies of the supervisor's log
    entries = wiring.ledger().entries(reviews.log_name(), types=("review",))
    bodies = [e.data()["review"] for e in entries]
    sheets = [b for b in bodies if b["act"] == "sheet"]
    replaced = {b["supersedes"] for b in sheets if b.get("supersedes")}
    current = {b["case_number"]: b for b in sheets if b["sheet"] not in replaced}
    assert len(current) == 2 and first.id in replaced

    report = build_report(MARKET, period, timeutil.now())
    section = report.section("review")
    summary = section.table("summary")
    totals = [b["total"] for b in current.values()]
    assert summary.value("reviewed", "value") == len(current)
    assert summary.value("average", "value") == round(sum(totals) / len(totals), 1)
    for grade in reviews.GRADE_ORDER:
        expected = sum(1 for b in current.values() if b["grade"] == grade)
        assert summary.value(f"grade_{grade}", "value") == expected
    assert summary.value("rank", "value") == "第 1 名（共 1 个机关）"
    results = section.table("sheets")
    assert {r.cells[0]: (r.cells[1], r.cells[2]) for r in results.rows} == {
        number: (b["total"], b["grade"]) for number, b in current.items()
    }
    [sampled] = section.table("samplings").rows
    [drawn] = [b for b in bodies if b["act"] == "sampling"]
    assert sampled.cells[2] == len(drawn["population"]["cases"])
    assert sampled.cells[4] == len(drawn["selected"]) and sampled.cells[5] == 2

    book = load_workbook(BytesIO(report_export.xlsx_bytes(report)))
    [ws] = [ws for ws in book.worksheets if "案卷评查" in ws.title]
    texts = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    for number, b in current.items():
        assert number in texts and b["grade"] in texts
