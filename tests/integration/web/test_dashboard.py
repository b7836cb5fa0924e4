"""The supervision dashboard (issue #14 item 1): its figures on a generated data set against the
same figures computed independently from the case files — the core engine's evaluation of each
case as ``services.load_case`` reads it from the ledger, counted here in plain Python, not by
the dashboard's queries — the drill-down lists, who may see it, period validation, and
``lawtrail verify`` catching an edited aggregate."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client

from lawtrail import services, web_cli
from lawtrail.core import accountability, timeutil
from lawtrail.core.caseio import parse_case
from lawtrail.core.engine import evaluate
from lawtrail.core.rules import AvCheck, FollowedByCheck, MediaIngestCheck
from lawtrail.ledger.verify import Report, verify
from lawtrail.web import actions, dashboard, inbox, wiring
from lawtrail.web.models import CaseIndex, User

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).parents[3] / "examples"
AGENCIES = ("tonghua-market", "tonghua-postal")
HANDLERS = {"tonghua-market": "market.handler", "tonghua-postal": "postal.handler"}
VARIANTS = 6  # per example file: 5 files x 6 = 30 cases across two agencies
_DATE = re.compile(r"(?<!\d)(20\d\d-\d\d-\d\d)(?!\d)")

Login = Callable[[str], Client]


def _shifted(text: str, days: int) -> str:
    return _DATE.sub(
        lambda m: (date.fromisoformat(m.group(1)) - timedelta(days=days)).isoformat(), text
    )


def _generate() -> list[tuple[str, str]]:
    """Variants of the example cases, imported through the services as the demo does: dates
    moved back by k months (so the cases spread over months), and of every three one whole,
    one without its archive record (closed, not archived) and one cut after half its records
    (still open). Handlers alternate between the agency's handler and officer."""
    ledger = wiring.ledger()
    made = []
    for agency in AGENCIES:
        for path in sorted((EXAMPLES / agency).glob("*.json")):
            for k in range(VARIANTS):
                raw = json.loads(_shifted(path.read_text(encoding="utf-8"), 31 * k))
                raw["case_number"] = f"{raw['case_number']}-g{k}"
                if k % 3 == 1:
                    raw["records"] = [r for r in raw["records"] if r["kind"] != "case_file"]
                elif k % 3 == 2:
                    raw["records"] = raw["records"][: max(1, len(raw["records"]) // 2)]
                case = parse_case(raw)
                who = (
                    HANDLERS[agency]
                    if k % 2 == 0
                    else HANDLERS[agency].replace("handler", "officer")
                )
                with transaction.atomic():
                    services.do_import_case(ledger, case)
                    actions.project(
                        agency, case.case_number, handler=User.objects.get(username=who)
                    )
                made.append((agency, case.case_number))
    return made


def _expected(made: list[tuple[str, str]], year: int) -> dict[str, Any]:
    """The figures from the case files: each case loaded from the ledger and evaluated by the
    core engine, counted in plain Python."""
    ledger = wiring.ledger()
    now = timeutil.now()
    since = date(year, 1, 1)

    def in_year(t: Any) -> bool:
        return t is not None and timeutil.local_date(t).year == year

    out: dict[str, Any] = {
        "opened": Counter(),
        "closed": Counter(),
        "archived": Counter(),
        "violations": Counter(),
        "av_late": Counter(),
        "archive_overdue": Counter(),
        "approvals": Counter(),
        "av_missing": Counter(),
        "lag": defaultdict(list),
        "articles": Counter(),
        "article_cases": defaultdict(set),
        "month_cases": Counter(),
        "month_violations": Counter(),
        "officer_cases": Counter(),
        "officer_categories": defaultdict(Counter),
    }
    for agency, number in made:
        case = services.load_case(ledger, agency, number)
        ev = evaluate(case, at=now)
        rules = {r.id: r for r in ev.pack.rules}
        records = case.effective_records()
        closures = sorted(r.at for r in records if r.kind == "closure")
        archives = sorted(r.at for r in records if r.kind == "case_file")
        if closures and in_year(closures[0]):
            out["closed"][agency] += 1
        if archives and in_year(archives[0]):
            out["archived"][agency] += 1
            if closures:
                out["lag"][agency].append((archives[0] - closures[0]).total_seconds() / 86400)
        if not in_year(case.opened_at):
            continue
        assert timeutil.local_date(case.opened_at) >= since
        handler = CaseIndex.objects.get(agency_id=agency, case_number=number).handler
        assert handler is not None
        month = timeutil.local(case.opened_at).strftime("%Y-%m")
        out["opened"][agency] += 1
        out["month_cases"][month] += 1
        out["officer_cases"][handler.username] += 1
        if ev.violations:
            out["violations"][agency] += 1
        for f in ev.violations:
            out["articles"][(f.regulation, f.article)] += 1
            out["article_cases"][(f.regulation, f.article)].add(number)
            out["month_violations"][month] += 1
            category = accountability.rule_category(rules[f.rule])
            out["officer_categories"][handler.username][category] += 1
        if any(isinstance(rules[f.rule].check, MediaIngestCheck) for f in ev.findings):
            out["av_late"][agency] += 1
        archive_found = any(
            isinstance(rules[f.rule].check, FollowedByCheck)
            and "case_file" in rules[f.rule].check.kinds
            for f in ev.findings
        )
        archive_missed = not archives and any(
            r.due is not None and r.due < now and "case_file" in r.kinds for r in ev.required
        )
        if archive_found or archive_missed:
            out["archive_overdue"][agency] += 1
        if any(t.step for t in inbox.pending_tasks(case, ev)):
            out["approvals"][agency] += 1
        out["av_missing"][agency] += len(
            {(f.rule, f.record) for f in ev.findings if isinstance(rules[f.rule].check, AvCheck)}
        )
    return out


def _count_listed(client: Client, url: str) -> int:
    html = client.get(url).content.decode()
    m = re.search(r"共 (\d+) 件", html)
    assert m, url
    return int(m.group(1))


def test_figures_match_the_case_files(demo_users: Any, login: Login) -> None:
    made = _generate()
    assert len(made) == 30
    year = timeutil.local_date(timeutil.now()).year
    expected = _expected(made, year)
    supervisor = User.objects.get(username="supervisor")
    agencies = {k: v for k, v in dashboard.dashboard_agencies(supervisor).items() if k in AGENCIES}
    period = dashboard.parse_period({"year": str(year)}, timeutil.local_date(timeutil.now()))
    data = dashboard.figures(agencies, period, timeutil.now())

    # The data set spreads over this year's months, and some cases fall before the period.
    assert 10 < sum(expected["opened"].values()) < len(made)
    assert len(expected["month_cases"]) >= 4
    assert sum(expected["violations"].values()) > 0 and expected["articles"]
    assert sum(expected["closed"].values()) > sum(expected["archived"].values()) > 0
    rows = {a["code"]: a for a in data["agencies"]}
    for agency in AGENCIES:
        row = rows[agency]
        for key in ("opened", "closed", "archived", "violations", "av_late", "archive_overdue"):
            assert row[key][0] == expected[key][agency], (agency, key)
        assert row["approvals"][0] == expected["approvals"][agency]
        assert row["av_required"] - row["av_covered"] == expected["av_missing"][agency]
        lag = expected["lag"][agency]
        assert row["archive_days"] == (round(sum(lag) / len(lag), 1) if lag else None)

    top = sorted(expected["articles"].items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][1]))
    assert [(a["regulation"], a["article"], a["findings"]) for a in data["articles"]] == [
        (reg, art, n) for (reg, art), n in top[: dashboard.TOP_ARTICLES]
    ]
    for a in data["articles"]:
        assert a["cases"] == len(expected["article_cases"][(a["regulation"], a["article"])])

    assert {m["month"]: m["cases"] for m in data["months"]} == dict(expected["month_cases"])
    assert {m["month"]: m["violations"] for m in data["months"] if m["violations"]} == dict(
        expected["month_violations"]
    )
    codes = list(accountability.category_labels())
    officers = {o["username"]: o for o in data["officers"]}
    assert {u: o["cases"][0] for u, o in officers.items()} == dict(expected["officer_cases"])
    for username, o in officers.items():
        assert {c: n for c, (n, _) in zip(codes, o["categories"], strict=True) if n} == dict(
            expected["officer_categories"][username]
        )

    # Every figure's drill-down lists as many cases as the figure counts.
    client = login("supervisor")
    for agency in AGENCIES:
        row = rows[agency]
        for key in ("opened", "closed", "archived", "violations", "av_late", "archive_overdue"):
            assert _count_listed(client, row[key][1]) == row[key][0], (agency, key)
    for a in data["articles"][:3]:
        assert _count_listed(client, a["url"]) == a["cases"]
    for m in data["months"]:
        assert _count_listed(client, m["url"]) >= m["cases"]  # all the supervisor's agencies
    for o in data["officers"]:
        if o["cases"][1]:
            assert _count_listed(client, o["cases"][1]) == o["cases"][0]

    # The page: tables with the numbers, the chart data, the vendored chart library.
    page = client.get("/supervision/dashboard/", {"year": str(year)})
    assert page.status_code == 200
    html = page.content.decode()
    assert "vendor/echarts/echarts.min.js" in html and 'id="dashboard-data"' in html
    assert "不制作或不按要求制作" in html and "<script>" not in html


