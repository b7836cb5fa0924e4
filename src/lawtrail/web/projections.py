"""The web application's projection of the ledger — the case index — and its check.

The pages read the ledger for everything about a case, except lists: the case list (its
"办理中 / 已终结 / 已归档 / 已逾期 / 有违规" filters, counts and deadlines), the inbox (待办) and
the supervisor's overdue list read the case index (:class:`~lawtrail.web.models.CaseIndex`),
one row per case. Users, agencies and API tokens are reference data, not projections.

The index is derived, never a source: :func:`case_index_values` computes a row from the case as
the ledger holds it, as of a moment; :func:`lawtrail.web.actions.project` writes it with every
ledger write (the moment is the row's ``updated_at``), ``lawtrail manage reindex`` rebuilds all
of it. Nothing hashes or signs the row, so someone who can edit the database can change what the
lists show — a count, the 有违规 filter, a deadline, who the inbox routes a case to, a case made
to disappear. :class:`CaseIndexCheck` is how that is caught: ``lawtrail verify`` (wired in
:func:`lawtrail.web_cli.projection_checks`) rebuilds every row from the ledger *as of its
``updated_at``* — so an honest row that is merely older than a deadline still matches — and
reports each column that differs, each case without a row and each row without a case.

This module does not need Django set up: it reads the table through the ledger's own connection
(raw SQL, in verify's snapshot, on both databases), so ``lawtrail verify`` runs it without the
web application's settings. ``TABLE`` and the column names are Django's for the model; a web
test holds them to ``CaseIndex._meta``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lawtrail import services
from lawtrail.core import timeutil
from lawtrail.core.accountability import rule_category
from lawtrail.core.engine import Evaluation, av_subjects, evaluate
from lawtrail.core.model import Case
from lawtrail.core.record_kinds import RECORD_KINDS
from lawtrail.core.rules import FollowedByCheck, MediaIngestCheck
from lawtrail.ledger.db import SQLITE, Database
from lawtrail.ledger.log import Ledger
from lawtrail.ledger.verify import Problem, ProjectionSummary
from lawtrail.web import inbox

TABLE = "lawtrail_caseindex"
FINDING_TABLE = "lawtrail_casefinding"
TASK_TABLE = "lawtrail_inboxtask"
USER_TABLE = "lawtrail_user"

# The columns rebuilt from the ledger, with the names the pages give them.
COLUMNS: dict[str, str] = {
    "title": "案由",
    "origin": "启动方式",
    "procedure": "程序",
    "acts": "行政执法行为",
    "major": "重大行政执法决定",
    "opened_at": "立案时间",
    "stage": "当前阶段",
    "records": "记录数",
    "violations": "违规项",
    "warnings": "提示项",
    "closed": "已终结",
    "archived": "已归档",
    "next_due": "最近期限",
    "pending": "待办",
    "opened_month": "立案月份",
    "closed_at": "终结时间",
    "archived_at": "归档时间",
    "archive_lag": "终结至归档（秒）",
    "av_required": "应音像记录的行为",
    "av_covered": "已音像记录的行为",
    "av_late": "音像未按时存储",
    "archive_due": "归档期限",
    "archive_late": "归档逾期",
    "approvals_pending": "待审批",
}
TIMES = ("opened_at", "next_due", "closed_at", "archived_at", "archive_due")
FLAGS = ("major", "closed", "archived", "archive_late")
# A finding row (lawtrail_casefinding, one per finding of the case): these columns.
FINDING_COLUMNS = ("rule", "regulation", "article", "category", "severity")
ARCHIVE_KIND = "case_file"  # 归档 (000 art. 31, 002 art. 32: 形成相应案卷……归档、保存)
JSON_COLUMNS = ("acts", "pending")


def case_index_values(case: Case, at: datetime) -> dict[str, Any]:
    """The case's index row as of ``at`` (everything but ``handler`` and ``updated_at``): what
    :func:`lawtrail.web.actions.project` writes and what the check recomputes. Deterministic:
    the same case and moment give the same row."""
    return case_projection(case, at)[0]


def case_projection(
    case: Case, at: datetime
) -> tuple[dict[str, Any], list[tuple[str, str, int, str, str]]]:
    """The case's index row and its finding rows (:data:`FINDING_COLUMNS`, sorted) as of
    ``at`` — both pure functions of the case and the moment."""
    evaluation = evaluate(case, at=at)
    effective = case.effective_records()
    kinds = {r.kind for r in effective}
    dues = [r.due for r in evaluation.required if r.due is not None]
    rules = {rule.id: rule for rule in evaluation.pack.rules}
    tasks = inbox.pending_tasks(case, evaluation)
    values = {
        "title": case.title,
        "origin": case.origin,
        "procedure": case.procedure,
        "acts": list(case.acts),
        "major": case.major,
        "opened_at": case.opened_at,
        "stage": RECORD_KINDS[effective[-1].kind].stage.value if effective else "",
        "records": len(case.records),
        "violations": len(evaluation.violations),
        "warnings": len(evaluation.warnings),
        "closed": "closure" in kinds,
        "archived": ARCHIVE_KIND in kinds,
        "next_due": min(dues) if dues else None,
        "pending": [task.to_json() for task in tasks],
        **_dashboard_values(case, evaluation, effective, rules, tasks, at),
    }
    findings = sorted(
        (f.rule, f.regulation, f.article, rule_category(rules[f.rule]), str(f.severity))
        for f in evaluation.findings
    )
    return values, findings


def _dashboard_values(
    case: Case,
    evaluation: Evaluation,
    effective: list[Any],
    rules: dict[str, Any],
    tasks: list[inbox.Task],
    at: datetime,
) -> dict[str, Any]:
    """The per-case facts the dashboard counts (lawtrail.web.dashboard)."""
    closures = [r.at for r in effective if r.kind == "closure"]
    archives = [r.at for r in effective if r.kind == ARCHIVE_KIND]
    # AV coverage: the acts an ``av`` rule applies to (000 art. 12, 002 art. 13: 应同时进行
    # 音像记录), and of them those the rule finds nothing on (recorded, or exempted with approval).
    subjects = set(av_subjects(case, at=at, pack=evaluation.pack))
    missing = {(f.rule, f.record) for f in evaluation.findings if (f.rule, f.record) in subjects}
    # AV stored late: findings of ``media_ingest`` rules (000 art. 31, 002 art. 32: 24小时内……储存).
    av_late = sum(
        1 for f in evaluation.findings if isinstance(rules[f.rule].check, MediaIngestCheck)
    )

    def archive_rule(rule_id: str) -> bool:
        check = rules[rule_id].check
        return isinstance(check, FollowedByCheck) and ARCHIVE_KIND in check.kinds

    # Archiving late: an archiving deadline (e.g. 001 art. 26, 003 art. 25: 30 日内归档) missed,
    # found by the rule whether the file came late or has not come.
    archive_dues = [r.due for r in evaluation.required if r.due and ARCHIVE_KIND in r.kinds]
    closed_at = min(closures) if closures else None
    archived_at = min(archives) if archives else None
    lag = None
    if closed_at is not None and archived_at is not None:
        lag = int((archived_at - closed_at).total_seconds())
    return {
        "opened_month": timeutil.local(case.opened_at).strftime("%Y-%m"),
        "closed_at": closed_at,
        "archived_at": archived_at,
        "archive_lag": lag,
        "av_required": len(subjects),
        "av_covered": len(subjects - missing),
        "av_late": av_late,
        "archive_due": min(archive_dues) if archive_dues else None,
        "archive_late": any(archive_rule(f.rule) for f in evaluation.findings),
        # The internal chain's steps waiting (审核 / 批准: 000 art. 37, 002 art. 38).
        "approvals_pending": sum(1 for t in tasks if t.step),
    }


def case_opener(ledger: Ledger, agency: str, case_number: str) -> str:
    """The account that opened the case — the actor of its first header entry, hashed in the
    ledger — or "" (a case imported from a file names none). The web application makes the
    opener the case's handler (承办人), whom the inbox routes the handler's tasks to."""
    for entry in list(ledger.entries(agency, case_number=case_number, types=("case",))):
        data = entry.data()
        if data.get("type") == "case" and data.get("case_number") == case_number:
            return str(data.get("actor") or "")
    return ""


# ---------------------------------------------------------------------------- the check


@dataclass(frozen=True)
class _Row:
    agency: str
    case_number: str
    values: dict[str, Any]
    handler: str | None  # the handler's username (None: no handler)
    updated_at: datetime | None


class CaseIndexCheck:
    """The case index against the ledger (a :class:`lawtrail.ledger.verify.ProjectionCheck`)."""

    name = "案件索引"

    def applies(self, db: Database) -> bool:
        return _has_table(db, TABLE)

    def check(
        self, ledger: Ledger, *, agency: str | None, case_number: str | None
    ) -> tuple[ProjectionSummary, list[Problem]]:
        rows = _rows(ledger.db, agency, case_number)
        findings = _finding_rows(ledger.db, agency, case_number)
        tasks = (
            _task_rows(ledger.db, agency, case_number)
            if _has_table(ledger.db, TASK_TABLE)
            else None
        )
        cases = _ledger_cases(ledger, agency, case_number)
        problems: list[Problem] = []
        now = timeutil.now()
        for (case_agency, number), opener in cases.items():
            row = rows.get((case_agency, number))
            if row is None:
                problems.append(
                    Problem(
                        code="case_index_missing",
                        message=f"案件 {number} 在账本中，但案件索引中没有它：案件列表、待办和"
                        "逾期提醒都不会显示该案件（索引行被删除，或案件绕过 Web 应用写入后未运行 "
                        "lawtrail manage reindex）",
                        agency=case_agency,
                        case_number=number,
                    )
                )
                continue
            problems += _compare(
                ledger,
                row,
                opener,
                now,
                findings.get((case_agency, number), []),
                None if tasks is None else tasks.get((case_agency, number), []),
            )
        if agency is None and case_number is None:
            orphans = ledger.db.one(
                f"SELECT COUNT(*) FROM {FINDING_TABLE} f LEFT JOIN {TABLE} c ON c.id = f.case_id "
                "WHERE c.id IS NULL"
            )
            if orphans and orphans[0]:
                problems.append(
                    Problem(
                        code="case_finding_orphan",
                        message=f"案件发现项中有 {orphans[0]} 行不属于案件索引中的任何案件："
                        "监督看板的统计被改动（行被插入，或其案件的索引行被删除）",
                    )
                )
            orphans = (
                ledger.db.one(
                    f"SELECT COUNT(*) FROM {TASK_TABLE} t LEFT JOIN {TABLE} c ON c.id = t.case_id "
                    "WHERE c.id IS NULL"
                )
                if tasks is not None
                else None
            )
            if orphans and orphans[0]:
                problems.append(
                    Problem(
                        code="inbox_task_orphan",
                        message=f"待办事项索引中有 {orphans[0]} 行不属于案件索引中的任何案件："
                        "待办和导航中的待办数被改动（行被插入，或其案件的索引行被删除）",
                    )
                )
        for key, row in rows.items():
            if key not in cases:
                problems.append(
                    Problem(
                        code="case_index_orphan",
                        message=f"案件索引中有案件 {row.case_number}，但账本中没有该案件："
                        "案件列表显示了一个不存在的案件（索引行被插入或案号被改动）",
                        agency=row.agency,
                        case_number=row.case_number,
                    )
                )
        return ProjectionSummary(self.name, TABLE, rows=len(rows)), problems


def _compare(
    ledger: Ledger,
    row: _Row,
    opener: str,
    now: datetime,
    findings: list[tuple[Any, ...]],
    tasks: list[tuple[str, dict[str, Any], str | None]] | None,
) -> list[Problem]:
    def mismatch(column: str, label: str, message: str) -> Problem:
        return Problem(
            code="case_index_mismatch",
            message=f"案件索引中案件 {row.case_number} 的{label}（{column}）{message}",
            agency=row.agency,
            case_number=row.case_number,
            column=column,
        )

    if row.updated_at is None:
        return [mismatch("updated_at", "更新时间", "无法读取：索引行被改动")]
    if row.updated_at > now:
        return [
            mismatch(
                "updated_at",
                "更新时间",
                f"为 {timeutil.format_local(row.updated_at)}，晚于当前时间：索引行被改动",
            )
        ]
    try:
        case = services.load_case(ledger, row.agency, row.case_number)
        expected, expected_findings = case_projection(case, timeutil.local(row.updated_at))
    except (services.ServiceError, ValueError, KeyError, TypeError) as exc:
        return [
            Problem(
                code="case_index_unverifiable",
                message=f"无法由账本重建案件 {row.case_number} 的索引行（{exc}）",
                agency=row.agency,
                case_number=row.case_number,
            )
        ]
    stale = _stale_hint(case, row.updated_at)
    problems = []
    for column, label in COLUMNS.items():
        stored, rebuilt = row.values[column], expected[column]
        if _same(column, stored, rebuilt):
            continue
        problems.append(
            mismatch(
                column,
                label,
                f"为 {_shown(column, stored)}，而由账本重建（截至该行的更新时间 "
                f"{timeutil.format_local(row.updated_at)}）为 {_shown(column, rebuilt)}："
                f"页面据此显示的内容被改动{stale}",
            )
        )
    if sorted(findings) != expected_findings:
        problems.append(
            mismatch(
                "findings",
                "发现项",
                f"为 {_findings_shown(findings)}，而由账本重建（截至该行的更新时间 "
                f"{timeutil.format_local(row.updated_at)}）为 {_findings_shown(expected_findings)}"
                f"：监督看板据此统计的违规条款、问责情形被改动{stale}",
            )
        )
    if tasks is not None:
        # routed to the handler the ledger names (the opener), else to the row's (an import)
        handler = _account(ledger.db, opener) if opener else row.handler
        problems += _compare_tasks(row, tasks, expected["pending"], handler)
    if opener:
        account = _account(ledger.db, opener)
        if row.handler != account:
            problems.append(
                mismatch(
                    "handler",
                    "承办人",
                    f"为 {row.handler or '（无）'}，而账本记载立案人为 {opener}"
                    + ("" if account else "（该账号已不存在）")
                    + "：待办按承办人分派，索引行被改动",
                )
            )
    return problems


def _compare_tasks(
    row: _Row,
    tasks: list[tuple[str, dict[str, Any], str | None]],
    expected: list[Any],
    handler: str | None,
) -> list[Problem]:
    """The case's inbox rows against the tasks rebuilt from the ledger (as of the row's
    ``updated_at``): the same tasks in the same order, in the case's agency, each routed to the
    case's handler."""
    stored = [task for _agency, task, _handler in tasks]
    wrong_agency = any(agency != row.agency for agency, _task, _handler in tasks)
    wrong_handler = any(routed != handler for _agency, _task, routed in tasks)
    if stored == expected and not wrong_agency and not wrong_handler:
        return []
    what = "的机关" if wrong_agency else "的承办人" if stored == expected else ""
    return [
        Problem(
            code="inbox_task_mismatch",
            message=f"待办事项索引中案件 {row.case_number}{what}与由账本重建的待办不一致："
            f"待办索引有 {len(stored)} 项，重建为 {len(expected)} 项"
            "——待办页面和导航中的待办数据此显示的内容被改动",
            agency=row.agency,
            case_number=row.case_number,
            column="tasks",
        )
    ]


