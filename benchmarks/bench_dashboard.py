"""The supervision dashboard (监督看板, issue #14) at 10,000 and 100,000 cases.

Making 100,000 cases through the services (ledger entries, signed checkpoints, the rule engine
per write) would take hours, and the dashboard never reads the ledger: it reads the case index
and the case findings that ``actions.project`` maintains with each write. So the benchmark
generates those rows directly, in bulk (``bulk_create``): five agencies, cases opened over two
years, three of four closed, two of three of those archived, a third with violations (one to
three findings over a dozen articles and the five accountability categories), AV coverage and
overdue facts, handlers among the demo users. They are not checked against a ledger (there is
none behind them); the integration test (tests/integration/web/test_dashboard.py) checks the
figures against real cases.

Measured in-process on SQLite (the embedded default): :func:`lawtrail.web.dashboard.figures`
(all queries) and the whole page (``GET /supervision/dashboard/`` through Django's test client:
middleware, session, template, the ledger's checkpoints; no witness service configured), for the
supervisor of all five agencies, period: the current year.
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
    from lawtrail.core import timeutil
    from lawtrail.web.models import Agency, CaseFinding, CaseIndex, User

    rng = random.Random(n)
    agencies = list(Agency.objects.values_list("code", "regulation"))
    handlers: dict[str, list[User]] = {}
    for user in User.objects.exclude(agency=None):
        handlers.setdefault(str(user.agency_id), []).append(user)
    CaseFinding.objects.all().delete()
    CaseIndex.objects.all().delete()
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
        from lawtrail.web import dashboard
        from lawtrail.web.models import CaseFinding, User

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

            out["sizes"][n] = {
                "findings": CaseFinding.objects.count(),
                "generate_s": generated,
                "figures": _time(figures, rounds),
                "page": _time(page, rounds),
            }
            print(n, out["sizes"][n], flush=True)
    return out


def markdown(r: dict[str, Any]) -> str:
    sizes = r["sizes"]
    lines = [
        "In-process on SQLite, supervisor of all five agencies, period: the current year; "
        f"median and max of {r['rounds']} runs after a warm-up. The index and finding rows "
        "were **generated directly in bulk** (not through the services: 100,000 cases through "
        "the ledger would take hours, and the dashboard reads only these rows) — see "
        "benchmarks/bench_dashboard.py; the integration test checks the figures on real cases.",
        "",
        "| cases | finding rows | figures (all queries) median / max ms | "
        "whole page median / max ms | rows generated in s |",
        "|---|---|---|---|---|",
    ]
    for n, s in sizes.items():
        lines.append(
            f"| {int(n):,} | {s['findings']:,} | {s['figures']['median']:,.0f} / "
            f"{s['figures']['max']:,.0f} | **{s['page']['median']:,.0f}** / "
            f"{s['page']['max']:,.0f} | {s['generate_s']:,.0f} |"
        )
    keys = list(sizes)
    if len(keys) >= 2:
        small, large = sizes[keys[0]], sizes[keys[-1]]
        lines += [
            "",
            f"Ratio {int(keys[-1]):,} / {int(keys[0]):,} cases: figures "
            f"{large['figures']['median'] / small['figures']['median']:.1f}×, page "
            f"{large['page']['median'] / small['page']['median']:.1f}× (the queries scan the "
            "period's index rows: linear in the cases of the period).",
        ]
    return "\n".join(lines)
