"""The index of the access log (:class:`~lawtrail.web.models.AccessIndex`) as a projection of
the ledger's ``access`` entries, its writer, its rebuild and its check for ``lawtrail verify``.

The supervisors' access log page (:mod:`lawtrail.web.views.supervision`) filters by user,
outcome, date and case. Walking the logs' access entries newest first and filtering in Python
cost a scan of every access entry for a user or an outcome that matches rarely (issue #18: the
page took 34 ms at 1,000 cases and 200 ms at 10,000). So the page picks its rows from this
table — one row per access entry, indexed for each filter in the page's order — and then reads
those entries from the ledger by (agency, sequence number) and shows *their* content, after
checking each against its leaf hash and against the row (:func:`matches`): the table decides
which entries are shown, never what they say.

Like the order index (:mod:`lawtrail.web.order_index`) it is a pure function of the ledger:
:func:`access_values` computes a row from an entry's hashed body; every writer of an access
entry writes the row in the entry's own transaction (:func:`index_appended`: the web's
``do_log_access`` and its counted refusals, the CLI's ``lawtrail export`` through the wiring);
:func:`rebuild` (``lawtrail manage reindex``) rebuilds a log's rows in batches; and
:class:`AccessIndexCheck` reports each entry without a row, each row without an entry and each
column that differs (findings ``access_index_*``). What the check alone can catch is a row
deleted, or a filter column changed so that an entry no longer matches a filter: the page shows
an entry the row points at only when the two agree, and says so when they do not.

Framework-free, like :mod:`lawtrail.web.projections`: it reads and writes the table through the
ledger's connection (raw SQL, both databases), so the CLI uses it without Django settings.
``TABLE`` and the column names are Django's for the model; a web test holds them to
``AccessIndex._meta``.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lawtrail.core import merkle, timeutil
from lawtrail.ledger.db import SQLITE, Database
from lawtrail.ledger.log import Ledger, Receipt, StoredEntry
from lawtrail.ledger.verify import Problem, ProjectionSummary
from lawtrail.web.projections import _has_table, _time

TABLE = "lawtrail_accessindex"

# The columns rebuilt from an entry, with the names the findings give them. ``leaf_hash`` ties
# the row to the one entry it was made from: the page refuses a row whose entry is another.
COLUMNS: dict[str, str] = {
    "recorded_at": "记录时间",
    "case_number": "案号",
    "username": "用户名",
    "name": "姓名",
    "outcome": "结果",
    "leaf_hash": "叶哈希",
}

# Entries per transaction of a rebuild: the log's lock is held meanwhile (appends wait).
BATCH = 2000


def access_values(entry: StoredEntry) -> dict[str, Any] | None:
    """The entry's index row (everything but its agency and sequence number), from its hashed
    body; None for an entry that is not a readable access entry (which ``lawtrail verify``
    reports as a ledger problem, and which gets no row)."""
    try:
        data = entry.data()
    except ValueError:
        return None
    body = data.get("access") if isinstance(data, dict) else None
    if data.get("type") != "access" or not isinstance(body, dict):
        return None
    try:
        recorded_at = timeutil.parse_aware(str(data.get("recorded_at")))
    except ValueError:
        return None
    return {
        "recorded_at": recorded_at,
        "case_number": _text(data.get("case_number")),
        "username": _text(body.get("user")),
        "name": _text(body.get("name")),
        "outcome": _text(body.get("outcome")),
        "leaf_hash": entry.leaf_hash.hex(),
    }


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def matches(entry: StoredEntry, row: dict[str, Any]) -> str:
    """Why the entry read at a row's (agency, seq) may not be shown for it ("" when it may):
    its body must hash to its leaf hash and give exactly the row's values."""
    if merkle.leaf_hash(entry.body) != entry.leaf_hash:
        return "条目内容与其叶哈希不符（账本条目被改动）"
    values = access_values(entry)
    if values is None:
        return "该序号的条目不是查阅记录"
    differing = [label for column, label in COLUMNS.items() if values[column] != row[column]]
    if differing:
        return f"索引行的“{'、'.join(differing)}”与账本条目不符（索引被改动）"
    return ""


# ---------------------------------------------------------------------------- writing


def _stored_time(db: Database, value: datetime) -> Any:
    """A time as Django stores it in the column: on SQLite naive UTC text (``str()`` of the
    datetime, which keeps the text order the time order), on PostgreSQL the aware value."""
    if db.dialect == SQLITE:
        return str(value.astimezone(UTC).replace(tzinfo=None))
    return value


