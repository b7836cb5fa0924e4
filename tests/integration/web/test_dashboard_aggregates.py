"""The dashboard's maintained aggregates (issue #18, lawtrail.web.aggregates): the figures read
from them are exactly the figures counted from the index rows, for random data rewritten many
times and random periods (months, years, from/to with partial months, moments before, inside
and after the archive deadlines); concurrent writers of the same month and officer lose no
update; the actions keep them (the projector thread: test_flat_costs.py);
``lawtrail verify`` reports an edited aggregate and ``reindex`` rebuilds it."""

from __future__ import annotations

import io
import random
import threading
import time
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction

from lawtrail import web_cli
from lawtrail.core import timeutil
from lawtrail.core.accountability import category_labels
from lawtrail.core.rules import Severity
from lawtrail.ledger.verify import Report, verify
from lawtrail.web import actions, aggregates, dashboard, wiring
from lawtrail.web.models import Agency, ArchiveDueAggregate, CaseIndex, OpenedAggregate, User

SHANGHAI = timeutil.SHANGHAI
NOW = datetime(2026, 6, 14, 15, 30, tzinfo=SHANGHAI)
ARTICLES = (9, 12, 21, 24, 31)


def check(**scope: Any) -> Report:
    return verify(wiring.ledger(), wiring.keys(), projections=web_cli.projection_checks(), **scope)


def aggregate_problems(**scope: Any) -> list[tuple[str, str]]:
    return [(p.code, p.column) for p in check(**scope).problems if p.code.startswith("dashboard_")]


def _moment(rng: random.Random) -> datetime:
    """A moment within 15 months before NOW, often at a month's edge in Beijing time (midnight
    of the 1st, the last second before it) where a UTC month and a Beijing month differ."""
    day = NOW - timedelta(days=rng.randrange(0, 450))
    if rng.random() < 0.25:
        first = datetime(day.year, day.month, 1, tzinfo=SHANGHAI)
        return first - timedelta(seconds=1) if rng.random() < 0.5 else first
    return day.replace(hour=rng.randrange(24), minute=rng.randrange(60), second=0)


def _random_row(
    rng: random.Random, agency: str, regulation: str, handlers: list[User | None]
) -> tuple[dict[str, Any], list[tuple[str, str, int, str, str]]]:
    """An index row and its findings as ``actions.project`` writes them (the dashboard's
    columns; no ledger behind them: the figures read only the rows)."""
    opened = _moment(rng)
    closed_at = opened + timedelta(days=rng.randrange(1, 90)) if rng.random() < 0.7 else None
    archived_at = None
    if closed_at and rng.random() < 0.6:
        archived_at = closed_at + timedelta(days=rng.randrange(0, 50), hours=rng.randrange(24))
    if rng.random() < 0.05 and archived_at:
        closed_at = None  # archived without a closure: no lag
    archive_due = None
    if closed_at:
        archive_due = closed_at + timedelta(days=30)
    elif rng.random() < 0.3:
        # due around NOW: before it, later today, later this month, next month
        archive_due = NOW + timedelta(hours=rng.randrange(-24 * 40, 24 * 40))
    required = rng.randrange(0, 4)
    k = rng.randrange(1, 5) if rng.random() < 0.4 else 0
    categories = list(category_labels())
    findings = sorted(
        (
            f"rule.{article}.{i}",
            regulation,
            article,
            rng.choice(categories),
            str(Severity.VIOLATION if i < k else Severity.WARNING),
        )
        for i in range(k + rng.randrange(0, 2))
        for article in (rng.choice(ARTICLES),)
    )
    values = {
        "title": "聚合测试案件",
        "origin": "inspection",
        "procedure": "general",
        "acts": ["penalty"],
        "major": False,
        "opened_at": opened,
        "opened_month": timeutil.local(opened).strftime("%Y-%m"),
        "handler": rng.choice(handlers),
        "stage": "",
        "records": rng.randrange(1, 30),
        "violations": k,
        "warnings": 0,
        "closed": closed_at is not None,
        "archived": archived_at is not None,
        "next_due": None,
        "pending": [],
        "closed_at": closed_at,
        "archived_at": archived_at,
        "archive_lag": (
            int((archived_at - closed_at).total_seconds()) if archived_at and closed_at else None
        ),
        "av_required": required,
        "av_covered": required - (1 if required and rng.random() < 0.3 else 0),
        "av_late": 1 if rng.random() < 0.1 else 0,
        "archive_due": archive_due,
        "archive_late": bool(archived_at and archive_due and archived_at > archive_due),
        "approvals_pending": 1 if not closed_at and rng.random() < 0.3 else 0,
        "updated_at": NOW,
    }
    return values, findings