def test_verify_checks_the_aggregates(demo_cases: None) -> None:
    def check() -> Report:
        return verify(wiring.ledger(), wiring.keys(), projections=web_cli.projection_checks())

    assert [p for p in check().problems if "case_" in p.code] == []
    index = CaseIndex.objects.get(case_number="通市监罚〔2026〕27号")
    assert index.findings.filter(severity="violation").exists()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE lawtrail_casefinding SET article = 99 WHERE id = %s",
            (index.findings.first().pk,),  # type: ignore[union-attr]
        )
        cursor.execute(
            "UPDATE lawtrail_caseindex SET av_required = av_required + 7 WHERE id = %s", (index.pk,)
        )
    columns = {p.column for p in check().problems if p.code == "case_index_mismatch"}
    assert {"findings", "av_required"} <= columns
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO lawtrail_casefinding (case_id, agency_id, rule, regulation, article,"
            " category, severity) VALUES (999999, 'tonghua-market', 'x', 'y', 1, 'other',"
            " 'violation')"
        )
    assert any(p.code == "case_finding_orphan" for p in check().problems)


def test_who_sees_the_dashboard(demo_cases: None, login: Login) -> None:
    assert login("supervisor").get("/supervision/dashboard/").status_code == 200
    head = login("market.head").get("/supervision/dashboard/", {"year": "2026"})
    assert head.status_code == 200
    html = head.content.decode()
    assert "通化市市场监督管理局" in html and "通化市邮政管理局" not in html
    assert (
        login("market.head")
        .get("/supervision/dashboard/", {"agency": "tonghua-postal"})
        .status_code
        == 200
    )  # refused in the page: not theirs
    assert (
        "不在您可查看的范围内"
        in login("market.head")
        .get("/supervision/dashboard/", {"agency": "tonghua-postal"})
        .content.decode()
    )
    for username in ("market.handler", "market.officer", "admin"):
        assert login(username).get("/supervision/dashboard/").status_code == 403


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"year": "20x6"}, "年度"),
        ({"year": "1900"}, "年度"),
        ({"month": "2026-13"}, "月份"),
        ({"from": "2026-02-30"}, "起止日期无效"),
        ({"from": "2026-06-01", "to": "2026-01-01"}, "截止日期早于起始日期"),
        ({"year": "2026", "month": "2026-01"}, "只选择一种期间"),
        ({"from": "0001-01-01"}, "2000"),
    ],
)
def test_bad_periods_are_said_in_chinese(
    demo_users: Any, login: Login, params: dict[str, str], message: str
) -> None:
    response = login("supervisor").get("/supervision/dashboard/", params)
    assert response.status_code == 200
    assert message in response.content.decode()
    listed = login("supervisor").get("/cases/", {"d": "1", **params})
    assert listed.status_code == 200 and "筛选无效" in listed.content.decode()