def write(db: Database, entries: Iterable[StoredEntry]) -> int:
    """Insert the rows of these entries (inside the caller's transaction); the number written."""
    rows = []
    for entry in entries:
        values = access_values(entry)
        if values is None:
            continue
        values["recorded_at"] = _stored_time(db, values["recorded_at"])
        rows.append((entry.agency, entry.seq, *values.values()))
    columns = ", ".join(COLUMNS)
    marks = ", ".join("?" * (len(COLUMNS) + 2))
    db.executemany(f"INSERT INTO {TABLE} (agency_id, seq, {columns}) VALUES ({marks})", rows)
    return len(rows)


def index_appended(
    ledger: Ledger,
    agency: str,
    receipts: Sequence[Receipt],
    stored: Sequence[StoredEntry] | None = None,
) -> None:
    """Write the rows of access entries just appended, in their transaction (the caller's
    ``db.write()``): from the entries as stored — given by the append that wrote them, else
    read back — so that the row is what the check rebuilds. Does nothing on a database without
    the table (a ledger-only deployment of the CLI)."""
    if not receipts or not has_table(ledger.db):
        return
    if stored is not None:
        entries = {entry.seq: entry for entry in stored if entry.agency == agency}
    else:
        entries = ledger.entries_at(agency, [r.seq for r in receipts])
    write(ledger.db, (entries[r.seq] for r in receipts if r.seq in entries))


_tables: weakref.WeakSet[Database] = weakref.WeakSet()


def has_table(db: Database) -> bool:
    # Asked on every access entry: a table, once there, stays (migrations add, never drop it).
    if db in _tables:
        return True
    if _has_table(db, TABLE):
        _tables.add(db)
        return True
    return False


