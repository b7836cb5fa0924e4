"""The index of 责令限期整改 orders (:class:`~lawtrail.web.models.RectificationOrder`) as a
projection of the ledger, and its check for ``lawtrail verify``.

Like the case index (:mod:`lawtrail.web.projections`), the order lists and the head's inbox read a
table nothing signs, so it is a pure function of the ledger: :func:`order_values` computes a row
from an order as the ledger holds it (:mod:`lawtrail.supervision`; no moment is needed — whether
an open order is overdue is decided at request time from its due date), the web action writes it
in the same transaction as the ledger entry, ``lawtrail manage reindex`` rebuilds all of it, and
:class:`OrderIndexCheck` reports each column that differs, each order without a row and each row
without an order (findings ``order_index_*``). It reads the table through the ledger's
connection, without Django settings.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from lawtrail import supervision
from lawtrail.core import timeutil
from lawtrail.ledger.db import Database
from lawtrail.ledger.log import Ledger
from lawtrail.ledger.verify import Problem, ProjectionSummary
from lawtrail.web.projections import _has_table, _time, scope_filter

TABLE = "lawtrail_rectificationorder"

COLUMNS: dict[str, str] = {
    "case_number": "案号",
    "category": "类别",
    "due": "整改期限",
    "issued_by": "责令人",
    "issued_at": "责令时间",
    "answered_by": "答复人",
    "answered_at": "答复时间",
    "order_seq": "责令的账本序号",
    "answer_seq": "答复的账本序号",
}


def order_values(order: supervision.Order) -> dict[str, Any]:
    answer = order.answer
    return {
        "case_number": order.case_number,
        "category": order.category,
        "due": order.due,
        "issued_by": order.issued_by,
        "issued_at": order.issued_at,
        "answered_by": answer.answered_by if answer else "",
        "answered_at": answer.answered_at if answer else None,
        "order_seq": order.seq,
        "answer_seq": answer.seq if answer else None,
    }


class OrderIndexCheck:
    """The order index against the ledger (a :class:`lawtrail.ledger.verify.ProjectionCheck`)."""

    name = "责令整改索引"

    def applies(self, db: Database) -> bool:
        return _has_table(db, TABLE)

    def check(
        self, ledger: Ledger, *, agency: str | None, case_number: str | None
    ) -> tuple[ProjectionSummary, list[Problem]]:
        rows = _rows(ledger.db, agency, case_number)
        built: dict[tuple[str, str], dict[str, Any]] = {}
        for log in ledger.logs():
            if agency is not None and log.agency != agency:
                continue
            for order in supervision.orders(ledger, log.agency):
                if case_number is not None and order.case_number != case_number:
                    continue
                built[(log.agency, order.id)] = order_values(order)
        problems: list[Problem] = []
        for (order_agency, order_id), values in built.items():
            row = rows.get((order_agency, order_id))
            if row is None:
                problems.append(
                    Problem(
                        code="order_index_missing",
                        message=f"责令整改 {order_id} 在账本中，但整改索引中没有它：监督人员的整改"
                        "列表和负责人的待办都不会显示它（索引行被删除，或未运行 "
                        "lawtrail manage reindex）",
                        agency=order_agency,
                        case_number=str(values["case_number"]),
                        record=order_id,
                    )
                )
                continue
            for column, label in COLUMNS.items():
                if not _same(row[column], values[column]):
                    problems.append(
                        Problem(
                            code="order_index_mismatch",
                            message=f"整改索引中责令整改 {order_id} 的“{label}”为 "
                            f"{_shown(row[column])}，按账本应为 {_shown(values[column])}："
                            "索引行被改动",
                            agency=order_agency,
                            case_number=str(values["case_number"]),
                            record=order_id,
                            column=column,
                        )
                    )
        for (order_agency, order_id), row in rows.items():
            if (order_agency, order_id) not in built:
                problems.append(
                    Problem(
                        code="order_index_orphan",
                        message=f"整改索引中有责令整改 {order_id}，但账本中没有它（索引行被插入或"
                        "编号被改动）",
                        agency=order_agency,
                        case_number=str(row["case_number"] or ""),
                        record=order_id,
                    )
                )
        return ProjectionSummary(self.name, TABLE, rows=len(rows)), problems


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _same(stored: Any, rebuilt: Any) -> bool:
    if isinstance(rebuilt, datetime) or (rebuilt is None and isinstance(stored, datetime)):
        return stored == rebuilt
    return bool(stored == rebuilt)


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "（空）"
    if isinstance(value, datetime):
        return timeutil.format_local(value)
    return str(value)


def _rows(
    db: Database, agency: str | None, case_number: str | None
) -> dict[tuple[str, str], dict[str, Any]]:
    columns = ", ".join(COLUMNS)
    sql = f"SELECT agency_id, order_id, {columns} FROM {TABLE}"
    clause, params = scope_filter(agency, case_number)
    sql += clause
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in db.all(sql + " ORDER BY agency_id, order_id", params):
        values = dict(zip(COLUMNS, raw[2:], strict=True))
        values["due"] = _date(values["due"])
        values["issued_at"] = _time(values["issued_at"])
        values["answered_at"] = _time(values["answered_at"])
        for column in ("order_seq", "answer_seq"):
            values[column] = None if values[column] is None else int(values[column])
        values["case_number"] = str(values["case_number"] or "")
        values["answered_by"] = str(values["answered_by"] or "")
        rows[(str(raw[0]), str(raw[1]))] = values
    return rows
