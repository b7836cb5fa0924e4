"""Group commit: the appends of many threads in one durable transaction (issue #18).

Every view of a case appends an access entry, and each append is a transaction that takes the
database's write lock (SQLite) or the log's row lock (PostgreSQL) and waits for its commit to
reach the disk. With twenty users on two server processes those short transactions queue on the
lock; on SQLite a waiting connection sleeps in steps of up to 100 ms before it tries again, which
put the case page's p95 near a second though the lock was held for a millisecond at a time.

A :class:`GroupCommitter` runs one thread per process that takes every entry queued while the
previous transaction committed and appends them all in the next one: one lock, one commit to
disk, however many requests are waiting. Each caller still waits for *its* entry's commit and
gets its receipt (or the error the transaction hit, as an append of its own would have) —
an access is never acknowledged before it is durable. Entries of one agency keep their order of
arrival; a batch is at most :data:`MAX_BATCH` entries.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

from lawtrail.ledger.log import Ledger, NewEntry, Receipt, StoredEntry

log = logging.getLogger(__name__)

MAX_BATCH = 256
# How long a caller waits for its entry's commit before it gives up with an error (the
# database is unreachable): longer than any lock wait the database itself allows.
WAIT_SECONDS = 120.0

# Called inside the batch's transaction for each agency's entries, their receipts and the entries
# as stored: rows kept beside the ledger that must commit with the entries (an index of them).
AlsoWrite = Callable[
    [Ledger, str, Sequence[NewEntry], Sequence[Receipt], Sequence[StoredEntry]], None
]


@dataclass
class _Pending:
    agency: str
    entry: NewEntry
    done: Future[Receipt] = field(default_factory=Future)


class GroupCommitter:
    """Appends entries queued by any thread, in batches, on its own thread.

    ``open_ledger`` is called on that thread (a database connection belongs to the thread that
    opened it); ``also`` writes rows that commit with each batch."""

    def __init__(self, open_ledger: Callable[[], Ledger], also: AlsoWrite | None = None) -> None:
        self._open_ledger = open_ledger
        self._also = also
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._stopping = False

    def append(self, agency: str, entry: NewEntry) -> Receipt:
        """Append ``entry`` to the agency's log with whatever else is waiting; return when it is
        durable (its receipt), or raise what the transaction raised."""
        if self._thread is None or self._stopping:
            raise RuntimeError("the group committer is not running")
        pending = _Pending(agency, entry)
        self._queue.put(pending)
        return pending.done.result(timeout=WAIT_SECONDS)

    def _batch(self, first: _Pending) -> list[_Pending]:
        batch = [first]
        while len(batch) < MAX_BATCH:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:  # stop: finish this batch, the loop ends after it
                self._queue.put(None)
                break
            batch.append(item)
        return batch

    def _write(self, ledger: Ledger, batch: list[_Pending]) -> None:
        by_agency: dict[str, list[_Pending]] = {}
        for item in batch:
            by_agency.setdefault(item.agency, []).append(item)
        for agency in by_agency:
            ledger.ensure_log(agency)  # its own transaction, on a log's first entry only
        results: list[tuple[_Pending, Receipt]] = []
        with ledger.db.write():
            for agency, items in by_agency.items():
                entries = [item.entry for item in items]
                stored: list[StoredEntry] = []
                receipts = ledger.append_in_transaction(agency, entries, stored=stored)
                if self._also is not None:
                    self._also(ledger, agency, entries, receipts, stored)
                results.extend(zip(items, receipts, strict=True))
        for item, receipt in results:  # only once committed: durable
            item.done.set_result(receipt)

    def _loop(self) -> None:
        ledger = self._open_ledger()
        try:
            while True:
                first = self._queue.get()
                if first is None:
                    break
                batch = self._batch(first)
                try:
                    self._write(ledger, batch)
                except BaseException as exc:  # every waiting caller gets the error
                    log.warning("group commit of %d entries failed: %s", len(batch), exc)
                    for item in batch:
                        if not item.done.done():
                            item.done.set_exception(exc)
                    # A lost connection (the database restarted) is dropped so that the next
                    # batch opens a new one.
                    recover = getattr(ledger.db, "recover", None)
                    if recover is not None:
                        recover()
                    if not isinstance(exc, Exception):
                        raise
        finally:
            close = getattr(ledger.db, "close", None)
            if close is not None:
                close()

    def start(self) -> GroupCommitter:
        if self._thread is None:
            self._stopping = False
            self._thread = threading.Thread(target=self._loop, name="lawtrail-group-commit")
            self._thread.daemon = True
            self._thread.start()
        return self

    def stop(self, timeout: float = 10) -> None:
        """Commit what is queued, then end the thread."""
        if self._thread is None:
            return
        self._stopping = True
        self._queue.put(None)
        self._thread.join(timeout)
        self._thread = None