def _populate(rng: random.Random, n: int, rewrites: int) -> list[tuple[str, str]]:
    """``n`` cases written through ``actions.write_index_row``, then ``rewrites`` of them
    rewritten with other values (another month, handler, findings …), as later writes do."""
    agencies = list(Agency.objects.values_list("code", "regulation"))
    users = list(User.objects.exclude(agency=None))
    handlers: list[User | None] = [*users, None]  # another agency's officer too, and nobody
    made = []
    for i in range(n):
        code, regulation = agencies[i % len(agencies)]
        number = f"AGG〔2026〕{i}号"
        with transaction.atomic():
            actions.write_index_row(code, number, *_random_row(rng, code, regulation, handlers))
        made.append((code, number))
    for _ in range(rewrites):
        code, number = rng.choice(made)
        regulation = dict(agencies)[code]
        with transaction.atomic():
            actions.write_index_row(code, number, *_random_row(rng, code, regulation, handlers))
    return made


def _random_period(rng: random.Random) -> dashboard.Period:
    kind = rng.choice(("month", "year", "range", "range", "range"))
    if kind == "month":
        day = NOW - timedelta(days=rng.randrange(-40, 480))
        return dashboard.parse_period({"month": day.strftime("%Y-%m")}, NOW.date())
    if kind == "year":
        return dashboard.parse_period({"year": str(rng.choice((2025, 2026)))}, NOW.date())
    start = NOW.date() - timedelta(days=rng.randrange(0, 480))
    if rng.random() < 0.3:
        start = start.replace(day=1)
    end = start + timedelta(days=rng.choice((0, 1, 15, 29, 31, 45, 70, 200, 400)))
    if rng.random() < 0.3:
        end = dashboard._next_month(end) - timedelta(days=1)  # a month's last day
    return dashboard.parse_period({"from": start.isoformat(), "to": end.isoformat()}, NOW.date())


def _from_rows(agencies: dict[str, str], period: dashboard.Period, now: datetime) -> Any:
    """The figures counted from the index and finding rows of the whole period (what the
    dashboard read before the aggregates, and still reads for a partial month's days)."""
    counts = dashboard._tally_rows(list(agencies), period.since, period.until, now)
    return dashboard.render(agencies, period, counts, top=None)


@pytest.mark.django_db
def test_figures_from_the_aggregates_equal_the_figures_from_the_rows_for_random_periods(
    demo_users: Any,
) -> None:
    rng = random.Random(18)
    _populate(rng, 400, 250)
    agencies = dict(Agency.objects.values_list("code", "name"))
    one = next(iter(agencies))
    moments = [
        NOW,
        NOW - timedelta(days=20),  # a month whose due cases are partly past
        datetime(2026, 6, 1, tzinfo=SHANGHAI),  # the first moment of a month
        datetime(2026, 5, 31, 23, 59, 59, tzinfo=SHANGHAI),
        NOW + timedelta(days=45),
    ]
    # Cases falling due for archiving in NOW's month: the dashboard counts those due before
    # the moment from their index rows, the rest of their month's cases from the aggregates.
    assert ArchiveDueAggregate.objects.filter(due_month="2026-06", pending__gt=0).exists()
    compared = 0
    for _ in range(80):
        period = _random_period(rng)
        now = rng.choice(moments)
        for shown in (agencies, {one: agencies[one]}):
            got = dashboard.figures(shown, period, now, top=None)
            assert got == _from_rows(shown, period, now), (period, now)
            compared += sum(a["opened"][0] for a in got["agencies"])
    assert compared > 1000  # the periods held cases, not only empty months
    # The year's figures include every kind of count (not a comparison of empty tables).
    year = dashboard.figures(agencies, dashboard.parse_period({"year": "2026"}, NOW.date()), NOW)
    totals = {k: sum(a[k][0] for a in year["agencies"]) for k in dashboard.COUNTED_FLAGS}
    assert all(totals.values()), totals
    assert (
        year["articles"] and year["officers"] and any(a["archive_days"] for a in year["agencies"])
    )
    # Kept by difference through all the rewrites, the stored sums are the rows' sums.
    assert aggregate_problems() == []