def _task_rows(
    db: Database, agency: str | None, case_number: str | None
) -> dict[tuple[str, str], list[tuple[str, dict[str, Any], str | None]]]:
    """The inbox rows of each case (agency of the row, the task as in ``pending``, the handler's
    username), in their order, keyed by the case's index row."""
    sql = (
        "SELECT c.agency_id, c.case_number, t.agency_id, t.role, t.kind, t.title, t.due, "
        "t.article, t.regulation, t.record, t.step, t.not_by, u.username "
        f"FROM {TASK_TABLE} t JOIN {TABLE} c ON c.id = t.case_id "
        f"LEFT JOIN {USER_TABLE} u ON u.id = t.handler_id"
    )
    clause, params = scope_filter(agency, case_number, table="c")
    out: dict[tuple[str, str], list[tuple[str, dict[str, Any], str | None]]] = {}
    for raw in db.all(sql + clause + " ORDER BY t.case_id, t.position", params):
        due = _time(raw[6])
        task = {
            "role": raw[3],
            "kind": raw[4],
            "title": raw[5],
            "due": timeutil.local(due).isoformat() if due else None,
            "article": raw[7],
            "regulation": raw[8],
            "record": raw[9],
            "step": raw[10],
            "not_by": [n for n in str(raw[11] or "").split(",") if n],
        }
        out.setdefault((str(raw[0]), str(raw[1])), []).append((str(raw[2]), task, raw[12]))
    return out


