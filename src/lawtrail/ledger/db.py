"""One small database layer for SQLite (embedded default) and PostgreSQL (server).

The ledger speaks plain SQL through this class so that the same statements, the same code and
the same tests run on both. Statements use ``?`` placeholders; for PostgreSQL they are rewritten
to ``%s`` (no statement here contains a literal question mark).

Durability: a commit returns only once the database has made it durable.
- SQLite runs in WAL mode with ``synchronous=FULL`` (the WAL is fsynced at every commit; the
  default NORMAL could lose the last commits on power loss) and ``BEGIN IMMEDIATE`` for writes,
  which takes the database's single write lock before reading the log's head, so two writers
  can never pick the same sequence number.
- PostgreSQL runs with ``synchronous_commit=on`` (forced for our sessions: a server-wide ``off``
  would acknowledge commits before they are on disk); writers serialise on the log's row with
  ``SELECT … FOR UPDATE``.

Readers that need one consistent view across several queries (verification) use
:meth:`Database.snapshot`: a deferred transaction on SQLite (WAL gives readers a snapshot) and
``REPEATABLE READ READ ONLY`` on PostgreSQL.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from lawtrail import filemodes

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
BUSY_TIMEOUT_MS = 60_000

Params = Sequence[Any]


class DatabaseError(Exception):
    """The database cannot be used (bad URL, unreachable server); message in Chinese."""


class IntegrityViolation(Exception):
    """The database refused a write because of a constraint or one of the ledger's triggers."""


_DISK_FULL = (
    "数据库所在磁盘空间已满，本次写入未保存（事务已回滚，此前已确认的记录不受影响）；"
    "请联系系统管理员扩容后重试"
)


def _is_disk_full(exc: BaseException) -> bool:
    """SQLite's SQLITE_FULL (13) or PostgreSQL's disk_full (SQLSTATE 53100)."""
    if isinstance(exc, sqlite3.OperationalError):
        return getattr(exc, "sqlite_errorcode", None) == 13 or "disk is full" in str(exc)
    return getattr(exc, "sqlstate", None) == "53100"


def _is_constraint_error(exc: BaseException) -> bool:
    if isinstance(exc, sqlite3.IntegrityError):
        return True
    if isinstance(exc, sqlite3.DatabaseError) and "append-only" in str(exc):
        return True
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a hard dependency
        return False
    return isinstance(exc, psycopg.errors.IntegrityError | psycopg.errors.RaiseException)