def test_month_and_range_periods() -> None:
    today = date(2026, 12, 2)
    assert dashboard.parse_period({}, today).label == "2026年"
    june = dashboard.parse_period({"month": "2026-06"}, today)
    assert (june.start, june.end) == (date(2026, 6, 1), date(2026, 6, 30))
    span = dashboard.parse_period({"from": "2026-03-01"}, today)
    assert (span.start, span.end) == (date(2026, 3, 1), today)
    assert span.since.utcoffset() == timedelta(hours=8)


def test_every_chart_point_drills_down_to_the_cases_of_its_table_cell(
    demo_cases: None, login: Login
) -> None:
    """A click on a bar or a point opens the URL of the number it draws (dashboard.js): every
    URL in the charts' data is a link of the tables, and answers with the case list."""
    client = login("supervisor")
    year = str(CaseIndex.objects.order_by("-opened_at").values_list("opened_at", flat=True)[0].year)
    html = client.get("/supervision/dashboard/", {"year": year}).content.decode()
    found = re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', html)
    assert found
    chart = json.loads(found[1])
    urls = [
        *(u for on in ("opened", "closed", "archived") for u in chart["agencies"]["urls"][on]),
        *chart["articles"]["urls"],
        *chart["months"]["urls"]["cases"],
        *chart["months"]["urls"]["violations"],
    ]
    assert len(chart["agencies"]["urls"]["opened"]) == len(chart["agencies"]["names"]) == 5
    assert chart["articles"]["urls"] and chart["months"]["urls"]["cases"]
    for url in urls:
        assert f'href="{url.replace("&", "&amp;")}"' in html, url
    opened = chart["agencies"]["urls"]["opened"][
        chart["agencies"]["names"].index("通化市市场监督管理局")
    ]
    listed = client.get(opened)
    assert listed.status_code == 200
    market = CaseIndex.objects.filter(agency_id="tonghua-market", opened_at__year=int(year))
    assert market.exists()
    for case in market:
        assert case.case_number in listed.content.decode()