def _findings_shown(findings: list[tuple[Any, ...]]) -> str:
    if not findings:
        return "（无）"
    shown = "；".join(f"{f[0]}（第{f[2]}条，{f[3]}，{f[4]}）" for f in findings[:5])
    return f"{len(findings)} 项：{shown}" + ("…" if len(findings) > 5 else "")


def _stale_hint(case: Case, updated_at: datetime) -> str:
    later = [r for r in case.records if r.recorded_at is not None and r.recorded_at > updated_at]
    if not later:
        return ""
    return (
        f"（或索引未随其后的 {len(later)} 条记录更新：记录绕过 Web 应用写入时，"
        "请运行 lawtrail manage reindex 后复核）"
    )


def _same(column: str, stored: Any, rebuilt: Any) -> bool:
    if column in TIMES:
        return stored == rebuilt  # aware datetimes compare as instants; None only with None
    if column in JSON_COLUMNS:
        return _canonical(stored) == _canonical(rebuilt)
    return bool(stored == rebuilt)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _shown(column: str, value: Any) -> str:
    if value is None:
        return "（空）"
    if column in TIMES and isinstance(value, datetime):
        return timeutil.format_local(value)
    if column in FLAGS:
        return "是" if value else "否"
    if column == "pending" and isinstance(value, list):
        titles = "；".join(str(t.get("title", "")) for t in value if isinstance(t, dict))
        return f"{len(value)} 项" + (f"（{titles}）" if titles else "")
    if column == "acts" and isinstance(value, list):
        return "、".join(str(v) for v in value) or "（空）"
    return repr(value) if isinstance(value, str) else str(value)