class Database:
    """A connection to the ledger's database. Not thread-safe: one per thread or process."""

    def __init__(self, url: str) -> None:
        self.url = url
        scheme = urlsplit(url).scheme
        if scheme == "sqlite":
            self.dialect = SQLITE
            self._conn: Any = self._connect_sqlite(url)
        elif scheme in ("postgres", "postgresql"):
            self.dialect = POSTGRESQL
            self._conn = self._connect_postgresql(url)
        else:
            raise DatabaseError(
                f"不支持的数据库地址 {url!r}：应为 sqlite:///路径 或 postgresql://主机/库名"
            )
        self._in_transaction = False

    # ------------------------------------------------------------------ connecting

    @staticmethod
    def _connect_sqlite(url: str) -> sqlite3.Connection:
        path = unquote(urlsplit(url).path)
        if not path or path == "/":
            raise DatabaseError(f"SQLite 地址 {url!r} 缺少文件路径，如 sqlite:////srv/lawtrail.db")
        # Personal data: the file is created 0600 before SQLite opens it (its -wal and -shm
        # inherit the mode), an existing one readable by others is tightened (lawtrail.filemodes).
        filemodes.private_sqlite(Path(path))
        # isolation_level=None: no implicit transactions; we issue BEGIN/COMMIT ourselves.
        conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise DatabaseError(f"SQLite 数据库 {path} 无法切换到 WAL 模式（当前 {mode}）")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    @staticmethod
    def _connect_postgresql(url: str) -> Any:
        import psycopg

        try:
            conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise DatabaseError(f"无法连接 PostgreSQL 数据库 {_redact(url)}：{exc}") from exc
        conn.execute("SET synchronous_commit = on")
        return conn

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ statements

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.dialect == POSTGRESQL else sql

    def execute(self, sql: str, params: Params = ()) -> Any:
        try:
            return self._conn.execute(self._sql(sql), tuple(params))
        except Exception as exc:
            if _is_constraint_error(exc):
                raise IntegrityViolation(str(exc)) from exc
            if _is_disk_full(exc):
                raise DatabaseError(f"{_DISK_FULL}（{exc}）") from exc
            raise

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        if not rows:
            return
        try:
            if self.dialect == SQLITE:
                self._conn.executemany(sql, rows)
            else:
                with self._conn.cursor() as cur:
                    cur.executemany(self._sql(sql), rows)
        except Exception as exc:
            if _is_constraint_error(exc):
                raise IntegrityViolation(str(exc)) from exc
            if _is_disk_full(exc):
                raise DatabaseError(f"{_DISK_FULL}（{exc}）") from exc
            raise

    def one(self, sql: str, params: Params = ()) -> tuple[Any, ...] | None:
        row = self.execute(sql, params).fetchone()
        return None if row is None else tuple(row)

    def all(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.execute(sql, params).fetchall()]

    def stream(self, sql: str, params: Params = (), batch: int = 2000) -> Iterator[tuple[Any, ...]]:
        """Rows one by one without loading the result: a server-side cursor on PostgreSQL
        (inside a transaction, see :meth:`snapshot`), SQLite's own lazy cursor."""
        if self.dialect == SQLITE:
            cur = self._conn.execute(sql, tuple(params))
            while rows := cur.fetchmany(batch):
                yield from (tuple(r) for r in rows)
            return
        # Outside a transaction (autocommit) a server-side cursor must be WITH HOLD.
        name = f"lawtrail_stream_{uuid.uuid4().hex}"
        with self._conn.cursor(name=name, withhold=not self._in_transaction) as cur:
            cur.itersize = batch
            cur.execute(self._sql(sql), tuple(params))
            yield from (tuple(r) for r in cur)

    def executescript(self, script: str) -> None:
        if self.dialect == SQLITE:
            self._conn.executescript(script)
        else:
            self._conn.execute(script)

    @contextmanager
    def pipeline(self) -> Iterator[Database]:
        """Statements sent without waiting for each one's result, all answered at the end of
        the block (PostgreSQL's pipeline mode; on SQLite, which has no round trips, as they
        come). Read a statement's cursor only after the block."""
        if self.dialect == POSTGRESQL:
            with self._conn.pipeline():
                yield self
        else:
            yield self

    # ------------------------------------------------------------------ transactions

    @contextmanager
    def write(self) -> Iterator[Database]:
        """A write transaction: committed durably on success, rolled back on any error."""
        if self._in_transaction:
            raise RuntimeError("nested transactions are not supported")
        self._conn.execute("BEGIN IMMEDIATE" if self.dialect == SQLITE else "BEGIN")
        self._in_transaction = True
        try:
            yield self
            self._conn.execute("COMMIT")
        except BaseException as exc:
            # Whatever failed (the body or COMMIT itself), leave no transaction open — and do
            # not let a failing ROLLBACK (a dead connection) hide the original error.
            with suppress(Exception):
                self._conn.execute("ROLLBACK")
            if _is_disk_full(exc):  # COMMIT itself (the WAL could not grow)
                raise DatabaseError(f"{_DISK_FULL}（{exc}）") from exc
            raise
        finally:
            self._in_transaction = False

    @contextmanager
    def snapshot(self) -> Iterator[Database]:
        """A read-only transaction seeing one consistent state of the database."""
        if self._in_transaction:
            raise RuntimeError("nested transactions are not supported")
        if self.dialect == SQLITE:
            self._conn.execute("BEGIN DEFERRED")
        else:
            self._conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        self._in_transaction = True
        try:
            yield self
        finally:
            self._in_transaction = False
            self._conn.execute("ROLLBACK")


_PASSWORD = re.compile(r"(//[^:/@]+:)[^@]*@")


def _redact(url: str) -> str:
    return _PASSWORD.sub(r"\1***@", url)
