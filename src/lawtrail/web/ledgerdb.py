"""The ledger on Django's own database connection.

The ledger's :class:`~lawtrail.ledger.db.Database` normally owns a connection. In the web
application it borrows Django's (the current thread's), and its transactions are Django's
``atomic`` blocks, so that a service's ledger append and the query tables the shell writes
beside it (the case index) commit together or not at all — and on SQLite there is never a
second connection waiting on the first one's write lock.

Durability and serialisation are set on Django's connection instead (settings.py): SQLite in WAL
with ``synchronous=FULL`` and ``BEGIN IMMEDIATE`` for every atomic block, PostgreSQL with
``synchronous_commit=on``; the ledger's ``SELECT … FOR UPDATE`` on the log row still queues
PostgreSQL writers.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections, transaction

from lawtrail.ledger.db import POSTGRESQL, SQLITE, Database


class DjangoDatabase(Database):
    def __init__(self, alias: str = "default") -> None:  # no super(): no connection of our own
        self.alias = alias
        self.url = f"django:{alias}"
        vendor = connections[alias].vendor
        if vendor not in ("sqlite", "postgresql"):
            raise RuntimeError(f"the ledger does not support the {vendor} backend")
        self.dialect = SQLITE if vendor == "sqlite" else POSTGRESQL

    @property
    def _conn(self) -> Any:
        wrapper = connections[self.alias]
        # What Django's own cursors do first: with CONN_HEALTH_CHECKS, a connection that died
        # since the last request (the database restarted) is replaced, once per request.
        wrapper.close_if_health_check_failed()
        wrapper.ensure_connection()
        return wrapper.connection

    @property
    def _in_transaction(self) -> bool:  # type: ignore[override]
        return connections[self.alias].in_atomic_block

    def executescript(self, script: str) -> None:
        if self.dialect == POSTGRESQL:
            self._conn.execute(script)
            return
        # sqlite3's executescript would COMMIT Django's open transaction first: run the script
        # statement by statement inside an atomic block instead (its own BEGIN/COMMIT dropped).
        with transaction.atomic(using=self.alias):
            for statement in _sqlite_statements(script):
                if statement.upper().rstrip(";").strip() in ("BEGIN IMMEDIATE", "BEGIN", "COMMIT"):
                    continue
                self._conn.execute(statement)

    def close(self) -> None:
        """Django owns the connection."""

    def recover(self) -> None:
        """After a failed round outside any request (the integrator's thread): drop this
        thread's connection if it is broken, so that the next query reconnects. Requests get
        the same from Django (CONN_HEALTH_CHECKS) when they start; a background thread has no
        request to start."""
        wrapper = connections[self.alias]
        if wrapper.in_atomic_block or wrapper.connection is None:
            return
        if not wrapper.is_usable():
            wrapper.close()

    @contextmanager
    def write(self) -> Iterator[Database]:
        # Nested in a service's atomic block this is a savepoint; the outermost block commits.
        wrapper = connections[self.alias]
        if self.dialect == SQLITE and not wrapper.in_atomic_block:
            queue = _sqlite_writers_queue(str(wrapper.settings_dict["NAME"]))
            with queue, transaction.atomic(using=self.alias):
                yield self
            return
        with transaction.atomic(using=self.alias):
            yield self

    @contextmanager
    def snapshot(self) -> Iterator[Database]:
        outermost = not connections[self.alias].in_atomic_block
        with transaction.atomic(using=self.alias):
            if self.dialect == POSTGRESQL and outermost:
                self._conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield self


_queue_files = threading.local()


@contextmanager
def _sqlite_writers_queue(name: str) -> Iterator[None]:
    """Wait in line for SQLite's write lock instead of polling for it (issue #18).

    A connection that finds the database locked sleeps and retries — 1, 2, 5 … up to 100 ms
    between tries — while a writer that is not sleeping takes the lock again and again: with
    the group committers and integrators of several server processes writing all the time, one
    process's access entries waited hundreds of milliseconds. The ledger's own writers therefore
    first take an exclusive ``flock`` on a file beside the database, which the kernel hands to
    the next waiter as soon as it is released; only then BEGIN IMMEDIATE, which then rarely
    waits. Each thread has its own open file (``flock`` is held per open file, so threads of
    one process queue too). Writers that do not take it (Django's own atomic blocks) still wait
    on SQLite's lock as before; none of them waits for this one while holding SQLite's, so the
    two cannot deadlock."""
    if not name or name == ":memory:" or "mode=memory" in name:
        yield
        return
    files: dict[str, int] = getattr(_queue_files, "fds", None) or {}
    _queue_files.fds = files
    fd = files.get(name)
    if fd is None:
        path = f"{name}-writers"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        files[name] = fd
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _sqlite_statements(script: str) -> Iterator[str]:
    """Complete SQL statements of a script (trigger bodies with inner semicolons stay whole)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer.strip()
            buffer = ""
    if buffer.strip():
        yield buffer.strip()