# ---------------------------------------------------------------------------- reading the table
#
# Through the ledger's connection: the CLI's own (sqlite3 / psycopg, plain values) or Django's
# (its converters: datetimes and booleans decoded, JSON as text) — both are accepted.


def _has_table(db: Database, table: str) -> bool:
    if db.dialect == SQLITE:
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    else:
        sql = "SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = ?"
    return db.one(sql, (table,)) is not None


def scope_filter(
    agency: str | None, case_number: str | None, *, table: str = ""
) -> tuple[str, list[str]]:
    """The WHERE clause (and its parameters) limiting a projection table's rows to what a
    check was asked for: one agency, one case, or everything."""
    prefix = f"{table}." if table else ""
    where, params = [], []
    if agency is not None:
        where.append(f"{prefix}agency_id = ?")
        params.append(agency)
    if case_number is not None:
        where.append(f"{prefix}case_number = ?")
        params.append(case_number)
    return (" WHERE " + " AND ".join(where) if where else ""), params


def _rows(db: Database, agency: str | None, case_number: str | None) -> dict[tuple[str, str], _Row]:
    columns = ", ".join(f"c.{name}" for name in COLUMNS)
    sql = (
        f"SELECT c.agency_id, c.case_number, {columns}, u.username, c.updated_at "
        f"FROM {TABLE} c LEFT JOIN {USER_TABLE} u ON u.id = c.handler_id"
    )
    clause, params = scope_filter(agency, case_number, table="c")
    sql += clause
    rows = {}
    for raw in db.all(sql + " ORDER BY c.agency_id, c.case_number", params):
        values = dict(zip(COLUMNS, raw[2 : 2 + len(COLUMNS)], strict=True))
        for column in TIMES:
            values[column] = _time(values[column])
        for column in FLAGS:
            values[column] = bool(values[column])
        for column in JSON_COLUMNS:
            values[column] = _json(values[column])
        row = _Row(str(raw[0]), str(raw[1]), values, raw[-2], _time(raw[-1]))
        rows[(row.agency, row.case_number)] = row
    return rows


