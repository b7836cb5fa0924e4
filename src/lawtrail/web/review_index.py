"""The index of 案卷评查 (:class:`~lawtrail.web.models.ReviewSampling`,
:class:`~lawtrail.web.models.CaseReview`) as a projection of the supervisor's own log, and its
check for ``lawtrail verify``.

As for the order index (:mod:`lawtrail.web.order_index`): the review lists and the ranking read
tables nothing signs, so they are a pure function of the ledger — :func:`sampling_values` and
:func:`review_values` compute a row from what the log holds (:mod:`lawtrail.case_review`), the
web action writes it in the same transaction as the entry, ``lawtrail manage reindex`` rebuilds
all of it, and :class:`ReviewIndexCheck` reports each column that differs, each sampling or sheet
without a row and each row without one (findings ``review_index_*``). A changed grade or total in
the table would change the ranking of the agencies: that is what it catches. It reads the tables
through the ledger's connection, without Django settings.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from lawtrail import case_review, config
from lawtrail.ledger.db import Database
from lawtrail.ledger.log import Ledger
from lawtrail.ledger.verify import Problem, ProjectionSummary
from lawtrail.web.order_index import _date, _same, _shown
from lawtrail.web.projections import _has_table, _time

SAMPLING_TABLE = "lawtrail_reviewsampling"
REVIEW_TABLE = "lawtrail_casereview"

SAMPLING_COLUMNS: dict[str, str] = {
    "agency_id": "被评查机关",
    "period_from": "期间起",
    "period_to": "期间止",
    "period_label": "期间",
    "percent": "抽取比例",
    "population": "已终结案件数",
    "selected": "抽中的案件",
    "sampled_by": "抽取人",
    "sampled_at": "抽取时间",
    "seq": "账本序号",
}
REVIEW_COLUMNS: dict[str, str] = {
    "agency_id": "被评查机关",
    "sampling_id": "抽取编号",
    "case_number": "案号",
    "total": "总分",
    "grade": "等级",
    "vetoes": "一票否决项",
    "reviewed_by": "评查人",
    "reviewed_at": "评查时间",
    "judged_size": "评查时机关日志大小",
    "seq": "账本序号",
    "supersedes": "取代的评查表",
    "superseded_by": "被取代于",
}


def sampling_values(sampling: case_review.Sampling) -> dict[str, Any]:
    return {
        "agency_id": sampling.agency,
        "period_from": sampling.period_from,
        "period_to": sampling.period_to,
        "period_label": sampling.period_label,
        "percent": sampling.percent,
        "population": len(sampling.population),
        "selected": list(sampling.selected),
        "sampled_by": sampling.sampled_by,
        "sampled_at": sampling.sampled_at,
        "seq": sampling.seq,
    }


def review_values(sheet: case_review.Review) -> dict[str, Any]:
    return {
        "agency_id": sheet.agency,
        "sampling_id": sheet.sampling,
        "case_number": sheet.case_number,
        "total": sheet.total,
        "grade": sheet.grade,
        "vetoes": len(sheet.vetoes),
        "reviewed_by": sheet.reviewed_by,
        "reviewed_at": sheet.reviewed_at,
        "judged_size": sheet.judged_size,
        "seq": sheet.seq,
        "supersedes": sheet.supersedes,
        "superseded_by": sheet.superseded_by,
    }


class ReviewIndexCheck:
    """The review index against the supervisor's log (a
    :class:`lawtrail.ledger.verify.ProjectionCheck`)."""

    name = "案卷评查索引"

    def applies(self, db: Database) -> bool:
        return _has_table(db, SAMPLING_TABLE) and _has_table(db, REVIEW_TABLE)

    def check(
        self, ledger: Ledger, *, agency: str | None, case_number: str | None
    ) -> tuple[ProjectionSummary, list[Problem]]:
        folded = case_review.read(ledger, config.supervisor_log())

        def wanted(row_agency: str, row_case: str | None) -> bool:
            if agency is not None and row_agency != agency:
                return False
            return case_number is None or row_case is None or row_case == case_number

        samplings = {
            s.id: sampling_values(s)
            for s in folded.samplings.values()
            if wanted(s.agency, None if case_number is None else _hit(s, case_number))
        }
        reviews = {
            r.id: review_values(r)
            for r in folded.reviews.values()
            if wanted(r.agency, r.case_number)
        }
        sampling_rows = {
            k: v
            for k, v in _rows(ledger.db, SAMPLING_TABLE, "sampling_id", SAMPLING_COLUMNS).items()
            if wanted(
                str(v["agency_id"]), None if case_number is None else _hit_row(v, case_number)
            )
        }
        review_rows = {
            k: v
            for k, v in _rows(ledger.db, REVIEW_TABLE, "sheet_id", REVIEW_COLUMNS).items()
            if wanted(str(v["agency_id"]), str(v["case_number"]))
        }
        problems = _compare("抽取记录", samplings, sampling_rows, SAMPLING_COLUMNS, lambda v: "")
        problems += _compare(
            "评查表", reviews, review_rows, REVIEW_COLUMNS, lambda v: str(v["case_number"])
        )
        rows = len(sampling_rows) + len(review_rows)
        return ProjectionSummary(
            self.name, f"{SAMPLING_TABLE}, {REVIEW_TABLE}", rows=rows
        ), problems


def _hit(sampling: case_review.Sampling, case_number: str) -> str | None:
    """Under a case scope, a sampling belongs when it selected the case."""
    return case_number if case_number in sampling.selected else ""


def _hit_row(row: dict[str, Any], case_number: str) -> str | None:
    selected = row["selected"] if isinstance(row["selected"], list) else []
    return case_number if case_number in selected else ""


def _compare(
    what: str,
    built: dict[str, dict[str, Any]],
    rows: dict[str, dict[str, Any]],
    columns: dict[str, str],
    case_of: Callable[[dict[str, Any]], str],
) -> list[Problem]:
    problems: list[Problem] = []
    for key, values in built.items():
        row = rows.get(key)
        if row is None:
            problems.append(
                Problem(
                    code="review_index_missing",
                    message=f"{what} {key} 在监督机关的账本中，但评查索引中没有它：评查列表和"
                    "排名都不会计入它（索引行被删除，或未运行 lawtrail manage reindex）",
                    agency=str(values["agency_id"]),
                    case_number=case_of(values),
                    record=key,
                )
            )
            continue
        for column, label in columns.items():
            if not _same(row[column], values[column]):
                problems.append(
                    Problem(
                        code="review_index_mismatch",
                        message=f"评查索引中{what} {key} 的“{label}”为 {_shown(row[column])}，"
                        f"按账本应为 {_shown(values[column])}：索引行被改动",
                        agency=str(values["agency_id"]),
                        case_number=case_of(values),
                        record=key,
                        column=column,
                    )
                )
    for key, row in rows.items():
        if key not in built:
            problems.append(
                Problem(
                    code="review_index_orphan",
                    message=f"评查索引中有{what} {key}，但监督机关的账本中没有它（索引行被插入或"
                    "编号被改动）",
                    agency=str(row["agency_id"]),
                    case_number=case_of(row),
                    record=key,
                )
            )
    return problems


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


_DATES = {"period_from", "period_to"}
_TIMES = {"sampled_at", "reviewed_at"}
_INTS = {"percent", "population", "seq", "total", "vetoes", "judged_size"}


def _rows(db: Database, table: str, key: str, columns: dict[str, str]) -> dict[str, dict[str, Any]]:
    names = ", ".join(columns)
    rows: dict[str, dict[str, Any]] = {}
    for raw in db.all(f"SELECT {key}, {names} FROM {table} ORDER BY {key}"):
        values = dict(zip(columns, raw[1:], strict=True))
        for column, value in values.items():
            if column in _DATES:
                values[column] = _date(value)
            elif column in _TIMES:
                values[column] = _time(value)
            elif column in _INTS:
                values[column] = None if value is None else int(value)
            elif column == "selected":
                values[column] = _json(value)
            else:
                values[column] = "" if value is None else str(value)
        rows[str(raw[0])] = values
    return rows
