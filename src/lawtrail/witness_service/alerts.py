"""The witness's alerts, stored durably in its own state directory (``alerts.sqlite3``).

An alert has a time (Asia/Shanghai, with offset), the log's origin, a kind and a Chinese
message. One condition is one alert: while an alert of the same log and kind is unresolved,
raising it again only counts it and updates its last time and message. Alerts about a lasting
condition (``unreachable``, ``stalled``) resolve themselves when the condition ends; the others
(a fork, a rollback, a bad signature, a wrong key or origin, a lost state) stay until the
supervisor resolves them (`lawtrail witness alerts --config … --resolve ID|all`).
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lawtrail.core import timeutil

KIND_LABELS = {
    "fork": "分叉或历史被改写",
    "rollback": "日志回退",
    "bad_signature": "签名无效",
    "wrong_key": "日志公钥不符",
    "wrong_origin": "日志来源不符",
    "malformed": "检查点格式无效",
    "state_lost": "见证状态丢失",
    "stalled": "日志停止推进",
    "unreachable": "日志不可达",
    "refused": "见证被拒",
}
TRANSIENT = ("stalled", "unreachable")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alert (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    origin       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    message      TEXT NOT NULL,
    raised_at    TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    count        INTEGER NOT NULL DEFAULT 1,
    resolved_at  TEXT
);
CREATE INDEX IF NOT EXISTS alert_open ON alert (origin, kind) WHERE resolved_at IS NULL;
"""


@dataclass(frozen=True)
class Alert:
    id: int
    origin: str
    kind: str
    label: str
    message: str
    raised_at: str
    last_seen_at: str
    count: int
    resolved_at: str | None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _alert(row: tuple[Any, ...]) -> Alert:
    id_, origin, kind, message, raised, seen, count, resolved = row
    label = KIND_LABELS.get(kind, kind)
    return Alert(int(id_), origin, kind, label, message, raised, seen, int(count), resolved)


class AlertStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        path.chmod(0o600)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def raise_alert(self, origin: str, kind: str, message: str) -> Alert:
        now = timeutil.now().isoformat(timespec="seconds")
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    "SELECT id FROM alert WHERE origin = ? AND kind = ? AND resolved_at IS NULL",
                    (origin, kind),
                ).fetchone()
                if row is None:
                    cursor = self._db.execute(
                        "INSERT INTO alert (origin, kind, message, raised_at, last_seen_at) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (origin, kind, message, now, now),
                    )
                    alert_id = int(cursor.lastrowid or 0)
                else:
                    alert_id = int(row[0])
                    self._db.execute(
                        "UPDATE alert SET count = count + 1, last_seen_at = ?, message = ? "
                        "WHERE id = ?",
                        (now, message, alert_id),
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        found = self.get(alert_id)
        assert found is not None
        return found

    def resolve_kind(self, origin: str, kind: str) -> int:
        """The condition ended: resolve the open alert of that log and kind (if any)."""
        now = timeutil.now().isoformat(timespec="seconds")
        with self._lock:
            cursor = self._db.execute(
                "UPDATE alert SET resolved_at = ? WHERE origin = ? AND kind = ? "
                "AND resolved_at IS NULL",
                (now, origin, kind),
            )
            return int(cursor.rowcount)

    def resolve(self, alert_id: int | None = None) -> int:
        """The supervisor resolves one alert (by id) or all of them (None)."""
        now = timeutil.now().isoformat(timespec="seconds")
        with self._lock:
            if alert_id is None:
                cursor = self._db.execute(
                    "UPDATE alert SET resolved_at = ? WHERE resolved_at IS NULL", (now,)
                )
            else:
                cursor = self._db.execute(
                    "UPDATE alert SET resolved_at = ? WHERE id = ? AND resolved_at IS NULL",
                    (now, alert_id),
                )
            return int(cursor.rowcount)

    def get(self, alert_id: int) -> Alert | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, origin, kind, message, raised_at, last_seen_at, count, resolved_at "
                "FROM alert WHERE id = ?",
                (alert_id,),
            ).fetchone()
        return None if row is None else _alert(row)

    def alerts(self, *, unresolved_only: bool = False, limit: int = 500) -> list[Alert]:
        """Newest first."""
        where = "WHERE resolved_at IS NULL" if unresolved_only else ""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, origin, kind, message, raised_at, last_seen_at, count, resolved_at "
                f"FROM alert {where} ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [_alert(row) for row in rows]