def _finding_rows(
    db: Database, agency: str | None, case_number: str | None
) -> dict[tuple[str, str], list[tuple[Any, ...]]]:
    """The finding rows of each case, keyed by the case's index row (agency, number). A row
    whose agency is not its case's is kept under a key no case has, so that it mismatches."""
    columns = ", ".join(f"f.{name}" for name in FINDING_COLUMNS)
    sql = (
        f"SELECT c.agency_id, c.case_number, f.agency_id, {columns} "
        f"FROM {FINDING_TABLE} f JOIN {TABLE} c ON c.id = f.case_id"
    )
    clause, params = scope_filter(agency, case_number, table="c")
    sql += clause
    out: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
    for raw in db.all(sql, params):
        values = (str(raw[3]), str(raw[4]), int(raw[5]), str(raw[6]), str(raw[7]))
        if raw[2] != raw[0]:  # the finding names another agency than its case
            values = (*values[:4], f"{values[4]}@{raw[2]}")
        out.setdefault((str(raw[0]), str(raw[1])), []).append(values)
    return out


def _account(db: Database, username: str) -> str | None:
    row = db.one(f"SELECT username FROM {USER_TABLE} WHERE username = ?", (username,))
    return None if row is None else str(row[0])


def _ledger_cases(
    ledger: Ledger, agency: str | None, case_number: str | None
) -> dict[tuple[str, str], str]:
    """Every case the ledger holds (of the agency, the case), with the account that opened it;
    read from the hashed header entries."""
    cases: dict[tuple[str, str], str] = {}
    for log in ledger.logs():
        if agency is not None and log.agency != agency:
            continue
        headers = ledger.entries(log.agency, case_number=case_number, types=("case",))
        for entry in list(headers):
            data = entry.data()
            number = data.get("case_number")
            if data.get("type") != "case" or not isinstance(number, str):
                continue
            cases.setdefault((log.agency, number), str(data.get("actor") or ""))
    return cases


def _time(value: Any) -> datetime | None:
    """A stored datetime: Django keeps them in UTC (SQLite: naive text; PostgreSQL: aware)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _json(value: Any) -> Any:
    if isinstance(value, (str, bytes)):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