def rebuild(
    ledger: Ledger,
    agency: str,
    *,
    batch: int = BATCH,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Rebuild the agency's rows from its log: its access entries in sequence order, ``batch``
    per transaction holding the log's lock (an access appended meanwhile waits, then writes its
    own row), each batch replacing the rows of its range of sequence numbers — so rows without
    an entry, edited rows and missing rows are all made right, memory stays one batch and no
    cursor stays open between transactions. The number of rows written."""
    db = ledger.db
    after = -1
    written = 0
    while True:
        with db.write():
            ledger.lock(agency)
            entries = list(ledger.entries(agency, types=("access",), after=after, limit=batch))
            # The last batch reaches the end of the log: a row beyond it has no entry.
            last = entries[-1].seq if len(entries) == batch else None
            if last is None:
                db.execute(f"DELETE FROM {TABLE} WHERE agency_id = ? AND seq > ?", (agency, after))
            else:
                db.execute(
                    f"DELETE FROM {TABLE} WHERE agency_id = ? AND seq > ? AND seq <= ?",
                    (agency, after, last),
                )
            written += write(db, entries)
        if progress is not None:
            progress(written)
        if last is None:
            return written
        after = last


def drop_unlogged(ledger: Ledger) -> int:
    """Delete the rows of agencies that have no log (no entry can be theirs)."""
    logs = [log.agency for log in ledger.logs()]
    where = f"agency_id NOT IN ({', '.join('?' * len(logs))})" if logs else "1 = 1"
    with ledger.db.write():
        found = ledger.db.one(f"SELECT COUNT(*) FROM {TABLE} WHERE {where}", logs)
        ledger.db.execute(f"DELETE FROM {TABLE} WHERE {where}", logs)
    return int(found[0]) if found else 0


# ---------------------------------------------------------------------------- the check


@dataclass
class _Run:
    """Consecutive entries (or rows) of a log with the same finding, reported once."""

    code: str
    agency: str
    first: int
    last: int
    count: int
    case_number: str


class AccessIndexCheck:
    """The access log's index against the ledger (a
    :class:`lawtrail.ledger.verify.ProjectionCheck`). Each log's access entries and its rows are
    walked side by side in sequence order (two streams: memory does not grow with the log)."""

    name = "查阅记录索引"

    def applies(self, db: Database) -> bool:
        return _has_table(db, TABLE)

    def check(
        self, ledger: Ledger, *, agency: str | None, case_number: str | None
    ) -> tuple[ProjectionSummary, list[Problem]]:
        problems: list[Problem] = []
        rows = 0
        logs = [log.agency for log in ledger.logs()]
        for log in logs:
            if agency is not None and log != agency:
                continue
            rows += self._check_log(ledger, log, case_number, problems)
        if agency is None and case_number is None:
            where = f"agency_id NOT IN ({', '.join('?' * len(logs))})" if logs else "1 = 1"
            for other, count in ledger.db.all(
                f"SELECT agency_id, COUNT(*) FROM {TABLE} WHERE {where} GROUP BY agency_id", logs
            ):
                rows += int(count)
                problems.append(
                    Problem(
                        code="access_index_orphan",
                        message=f"查阅记录索引中有机关 {other} 的 {count} 行，但账本中没有该机关"
                        "的日志：查阅记录页面据此选取的条目不存在（索引行被插入）",
                        agency=str(other),
                    )
                )
        return ProjectionSummary(self.name, TABLE, rows=rows), problems

    def _check_log(
        self, ledger: Ledger, agency: str, case_number: str | None, problems: list[Problem]
    ) -> int:
        entries = ledger.entries(agency, case_number=case_number, types=("access",))
        stored = _rows(ledger.db, agency, case_number)
        run: _Run | None = None
        count = 0

        def note(code: str, seq: int, case: str) -> None:
            nonlocal run
            if run is not None and run.code == code:
                run.last, run.count = seq, run.count + 1
                return
            flush()
            run = _Run(code, agency, seq, seq, 1, case)

        def flush() -> None:
            nonlocal run
            if run is not None:
                problems.append(_run_problem(run))
            run = None

        for seq, values, row in _merged(entries, stored):
            if row is not None:
                count += 1
            if values is None and row is not None:
                note("access_index_orphan", seq, str(row["case_number"]))
            elif values is not None and row is None:
                note("access_index_missing", seq, str(values["case_number"]))
            elif values is not None and row is not None:
                flush()
                problems.extend(_compare(agency, seq, values, row))
        flush()
        return count


def _merged(
    entries: Iterator[StoredEntry], rows: Iterator[tuple[int, dict[str, Any]]]
) -> Iterator[tuple[int, dict[str, Any] | None, dict[str, Any] | None]]:
    """(seq, the values rebuilt from the entry at seq, the row at seq), in sequence order; None
    where there is no readable access entry or no row."""
    entry = next(entries, None)
    row = next(rows, None)
    while entry is not None or row is not None:
        if row is None or (entry is not None and entry.seq < row[0]):
            assert entry is not None
            values = access_values(entry)
            if values is not None:
                yield entry.seq, values, None
            entry = next(entries, None)
        elif entry is None or row[0] < entry.seq:
            yield row[0], None, row[1]
            row = next(rows, None)
        else:
            yield entry.seq, access_values(entry), row[1]
            entry, row = next(entries, None), next(rows, None)


def _run_problem(run: _Run) -> Problem:
    where = (
        f"第 {run.first} 条"
        if run.count == 1
        else f"第 {run.first} 条至第 {run.last} 条之间的 {run.count} 条"
    )
    if run.code == "access_index_missing":
        message = (
            f"查阅记录{where}在账本中，但查阅记录索引中没有：监督人员的查阅记录页面不会显示"
            "（索引行被删除，或未运行 lawtrail manage reindex）"
        )
    else:
        message = (
            f"查阅记录索引中有账本{where}的行，但账本中该序号不是查阅记录：查阅记录页面据此选取的"
            "条目不存在（索引行被插入或序号被改动）"
        )
    return Problem(
        code=run.code,
        message=message,
        agency=run.agency,
        seq=run.first,
        case_number=run.case_number,
    )


def _compare(agency: str, seq: int, values: dict[str, Any], row: dict[str, Any]) -> list[Problem]:
    return [
        Problem(
            code="access_index_mismatch",
            message=f"查阅记录索引中账本第 {seq} 条的“{label}”为 {_shown(row[column])}，按账本应为 "
            f"{_shown(values[column])}：索引行被改动（查阅记录页面的筛选据此选取条目）",
            agency=agency,
            seq=seq,
            case_number=str(values["case_number"]),
            column=column,
        )
        for column, label in COLUMNS.items()
        if row[column] != values[column]
    ]


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "（空）"
    if isinstance(value, datetime):
        return timeutil.format_local(value)
    return str(value)


def _rows(
    db: Database, agency: str, case_number: str | None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The agency's rows (of the case) in sequence order, streamed, as :func:`access_values`
    gives them (an unreadable time is None, so that it differs)."""
    sql = f"SELECT seq, {', '.join(COLUMNS)} FROM {TABLE} WHERE agency_id = ?"
    params = [agency]
    if case_number is not None:
        sql += " AND case_number = ?"
        params.append(case_number)
    for raw in db.stream(sql + " ORDER BY seq", params):
        values = dict(zip(COLUMNS, raw[1:], strict=True))
        values["recorded_at"] = _time(values["recorded_at"])
        for column in COLUMNS:
            if column != "recorded_at":
                values[column] = _text(values[column])
        yield int(raw[0]), values
