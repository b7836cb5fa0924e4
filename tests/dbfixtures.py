"""The databases the ledger tests run on: SQLite (a file in tmp) and PostgreSQL (the server
on 127.0.0.1:5432, trust auth, database `test`; a fresh schema per test).

Every test that takes ``database_url`` runs once per database. When no PostgreSQL server is
reachable the PostgreSQL variant is skipped with the reason — unless
LAWTRAIL_REQUIRE_POSTGRES=1 (set by .ci/run), which turns that skip into a failure.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from lawtrail.ledger.db import SQLITE, Database
from lawtrail.ledger.schema import APPEND_ONLY_TABLES
from tests.pgurl import POSTGRES_URL


def _postgres_unavailable() -> str | None:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return None
    except psycopg.OperationalError as exc:
        return f"PostgreSQL 不可用（{POSTGRES_URL}）：{exc}".strip()


def require_postgres() -> None:
    reason = _postgres_unavailable()
    if reason is None:
        return
    if os.environ.get("LAWTRAIL_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"LAWTRAIL_REQUIRE_POSTGRES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a new, empty schema (dropped afterwards)."""
    with fresh_postgres_schema() as url:
        yield url


@contextlib.contextmanager
def fresh_postgres_schema() -> Iterator[str]:
    """A URL on a new, empty PostgreSQL schema, dropped on exit."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.sqlite3'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


class RawSQL:
    """A connection with the ledger's append-only triggers switched off: the attacker."""

    def __init__(self, url: str) -> None:
        self.db = Database(url)
        if self.db.dialect == SQLITE:
            for table in APPEND_ONLY_TABLES:
                self.db.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
                self.db.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
            self.db.execute("DROP TRIGGER IF EXISTS ledger_entry_next_seq")
            self.db.execute("DROP TRIGGER IF EXISTS ledger_checkpoint_grows")
            self.db.execute("PRAGMA foreign_keys = OFF")
        else:
            for table in APPEND_ONLY_TABLES:
                self.db.execute(f"ALTER TABLE {table} DISABLE TRIGGER ALL")

    def __call__(self, sql: str, params: tuple = ()) -> None:  # type: ignore[type-arg]
        self.db.execute(sql, params)

    def close(self) -> None:
        if self.db.dialect != SQLITE:
            for table in APPEND_ONLY_TABLES:
                self.db.execute(f"ALTER TABLE {table} ENABLE TRIGGER ALL")
        self.db.close()
