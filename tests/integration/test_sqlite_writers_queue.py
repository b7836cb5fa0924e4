"""The ledger's SQLite writers wait in line for the write lock (lawtrail.web.ledgerdb, issue
#18): a writer blocks until the one before it is done — another thread or another process —
instead of polling SQLite's lock with growing sleeps; the line's file is private (0600)."""

from __future__ import annotations

import multiprocessing
import os
import stat
import threading
import time
from pathlib import Path

from lawtrail.web.ledgerdb import _sqlite_writers_queue


def test_a_writer_waits_for_the_one_before_it_in_another_thread(tmp_path: Path) -> None:
    name = str(tmp_path / "lawtrail.sqlite3")
    order: list[str] = []
    first_in = threading.Event()

    def first() -> None:
        with _sqlite_writers_queue(name):
            first_in.set()
            time.sleep(0.3)
            order.append("first done")

    def second() -> None:
        first_in.wait()
        with _sqlite_writers_queue(name):
            order.append("second in")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert order == ["first done", "second in"]
    mode = stat.S_IMODE(os.stat(f"{name}-writers").st_mode)
    assert mode == 0o600


def _hold(name: str, held: multiprocessing.synchronize.Event, release_at: float) -> None:
    with _sqlite_writers_queue(name):
        held.set()
        time.sleep(max(0.0, release_at - time.time()))


def test_a_writer_waits_for_the_one_before_it_in_another_process(tmp_path: Path) -> None:
    name = str(tmp_path / "lawtrail.sqlite3")
    context = multiprocessing.get_context("fork")
    held = context.Event()
    release_at = time.time() + 0.5
    child = context.Process(target=_hold, args=(name, held, release_at))
    child.start()
    try:
        assert held.wait(10)
        with _sqlite_writers_queue(name):
            entered = time.time()
        assert entered >= release_at
    finally:
        child.join(10)
    assert child.exitcode == 0


def test_an_in_memory_database_has_no_line(tmp_path: Path) -> None:
    for name in (":memory:", "file:memorydb_default?mode=memory&cache=shared"):
        with _sqlite_writers_queue(name), _sqlite_writers_queue(name):  # never blocks
            pass
    assert list(tmp_path.iterdir()) == []