@pytest.mark.django_db
def test_the_partial_month_edges_and_whole_months_are_split_where_the_period_says(
    demo_users: Any,
) -> None:
    """A from/to period is its whole months plus the days at its edges: the split is checked
    on its own (no month counted twice, no day left out) by counting one case per day."""
    code = Agency.objects.values_list("code", flat=True).first()
    assert code is not None
    rng = random.Random(7)
    day = date(2026, 1, 1)
    for i in range(200):
        values, findings = _random_row(rng, code, "x.yaml", [None])
        opened = datetime(day.year, day.month, day.day, 12, tzinfo=SHANGHAI)
        values.update(opened_at=opened, opened_month=opened.strftime("%Y-%m"))
        with transaction.atomic():
            actions.write_index_row(code, f"DAY-{i}", values, findings)
        day += timedelta(days=1)
    for start, end in [
        (date(2026, 1, 15), date(2026, 3, 10)),
        (date(2026, 1, 1), date(2026, 2, 28)),
        (date(2026, 1, 31), date(2026, 2, 1)),
        (date(2026, 2, 1), date(2026, 2, 27)),
        (date(2026, 2, 2), date(2026, 7, 19)),
    ]:
        period = dashboard.Period(start, end, "")
        counts = dashboard.tally([code], period, NOW)
        assert counts.opened[code] == (end - start).days + 1, (start, end)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_writers_of_the_same_month_and_officer_lose_no_update(
    demo_users: Any,
) -> None:
    """Threads writing cases of one agency, month and handler at once — each case written
    several times, two threads rewriting the same cases — leave sums equal to the rows'."""
    code, regulation = Agency.objects.values_list("code", "regulation").first()
    handler = User.objects.filter(agency_id=code).first()
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def writer(seed: int, numbers: list[str]) -> None:
        rng = random.Random(seed)
        try:
            barrier.wait()
            for _ in range(3):
                for number in numbers:
                    values, findings = _random_row(rng, code, regulation, [handler])
                    values["opened_at"] = datetime(2026, 3, 10, 9, tzinfo=SHANGHAI)
                    values["opened_month"] = "2026-03"
                    for attempt in range(200):
                        try:
                            with transaction.atomic():
                                actions.write_index_row(code, number, values, findings)
                            break
                        except Exception as exc:
                            # SQLite's in-memory test database (shared cache) refuses a second
                            # writer at once instead of waiting: retried, as a busy timeout
                            # would. PostgreSQL writers wait on the row locks and never land here.
                            if "locked" not in str(exc) or attempt == 199:
                                raise
                            time.sleep(rng.uniform(0.001, 0.02))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    shared = [f"SHARED-{i}" for i in range(6)]
    threads = [
        threading.Thread(target=writer, args=(i, [f"T{i}-{j}" for j in range(8)] + shared))
        for i in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    assert CaseIndex.objects.filter(agency_id=code).count() == 4 * 8 + len(shared)
    assert aggregate_problems() == []
    cases = OpenedAggregate.objects.filter(agency=code, month="2026-03")
    assert sum(cases.values_list("cases", flat=True)) == 38


@pytest.mark.django_db
def test_the_web_writes_keep_the_aggregates(demo_users: Any) -> None:
    """A case opened and appended to through the actions (the projection in the request). The
    projector thread's path is checked by test_flat_costs.py, whose verify includes these
    sums (web_cli.projection_checks)."""
    from tests.integration.web.test_flat_costs import append, inspection, open_case

    index = open_case()  # an emergency start, opened now
    assert aggregate_problems() == []
    month = timeutil.local(timeutil.now()).strftime("%Y-%m")
    row = OpenedAggregate.objects.get(month=month, cases__gt=0)
    assert (row.agency, row.handler, row.cases) == (index.agency_id, index.handler_id, 1)
    append(inspection("r2"))
    append(inspection("r3"))
    assert aggregate_problems() == []
    assert sum(OpenedAggregate.objects.values_list("cases", flat=True)) == 1


@pytest.mark.django_db
def test_verify_reports_an_edited_aggregate_and_reindex_rebuilds_it(demo_cases: None) -> None:
    assert aggregate_problems() == []
    agencies = dict(Agency.objects.values_list("code", "name"))
    year = str(CaseIndex.objects.order_by("-opened_at").first().opened_at.year)
    period = dashboard.parse_period({"year": year}, NOW.date())
    now = timeutil.now()
    before = dashboard.figures(agencies, period, now)
    assert before == dashboard.render(
        agencies, period, dashboard._tally_rows(list(agencies), period.since, period.until, now)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE lawtrail_openedaggregate SET cases = cases + 5, av_gap = av_gap + 1 "
            "WHERE id = (SELECT MIN(id) FROM lawtrail_openedaggregate WHERE cases > 0)"
        )
        cursor.execute(
            "DELETE FROM lawtrail_closureaggregate WHERE id = "
            "(SELECT MIN(id) FROM lawtrail_closureaggregate WHERE closed > 0)"
        )
        cursor.execute(
            "INSERT INTO lawtrail_violationaggregate (agency, month, opened_month,"
            " regulation, article, findings, cases) VALUES (%s, %s, %s, 'x', 99, 3, 1)",
            (next(iter(agencies)), f"{year}-02", f"{year}-02"),
        )
    assert dashboard.figures(agencies, period, now) != before
    problems = check().problems
    assert {(p.code, p.column) for p in problems} >= {
        ("dashboard_aggregate_mismatch", "cases"),
        ("dashboard_aggregate_mismatch", "av_gap"),
        ("dashboard_aggregate_mismatch", "closed"),
        ("dashboard_aggregate_mismatch", "findings"),
    }
    assert all("监督看板" in p.message for p in problems if p.code.startswith("dashboard_"))
    # One agency's check sees that agency's groups only; one case's check has none of its own.
    other = [c for c in agencies if c != next(iter(agencies))]
    assert all(p.agency != next(iter(agencies)) for p in check(agency=other[0]).problems)
    call_command("reindex", stdout=io.StringIO())
    assert aggregate_problems() == []
    assert dashboard.figures(agencies, period, now) == before


@pytest.mark.django_db
def test_the_aggregate_tables_are_the_models_tables(demo_users: Any) -> None:
    """The raw SQL of lawtrail.web.aggregates names Django's tables and columns."""
    from django.apps import apps

    models = {m._meta.db_table: m for m in apps.get_app_config("lawtrail").get_models()}
    for table in aggregates.TABLES:
        columns = {f.column for f in models[table.name]._meta.concrete_fields}
        assert {*table.keys, *table.values} <= columns, table.name
    assert str(Severity.VIOLATION) == aggregates.VIOLATION
    index_columns = {f.column for f in CaseIndex._meta.concrete_fields}
    assert set(aggregates.ROW_COLUMNS) <= index_columns


@pytest.mark.django_db
def test_whole_months_read_only_the_aggregates(demo_users: Any) -> None:
    """A year, a month: no query of the index or finding rows (what grows with the cases),
    except the index rows of archive deadlines falling in the current month, read by their
    deadline's range."""
    from django.test.utils import CaptureQueriesContext

    _populate(random.Random(3), 60, 0)
    agencies = dict(Agency.objects.values_list("code", "name"))
    later = datetime(2030, 1, 1, tzinfo=SHANGHAI)  # every deadline in an earlier month
    for params, now, deadlines in (
        ({"year": "2025"}, later, False),
        ({"month": "2026-03"}, later, False),
        ({"year": "2026"}, NOW, True),  # June 2026's deadlines before NOW
    ):
        period = dashboard.parse_period(params, NOW.date())
        with CaptureQueriesContext(connection) as queries:
            dashboard.figures(agencies, period, now)
        rows = [q["sql"] for q in queries.captured_queries if "lawtrail_case" in q["sql"]]
        if deadlines:
            (sql,) = rows
            assert "archive_due" in sql and "opened_at" not in sql.split("WHERE")[1]
            assert "ORDER BY" not in sql
        else:
            assert rows == [], rows
