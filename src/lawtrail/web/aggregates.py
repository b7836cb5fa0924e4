"""The dashboard's maintained aggregates (issue #18 item 2): the supervision figures read sums
of a few rows per agency, month and officer, not every case of the period.

The supervision dashboard and the 评议考核 report (:mod:`lawtrail.web.dashboard`,
:mod:`lawtrail.web.report`) count the case index (:class:`~lawtrail.web.models.CaseIndex`) and
the case findings of a period. Grouping those rows costs what the period holds — 8× more at
100,000 cases than at 10,000. These tables hold the same counts already grouped, one row per
(agency, calendar month in Beijing time, …), so a period of whole months is a sum over
(agencies × months × officers) rows however many cases there are; the days of a partial month
at the edges of a from/to period are still counted from the index rows of those days only
(:func:`lawtrail.web.dashboard.figures`):

- ``lawtrail_openedaggregate``: by the month of ``opened_at``, ``opened_month`` and handler —
  the cases opened, with violations, with AV stored late, archived late, with approvals
  pending, with an AV gap, and the AV sums.
- ``lawtrail_archivedueaggregate``: by the month of ``opened_at`` and the month of
  ``archive_due``, the cases neither archived nor archived late: whether such a case is
  归档逾期 depends on the moment of the request (``archive_due < now``), so it is counted by
  its due month — overdue for an earlier month than now's, not for a later one, and for now's
  month from the index rows due in it (a month's cases, not all of them).
- ``lawtrail_closureaggregate``: by the month of ``closed_at`` the cases closed, by the month of
  ``archived_at`` the cases archived with the count and sum of their closure → archive lags.
- ``lawtrail_violationaggregate``: violation findings by (agency, month, opened_month,
  regulation, article) with the number of their cases (a case counts once per article).
- ``lawtrail_categoryaggregate``: violation findings by (agency, month, opened_month, handler,
  accountability category). Kept apart from the articles: a case may violate one article under
  two categories, and a case count keyed by both would count that case twice for the article;
  and no figure needs articles by officer, which would multiply the rows by the officers.

They are a projection of the projection: :func:`contributions` is a pure function of one index
row and its findings. :func:`lawtrail.web.actions.write_index_row` subtracts the old row's
contribution and adds the new one in the transaction that rewrites the row (:func:`apply`);
``lawtrail manage reindex`` and the dashboard benchmark rebuild them from the rows
(:func:`rebuild`); ``lawtrail verify`` recomputes them from the rows and reports every group
that differs (:class:`AggregateCheck`, findings ``dashboard_aggregate_mismatch``) — the rows
themselves are checked against the ledger by :class:`lawtrail.web.projections.CaseIndexCheck`,
so an edited index row of a counted column is reported twice: by that check (the row against
the ledger) and by this one (the sums, still the true ones, against the edited row).

Like :mod:`lawtrail.web.projections`, this module needs no Django settings: it reads and writes
through the ledger's :class:`~lawtrail.ledger.db.Database` (in the web application Django's own
connection, so the aggregates commit with the index row), in SQL both databases run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lawtrail.core import timeutil
from lawtrail.ledger.db import POSTGRESQL, Database
from lawtrail.ledger.log import Ledger
from lawtrail.ledger.verify import Problem, ProjectionSummary
from lawtrail.web.projections import FINDING_TABLE, TABLE, _has_table, _time

VIOLATION = "violation"  # str(lawtrail.core.rules.Severity.VIOLATION), checked by a test


@dataclass(frozen=True)
class Table:
    name: str
    label: str
    keys: tuple[str, ...]
    values: tuple[str, ...]


OPENED = Table(
    "lawtrail_openedaggregate",
    "立案统计",
    ("agency", "month", "opened_month", "handler"),
    (
        "cases",
        "with_violations",
        "av_late",
        "archive_late",
        "approvals",
        "av_gap",
        "av_required",
        "av_covered",
    ),
)
ARCHIVE_DUE = Table(
    "lawtrail_archivedueaggregate",
    "待归档统计",
    ("agency", "month", "due_month"),
    ("pending",),
)
CLOSURE = Table(
    "lawtrail_closureaggregate",
    "终结与归档统计",
    ("agency", "month"),
    ("closed", "archived", "lag_n", "lag_sum"),
)
VIOLATIONS = Table(
    "lawtrail_violationaggregate",
    "违规条款统计",
    ("agency", "month", "opened_month", "regulation", "article"),
    ("findings", "cases"),
)
CATEGORIES = Table(
    "lawtrail_categoryaggregate",
    "问责情形统计",
    ("agency", "month", "opened_month", "handler", "category"),
    ("findings",),
)
TABLES = (OPENED, ARCHIVE_DUE, CLOSURE, VIOLATIONS, CATEGORIES)

# The index row's columns a contribution depends on (and nothing else of the row).
ROW_COLUMNS = (
    "id",
    "agency_id",
    "opened_at",
    "opened_month",
    "handler_id",
    "violations",
    "av_late",
    "archive_late",
    "archived",
    "archive_due",
    "approvals_pending",
    "av_required",
    "av_covered",
    "closed_at",
    "archived_at",
    "archive_lag",
)

NO_HANDLER = 0  # the handler key of a case without one (NULL never conflicts in a unique key)

Key = tuple[Any, ...]


def month_of(value: datetime) -> str:
    """The calendar month (Beijing time, ``YYYY-MM``) a moment falls in: the dashboard's periods
    are Beijing days (:class:`lawtrail.web.dashboard.Period`)."""
    return timeutil.local(value).strftime("%Y-%m")


class Delta:
    """Amounts to add to aggregate rows: table → key → one number per value column."""

    def __init__(self) -> None:
        self.rows: dict[Table, dict[Key, list[int]]] = {t: {} for t in TABLES}

    def add(self, table: Table, key: Key, values: Iterable[int], sign: int = 1) -> None:
        row = self.rows[table].setdefault(key, [0] * len(table.values))
        for i, v in enumerate(values):
            row[i] += sign * int(v)

    def merge(self, other: Delta, sign: int = 1) -> None:
        for table, rows in other.rows.items():
            for key, values in rows.items():
                self.add(table, key, values, sign)

    def nonzero(self, table: Table) -> dict[Key, list[int]]:
        return {k: v for k, v in self.rows[table].items() if any(v)}


def contributions(row: Mapping[str, Any], findings: Iterable[tuple[str, int, str]]) -> Delta:
    """What one index row (:data:`ROW_COLUMNS`, times aware) and its violation findings
    ((regulation, article, category) each) add to the aggregates."""
    delta = Delta()
    agency = str(row["agency_id"])
    opened_at = row["opened_at"]
    month = month_of(opened_at)
    opened_month = str(row["opened_month"] or "")
    handler = int(row["handler_id"] or NO_HANDLER)
    archive_late = bool(row["archive_late"])
    due = row["archive_due"]
    # Not archived, not late yet: overdue from the moment ``archive_due`` passes (the
    # dashboard's 归档逾期, 000 art. 31 / 002 art. 32), so kept by the month it falls due in.
    pending = not archive_late and not bool(row["archived"]) and due is not None
    required, covered = int(row["av_required"] or 0), int(row["av_covered"] or 0)
    if pending:
        delta.add(ARCHIVE_DUE, (agency, month, month_of(due)), (1,))
    delta.add(
        OPENED,
        (agency, month, opened_month, handler),
        (
            1,
            (row["violations"] or 0) > 0,
            (row["av_late"] or 0) > 0,
            archive_late,
            (row["approvals_pending"] or 0) > 0,
            required > 0 and covered != required,
            required,
            covered,
        ),
    )
    if row["closed_at"] is not None:
        delta.add(CLOSURE, (agency, month_of(row["closed_at"])), (1, 0, 0, 0))
    if row["archived_at"] is not None:
        lag = row["archive_lag"]
        delta.add(
            CLOSURE,
            (agency, month_of(row["archived_at"])),
            (0, 1, lag is not None, lag or 0),
        )
    articles: Counter[tuple[str, int]] = Counter()
    categories: Counter[str] = Counter()
    for regulation, article, category in findings:
        articles[(str(regulation), int(article))] += 1
        categories[str(category)] += 1
    for (regulation, article), n in articles.items():
        delta.add(VIOLATIONS, (agency, month, opened_month, regulation, article), (n, 1))
    for category, n in categories.items():
        delta.add(CATEGORIES, (agency, month, opened_month, handler, category), (n,))
    return delta


def apply(db: Database, delta: Delta) -> None:
    """Add ``delta`` to the stored rows, inside the caller's transaction.

    Each group is one ``INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n``: on PostgreSQL
    the increment is computed on the row as committed after any concurrent writer of it (the
    upsert waits for that writer's lock), so two cases projected at once into the same month
    and officer lose neither update; on SQLite writers are serialised by the database's write
    lock. The keys are written in sorted order, so two transactions touching the same groups
    take their row locks in the same order and cannot deadlock on them. Groups whose amounts
    cancel out (a write that changed nothing the dashboard counts — most of them) are not
    written at all. Rows that reach zero stay (a later case of the month reuses them); the
    readers and the check ignore them."""
    for table in TABLES:
        rows = sorted(delta.nonzero(table).items())
        if not rows:
            continue
        columns = (*table.keys, *table.values)
        updates = ", ".join(f"{c} = {table.name}.{c} + excluded.{c}" for c in table.values)
        sql = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)}) "
            f"ON CONFLICT ({', '.join(table.keys)}) DO UPDATE SET {updates}"
        )
        db.executemany(sql, [(*key, *values) for key, values in rows])


def computed(db: Database, agency: str | None = None) -> Delta:
    """The aggregates recomputed from the index rows (of one agency, or all): what
    :func:`rebuild` writes and :class:`AggregateCheck` compares. Streams the rows."""
    total = Delta()
    for row, findings in _index_rows(db, agency):
        total.merge(contributions(row, findings))
    return total


def rebuild(db: Database) -> int:
    """Rewrite every aggregate row from the index rows, inside the caller's transaction (which
    must be a write transaction); the number of groups written.

    On PostgreSQL the case index and the aggregates are locked against writers for the
    rebuild: a case projected between reading its row and writing the sums would be counted
    from its old row and its new contribution added on top. (On SQLite the write transaction
    already holds the database's only write lock.)"""
    if db.dialect == POSTGRESQL:
        tables = ", ".join([TABLE, FINDING_TABLE, *(t.name for t in TABLES)])
        db.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
    for table in TABLES:
        db.execute(f"DELETE FROM {table.name}")
    delta = computed(db)
    apply(db, delta)
    return sum(len(delta.nonzero(t)) for t in TABLES)


def stored(db: Database, table: Table, agency: str | None = None) -> dict[Key, list[int]]:
    """The stored rows of ``table`` (of one agency), zero rows left out."""
    columns = ", ".join((*table.keys, *table.values))
    sql = f"SELECT {columns} FROM {table.name}"
    params: list[Any] = []
    if agency is not None:
        sql += " WHERE agency = ?"
        params.append(agency)
    out: dict[Key, list[int]] = {}
    n = len(table.keys)
    for raw in db.all(sql, params):
        key = tuple(
            int(v) if c in ("handler", "article") else str(v)
            for c, v in zip(table.keys, raw[:n], strict=True)
        )
        values = [int(v or 0) for v in raw[n:]]
        if any(values):
            out[key] = values
    return out


def _index_rows(
    db: Database, agency: str | None
) -> Iterator[tuple[dict[str, Any], list[tuple[str, int, str]]]]:
    """Every index row (of the agency) with its violation findings, ordered by row id: the
    rows and the findings are streamed side by side, never all in memory."""
    where, params = (" WHERE agency_id = ?", [agency]) if agency is not None else ("", [])
    rows = db.stream(f"SELECT {', '.join(ROW_COLUMNS)} FROM {TABLE}{where} ORDER BY id", params)
    fwhere = " AND c.agency_id = ?" if agency is not None else ""
    findings = db.stream(
        f"SELECT f.case_id, f.regulation, f.article, f.category FROM {FINDING_TABLE} f "
        f"JOIN {TABLE} c ON c.id = f.case_id WHERE f.severity = ?{fwhere} ORDER BY f.case_id",
        [VIOLATION, *params],
    )
    pending = next(findings, None)
    for raw in rows:
        row = dict(zip(ROW_COLUMNS, raw, strict=True))
        for column in ("opened_at", "archive_due", "closed_at", "archived_at"):
            row[column] = _time(row[column])
        case_id = int(row["id"])
        mine: list[tuple[str, int, str]] = []
        while pending is not None and int(pending[0]) <= case_id:
            if int(pending[0]) == case_id:
                mine.append((str(pending[1]), int(pending[2]), str(pending[3])))
            pending = next(findings, None)
        if row["opened_at"] is None:
            continue  # not a row the dashboard can count (the row check reports it)
        yield row, mine


class AggregateCheck:
    """The aggregates against the index rows (a :class:`lawtrail.ledger.verify.ProjectionCheck`):
    every group whose stored sums differ from the sums of the rows is a finding."""

    name = "监督看板统计"

    def applies(self, db: Database) -> bool:
        return all(_has_table(db, t.name) for t in TABLES) and _has_table(db, TABLE)

    def check(
        self, ledger: Ledger, *, agency: str | None, case_number: str | None
    ) -> tuple[ProjectionSummary, list[Problem]]:
        problems: list[Problem] = []
        if case_number is not None:
            # A group sums many cases: one case's check has nothing of its own to compare.
            return ProjectionSummary(self.name, OPENED.name, rows=0), problems
        db = ledger.db
        rebuilt = computed(db, agency)
        count = 0
        for table in TABLES:
            have = stored(db, table, agency)
            want = rebuilt.nonzero(table)
            count += len(have)
            for key in sorted(set(have) | set(want), key=repr):
                got, should = have.get(key), want.get(key)
                if got == should:
                    continue
                for i, column in enumerate(table.values):
                    a = got[i] if got else 0
                    b = should[i] if should else 0
                    if a != b:
                        problems.append(
                            Problem(
                                code="dashboard_aggregate_mismatch",
                                message=f"{table.label}中 {_shown_key(table, key)} 的“{column}”"
                                f"为 {a}，按案件索引应为 {b}：监督看板和评议考核报告的数字与"
                                "案件索引不一致——统计行被改动，或案件索引行被改动（此时另有"
                                " case_index_mismatch）；运行 lawtrail manage reindex 重建",
                                agency=str(key[0]),
                                column=column,
                            )
                        )
        return ProjectionSummary(self.name, OPENED.name, rows=count), problems


def _shown_key(table: Table, key: Key) -> str:
    return "、".join(f"{c}={v}" for c, v in zip(table.keys, key, strict=True) if v != "")
