"""The supervision dashboard (监督看板) and the 评议考核 report (issue #14) at 10,000 and 100,000
cases.

Making 100,000 cases through the services (ledger entries, signed checkpoints, the rule engine
per write) would take hours, and neither the dashboard nor the report reads the ledger: they
read the dashboard's aggregates (:mod:`lawtrail.web.aggregates`: sums per agency, month and
officer) and, for the days of a partial month and the archive deadlines falling in the current
month, the case index and case findings that ``actions.project`` maintains with each write; and
the order index. So the benchmark generates the rows directly, in bulk (``bulk_create``), and
builds the aggregates from them as ``lawtrail manage reindex`` does:
five agencies, cases opened over two years, three of four closed, two of three of those
archived, a third with violations (one to three findings over a dozen articles and the five
accountability categories), AV coverage and overdue facts, handlers among the demo users, one
责令整改 order per hundred cases (a third answered). They are not checked against a ledger
(there is none behind them); the integration tests (tests/integration/web/test_dashboard.py,
test_report.py) check the figures against real cases.

Measured in-process on SQLite (the embedded default), period: the current year, no witness
service configured. Dashboard: :func:`lawtrail.web.dashboard.figures` (all queries) and the whole
page (``GET /supervision/dashboard/`` through Django's test client: middleware, session,
template, the ledger's checkpoints) for the supervisor of all five agencies. Report (one agency,
a fifth of the cases): :func:`lawtrail.web.report.build_report` (all queries), the whole page
(``GET /supervision/report/?agency=…``), and the downloads built from the report: the XLSX
(build + openpyxl) and the PDF (build + WeasyPrint).
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

SIZES = (10_000, 100_000)
ROUNDS = 7
CATEGORIES = ("making", "making", "making", "storage", "other")


def _setup(data_dir: Path) -> None:
    os.environ["LAWTRAIL_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("LAWTRAIL_SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghij")
    os.environ["DJANGO_SETTINGS_MODULE"] = "lawtrail.web.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from lawtrail.web import demo

    demo.seed(None)


def _generate(n: int, now: datetime) -> None:
    from django.db import transaction

    from lawtrail.core import timeutil
    from lawtrail.web import aggregates, wiring
    from lawtrail.web.models import Agency, CaseFinding, CaseIndex, RectificationOrder, User

    rng = random.Random(n)
    agencies = list(Agency.objects.values_list("code", "regulation"))
    handlers: dict[str, list[User]] = {}
    for user in User.objects.exclude(agency=None):
        handlers.setdefault(str(user.agency_id), []).append(user)
    CaseFinding.objects.all().delete()
    CaseIndex.objects.all().delete()
    RectificationOrder.objects.all().delete()
    rows = []
    for i in range(n):
        code, _ = agencies[i % len(agencies)]
        opened = now - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        closed_at = opened + timedelta(days=rng.randrange(1, 90)) if rng.random() < 0.75 else None
        archived_at = None
        if closed_at and rng.random() < 0.67:
            archived_at = closed_at + timedelta(days=rng.randrange(1, 45))
        closed_at = closed_at if closed_at is None or closed_at < now else None
        archived_at = archived_at if archived_at is None or archived_at < now else None
        required = rng.randrange(0, 4)
        rows.append(
            CaseIndex(
                agency_id=code,
                case_number=f"BENCH〔{opened.year}〕{i}号",
                title="基准测试案件",
                origin="inspection",
                procedure="general",
                acts=["penalty"],
                opened_at=opened,
                opened_month=timeutil.local(opened).strftime("%Y-%m"),
                handler=rng.choice(handlers[code]),
                stage="closure" if closed_at else "investigation",
                records=rng.randrange(3, 30),
                violations=0,
                closed=closed_at is not None,
                archived=archived_at is not None,
                next_due=None if archived_at else opened + timedelta(days=60),
                closed_at=closed_at,
                archived_at=archived_at,
                archive_lag=(
                    int((archived_at - closed_at).total_seconds())
                    if archived_at and closed_at
                    else None
                ),
                av_required=required,
                av_covered=required - (1 if required and rng.random() < 0.1 else 0),
                av_late=1 if rng.random() < 0.05 else 0,
                archive_due=closed_at + timedelta(days=30) if closed_at else None,
                archive_late=bool(
                    archived_at and closed_at and archived_at - closed_at > timedelta(days=30)
                ),
                approvals_pending=1 if not closed_at and rng.random() < 0.2 else 0,
                updated_at=now,
            )
        )
    findings_per_case = [rng.randrange(1, 4) if rng.random() < 0.33 else 0 for _ in range(n)]
    for row, k in zip(rows, findings_per_case, strict=True):
        row.violations = k
    CaseIndex.objects.bulk_create(rows, batch_size=5000)
    ids = dict(CaseIndex.objects.values_list("case_number", "id"))
    regulations = dict(agencies)
    findings = []
    for row, k in zip(rows, findings_per_case, strict=True):
        for _ in range(k):
            article = rng.choice((7, 9, 11, 12, 15, 18, 21, 24, 27, 30, 33, 34))
            findings.append(
                CaseFinding(
                    case_id=ids[row.case_number],
                    agency_id=row.agency_id,
                    rule=f"bench.rule.{article}",
                    regulation=regulations[row.agency_id],
                    article=article,
                    category=rng.choice(CATEGORIES),
                    severity="violation",
                )
            )
    CaseFinding.objects.bulk_create(findings, batch_size=5000)
    # The dashboard's aggregates of these rows, built as ``lawtrail manage reindex`` builds
    # them (the web writes keep them by difference, row by row).
    with transaction.atomic():
        aggregates.rebuild(wiring.ledger().db)
    categories = ("not_made", "not_made", "storage", "other")
    orders = []
    for i, row in enumerate(rows[::100]):
        issued = row.opened_at + timedelta(days=rng.randrange(1, 60))
        answered = issued + timedelta(days=rng.randrange(1, 20)) if i % 3 == 0 else None
        orders.append(
            RectificationOrder(
                agency_id=row.agency_id,
                order_id=f"ZG{i:08d}-bench",
                case_number=row.case_number,
                category=categories[i % len(categories)],
                due=timeutil.local_date(issued) + timedelta(days=15),
                issued_by="supervisor",
                issued_at=issued,
                answered_by="bench" if answered else "",
                answered_at=answered,
                order_seq=i + 1,
            )
        )
    RectificationOrder.objects.bulk_create(orders, batch_size=5000)


def _time(fn: Any, rounds: int) -> dict[str, float]:
    fn()  # warm-up
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return {"median": statistics.median(samples), "max": max(samples)}


def run(quick: bool) -> dict[str, Any]:
    rounds = 3 if quick else ROUNDS
    sizes = SIZES[:1] if quick else SIZES
    with tempfile.TemporaryDirectory(prefix="lawtrail-bench-dash-") as tmp:
        _setup(Path(tmp))
        from django.test import Client

        from lawtrail.core import timeutil
        from lawtrail.web import dashboard, report_export
        from lawtrail.web.models import CaseFinding, CaseIndex, RectificationOrder, User
        from lawtrail.web.report import build_report

        supervisor = User.objects.get(username="supervisor")
        client = Client(HTTP_HOST="localhost")
        client.force_login(supervisor)
        out: dict[str, Any] = {"rounds": rounds, "sizes": {}}
        for n in sizes:
            now = timeutil.now()
            start = time.perf_counter()
            _generate(n, now)
            generated = time.perf_counter() - start
            agencies = dashboard.dashboard_agencies(supervisor)
            period = dashboard.parse_period({}, timeutil.local_date(now))

            def figures(agencies: dict[str, str] = agencies, period: Any = period) -> None:
                dashboard.figures(agencies, period, timeutil.now())

            def page() -> None:
                response = client.get("/supervision/dashboard/")
                assert response.status_code == 200, response.status_code

            code = next(iter(agencies))

            def report(code: str = code, period: Any = period) -> None:
                build_report(code, period, timeutil.now())

            def report_page(code: str = code) -> None:
                response = client.get("/supervision/report/", {"agency": code})
                assert response.status_code == 200, response.status_code

            def xlsx(code: str = code, period: Any = period) -> None:
                report_export.xlsx_bytes(build_report(code, period, timeutil.now()))

            def pdf(code: str = code, period: Any = period) -> None:
                report_export.pdf_bytes(build_report(code, period, timeutil.now()))

            out["sizes"][n] = {
                "findings": CaseFinding.objects.count(),
                "orders": RectificationOrder.objects.count(),
                "agency_cases": CaseIndex.objects.filter(agency_id=code).count(),
                "generate_s": generated,
                "figures": _time(figures, rounds),
                "page": _time(page, rounds),
                "report": _time(report, rounds),
                "report_page": _time(report_page, rounds),
                "xlsx": _time(xlsx, rounds),
                "pdf": _time(pdf, rounds),
            }
            print(n, out["sizes"][n], flush=True)
    return out


def markdown(r: dict[str, Any]) -> str:
    sizes = r["sizes"]

    def ms(s: dict[str, Any], key: str, bold: bool = False) -> str:
        median = f"{s[key]['median']:,.0f}"
        return f"{f'**{median}**' if bold else median} / {s[key]['max']:,.0f}"

    lines = [
        "In-process on SQLite, period: the current year; median and max of "
        f"{r['rounds']} runs after a warm-up. The index, finding and order rows were **generated "
        "directly in bulk** (not through the services: 100,000 cases through the ledger would "
        "take hours, and the dashboard and the report read only these rows), their dashboard "
        "aggregates built from them as `reindex` builds them — see benchmarks/bench_dashboard.py; "
        "the integration tests check the figures on real cases.",
        "",
        "Dashboard: the supervisor of all five agencies.",
        "",
        "| cases | finding rows | figures (all queries) median / max ms | "
        "whole page median / max ms | rows generated in s |",
        "|---|---|---|---|---|",
    ]
    for n, s in sizes.items():
        lines.append(
            f"| {int(n):,} | {s['findings']:,} | {ms(s, 'figures')} | {ms(s, 'page', True)} | "
            f"{s['generate_s']:,.0f} |"
        )
    lines += [
        "",
        "评议考核 report: one agency (a fifth of the cases), all its sections; the XLSX and the "
        "PDF include building the report.",
        "",
        "| cases (of the agency) | orders | report (all queries) median / max ms | "
        "whole page (HTML) median / max ms | XLSX median / max ms | PDF median / max ms |",
        "|---|---|---|---|---|---|",
    ]
    for n, s in sizes.items():
        lines.append(
            f"| {int(n):,} ({s['agency_cases']:,}) | {s['orders']:,} | {ms(s, 'report')} | "
            f"{ms(s, 'report_page', True)} | {ms(s, 'xlsx', True)} | {ms(s, 'pdf')} |"
        )
    keys = list(sizes)
    if len(keys) >= 2:
        small, large = sizes[keys[0]], sizes[keys[-1]]

        def ratio(key: str) -> str:
            return f"{large[key]['median'] / small[key]['median']:.1f}×"

        lines += [
            "",
            f"Ratio {int(keys[-1]):,} / {int(keys[0]):,} cases: dashboard figures "
            f"{ratio('figures')}, dashboard page {ratio('page')}; report {ratio('report')}, "
            f"report page {ratio('report_page')}, XLSX {ratio('xlsx')}, PDF {ratio('pdf')} "
            "(the figures of the year's whole months are sums of the maintained aggregates, rows "
            "per agency, month and officer, plus the index rows of the archive deadlines falling "
            "in the current month; the report adds its order and review queries; the XLSX and "
            "the PDF add a cost that does not grow with the cases — the report has as many rows "
            "at 100,000 cases as at 10,000).",
        ]
    return "\n".join(lines)
